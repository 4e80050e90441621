import { TlsConfigError } from '../errors.js';
import { decodeSession, encodeSession, sessionFromPem, sessionToPem } from './session-der.js';
import { MAX_SID_CTX_LENGTH, type SessionFields } from './session-fields.js';

export { MASTER_SECRET_LENGTH, MAX_SESSION_ID_LENGTH, MAX_SID_CTX_LENGTH, type SessionFields } from './session-fields.js';

/** Checks a session id context value and returns it as bytes (strings are UTF-8). */
export function toSidCtxBytes(value: string | Uint8Array): Uint8Array {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : Uint8Array.from(value);
  if (bytes.length > MAX_SID_CTX_LENGTH) {
    throw new TlsConfigError(
      'SSL_SESSION_ID_CONTEXT_TOO_LONG',
      `session id context is ${bytes.length} bytes; at most ${MAX_SID_CTX_LENGTH} are allowed`,
    );
  }
  return bytes;
}

/**
 * A TLS 1.2 session: the value kept in the server cache, sealed into tickets, and exported
 * in OpenSSL's i2d_SSL_SESSION layout.
 */
export class Session implements SessionFields {
  version: number;
  cipherSuite: number;
  sessionId: Uint8Array;
  masterSecret: Uint8Array;
  sidCtx: Uint8Array;
  createdAt: number;
  timeout: number;
  extendedMasterSecret: boolean;
  serverName: string | undefined;
  alpn: string | undefined;
  peerCertificate: Uint8Array | undefined;
  verifyResult: number | undefined;
  kexGroup: number | undefined;

  constructor(fields: SessionFields) {
    this.version = fields.version;
    this.cipherSuite = fields.cipherSuite;
    this.sessionId = fields.sessionId;
    this.masterSecret = fields.masterSecret;
    this.sidCtx = fields.sidCtx;
    this.createdAt = fields.createdAt;
    this.timeout = fields.timeout;
    this.extendedMasterSecret = fields.extendedMasterSecret;
    this.serverName = fields.serverName;
    this.alpn = fields.alpn;
    this.peerCertificate = fields.peerCertificate;
    this.verifyResult = fields.verifyResult;
    this.kexGroup = fields.kexGroup;
  }

  /** OpenSSL's rule: a session is expired once `now > created + timeout` (seconds). */
  isExpiredAt(nowSeconds: number): boolean {
    return nowSeconds > this.createdAt + this.timeout;
  }

  /** A copy with some fields replaced (sessions are treated as values). */
  with(changes: Partial<SessionFields>): Session {
    return new Session({ ...this, ...changes });
  }

  /** OpenSSL's i2d_SSL_SESSION layout (ASN.1 SSL_SESSION, DER). */
  toDER(): Uint8Array {
    return encodeSession(this);
  }

  /** PEM `SSL SESSION PARAMETERS`, as PEM_write_SSL_SESSION writes it. */
  toPEM(): string {
    return sessionToPem(this);
  }

  /** Parses OpenSSL's i2d_SSL_SESSION layout; throws TlsDecodeError on malformed input. */
  static fromDER(der: Uint8Array): Session {
    return new Session(decodeSession(der));
  }

  static fromPEM(pem: string): Session {
    return new Session(sessionFromPem(pem));
  }
}
