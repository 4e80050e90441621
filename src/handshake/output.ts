import type { ClientAuthMode } from '../client-auth-mode.js';
import type { TlsContext } from '../context.js';
import type { AlertDescription } from '../errors.js';
import type { CipherSuite } from '../protocol/suites.js';
import type { Session } from '../session/session.js';

/**
 * How the handshake speaks (rustls' `Output`, Go's halfConn calls). The connection that
 * implements it alone owns the record layer: the handshake never sees records or keys in use.
 */
export interface HandshakeOutput {
  /** One flight of handshake messages, to go out in as few records as possible. */
  sendHandshake(messages: Uint8Array): void;
  /** Our ChangeCipherSpec: what we send after it is protected with the write keys installed. */
  sendChangeCipherSpec(): void;
  /** Keys for one direction, taking effect at that direction's ChangeCipherSpec. */
  installKeys(direction: 'read' | 'write', keys: DirectionKeys): void;
  /** The version record headers carry from now on (the ServerHello's). */
  agreeVersion(version: number): void;
  /** A warning alert; the connection goes on. */
  sendWarning(description: AlertDescription): void;
  /** Someone listens for key log lines (formatting them is not free). */
  readonly wantsKeylog: boolean;
  /** NSS key log line, without newline. */
  keylog(line: string): void;
}

/** One direction's traffic keys (RFC 5246 §6.3; AEAD suites have no MAC keys). The receiver copies them. */
export interface DirectionKeys {
  suite: CipherSuite;
  key: Uint8Array;
  iv: Uint8Array;
}

/** What the handshake reads of the connection it works for (it changes nothing there). */
export interface HandshakeSettings {
  /** The context serving the handshake (after an SNI switch, the virtual host's). */
  readonly context: TlsContext;
  /** The connection's session id context, as it stands when resumption is decided. */
  readonly sidCtx: Uint8Array;
  /** The connection's client-auth policy (it never loosens on a context switch). */
  readonly clientAuth: ClientAuthMode;
  /** The connection's limit on the client's chain (the verify depth, also kept across a switch). */
  readonly maxCertificateChain: number;
  /** node:tls's disableRenegotiation(): a renegotiation attempt is fatal at once, not refused with a warning. */
  readonly renegotiationDisabled?: boolean;
}

/**
 * What the handshake waits for when it needs the application (rustls names these waits, as
 * ChooseConfig). The handshake stays synchronous: the connection answers, now or once a
 * promise settles, and resumes it with `serverNameChosen`, `sessionFound` or `sessionStored`.
 */
export type HandshakeWait =
  /** The SNI callback or the virtual host table must choose the context (the connection switches to it). */
  | { kind: 'ServerName'; servername: string }
  /** The session cache must be asked for this session ID. */
  | { kind: 'SessionLookup'; sessionId: Uint8Array }
  /** The session cache must take this session before our last flight goes (as node:tls). */
  | { kind: 'SessionStore'; session: Session };
