/** OpenSSL's SSL_MAX_SID_CTX_LENGTH. */
export const MAX_SID_CTX_LENGTH = 32;
/** OpenSSL's SSL_MAX_SSL_SESSION_ID_LENGTH. */
export const MAX_SESSION_ID_LENGTH = 32;
export const MASTER_SECRET_LENGTH = 48;

/** What a session remembers; the fields of OpenSSL's SSL_SESSION that a TLS 1.2 server uses. */
export interface SessionFields {
  /** Protocol version, 0x0303 for TLS 1.2. */
  version: number;
  /** The two-byte cipher suite id. */
  cipherSuite: number;
  /** 0..32 bytes; empty for a session that lives only in a ticket. */
  sessionId: Uint8Array;
  /** 48 bytes. */
  masterSecret: Uint8Array;
  /** The session id context it was made under, 0..32 bytes. */
  sidCtx: Uint8Array;
  /** Creation time, whole seconds since the Unix epoch. */
  createdAt: number;
  /** Lifetime in seconds. */
  timeout: number;
  /** RFC 7627: the master secret was derived from the session hash. */
  extendedMasterSecret: boolean;
  /** SNI host name the session was made under, if any. */
  serverName?: string | undefined;
  /** The ALPN protocol selected, as a byte-preserving (latin1) string. */
  alpn?: string | undefined;
  /** The client's leaf certificate (DER), when client authentication was used. */
  peerCertificate?: Uint8Array | undefined;
  /** X509_V_* verify result of the peer certificate (0 = X509_V_OK). */
  verifyResult?: number | undefined;
  /** The key exchange group of the full handshake that made the session (TLS code point). */
  kexGroup?: number | undefined;
}
