import { clientAuthMode, type ClientAuthMode } from './client-auth-mode.js';
import { parseCipherList, parseGroupList, DEFAULT_GROUPS } from './config-names.js';
import { defaultCryptoProvider } from './crypto/noble.js';
import type { CryptoProvider } from './crypto/provider.js';
import { TlsConfigError } from './errors.js';
import { SUITES, type CipherSuite } from './protocol/suites.js';
import { loadServerCertificates, type PemInput, type ServerCertificate } from './pki/server-certificate.js';
import { DEFAULT_MAX_CERTIFICATE_CHAIN, loadTrustStore, type TrustStore } from './pki/verify.js';
import type { MaybePromise } from './maybe-promise.js';
import type { SessionCache } from './session/cache.js';
import { MemorySessionCache } from './session/memory-cache.js';
import { Session, toSidCtxBytes } from './session/session.js';
import { ServerNameTable } from './server-names.js';
import { ServerSessions } from './session/server-sessions.js';
import type { SessionStats } from './session/session-stats.js';
import { TicketKeyring, isTicketKeySource, type TicketKeySource } from './session/tickets.js';

/** OpenSSL's default session lifetime for TLS (tls1_default_timeout): two hours. */
export const DEFAULT_SESSION_TIMEOUT = 7200;

/** A host name -> context map, or a callback deciding which context serves a host. */
export type SniCallback = (servername: string) => MaybePromise<TlsContext | undefined>;

/** What a virtual host takes from the server it is served under (see `servedUnder`). */
export interface ServerSessionSettings {
  /** The server's ALPN list, for hosts without their own. */
  readonly alpnProtocols: readonly string[] | undefined;
  /** The server's session id context, for hosts without their own. */
  sessionIdContext: Uint8Array;
  /** The server's session cache: every host resumes and stores there. */
  readonly sessionCache: SessionCache | undefined;
  /** The server's session lifetime, in seconds. */
  readonly sessionTimeout: number;
  /** The server's ticket keys (setTicketKeys covers every host). */
  readonly ticketKeyring: TicketKeyring | undefined;
}

/** Parts of a context that a derived one shares instead of parsing again (never public). */
const SHARED_PARTS = Symbol('shared parts');

/**
 * The key of a context's sid_ctx itself, not a copy, which connections made from it hold
 * as their own: SSL_new's copy, made by sharing the bytes (connection.ts).
 */
export const SID_CTX_BYTES = Symbol('sid_ctx bytes');

interface SharedParts {
  readonly certificates: readonly ServerCertificate[];
  readonly trustStore: TrustStore | undefined;
  readonly cipherSuites: readonly CipherSuite[];
  readonly groups: readonly number[];
}

/** What a TlsContext is made from, in puretls's names (createSecureContext takes node:tls's). */
export interface TlsContextOptions {
  /**
   * PEM private key, or several (one per certificate): ECDSA P-256/P-384 (PKCS#8 or SEC1),
   * RSA of 2048 to 4096 bits (PKCS#8 rsaEncryption or id-RSASSA-PSS, or PKCS#1), Ed25519 or
   * Ed448 (PKCS#8). Unencrypted.
   */
  key?: PemInput | readonly PemInput[];
  /**
   * PEM certificate chain, leaf first; or several chains, each paired with the key its leaf
   * matches (node:tls's arrays). The handshake picks one per client (see `selectCertificate`).
   */
  cert?: PemInput | readonly PemInput[];
  /** OpenSSL-style cipher list (server preference order). Default: all three suites. */
  ciphers?: string | readonly string[];
  /** Pick the suite by the client's order instead of ours (node:tls's honorCipherOrder: false). */
  clientCipherPreference?: boolean;
  /** Groups in preference order, e.g. "X25519:P-256:P-384" or "auto". */
  groups?: string | readonly string[];
  /** ALPN protocols in server preference order. */
  alpnProtocols?: readonly string[];
  /** 0..32 bytes; a string is taken as UTF-8. Default: empty (as OpenSSL's SSL_CTX). */
  sessionIdContext?: string | Uint8Array;
  /** The session-ID cache; `false` turns it off. Default: a private in-memory cache. */
  sessionCache?: SessionCache | false;
  /** Session lifetime in seconds. Default 7200 (OpenSSL). */
  sessionTimeout?: number;
  /** RFC 5077 session tickets. Default true (as node:tls and OpenSSL). */
  tickets?: boolean;
  /**
   * 48 bytes in node:tls's ticketKeys format, or keys shared by a fleet (a TicketKeySource
   * such as puretls/redis's RedisTicketKeys); default: random keys that rotate every sessionTimeout.
   */
  ticketKeys?: Uint8Array | TicketKeySource;
  /** Share another context's ticket keys (virtual hosts of one server); excludes `ticketKeys`. */
  ticketKeyring?: TicketKeyring;
  /** Ask clients for a certificate (OpenSSL's SSL_VERIFY_PEER). */
  requestCert?: boolean;
  /**
   * With requestCert: refuse a client that sends no certificate or one that does not verify
   * against `ca` (default true). When false, the handshake completes and the result is reported.
   */
  rejectUnauthorized?: boolean;
  /** PEM certificates trusted to issue client certificates. */
  ca?: string | Uint8Array;
  /**
   * Most certificates a client may send (leaf included); a longer chain is refused with
   * unknown_ca whatever `rejectUnauthorized` says. Default 10.
   */
  maxCertificateChain?: number;
  /** Virtual hosts: exact names or "*.example.com" wildcards, consulted before `sniCallback`. */
  serverNames?: Record<string, TlsContext> | ReadonlyMap<string, TlsContext>;
  /** Chooses the context for a server name (node:tls's SNICallback, promise-shaped). */
  sniCallback?: SniCallback;
  /** Cryptography back end; default: @noble. */
  crypto?: CryptoProvider;
  /** Clock in milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

export type { ServerCertificate } from './pki/server-certificate.js';

/**
 * Configuration shared by connections (OpenSSL's SSL_CTX): certificate, suites, groups,
 * ALPN, the session id context and the session cache. Connections copy the sid_ctx when
 * they are created; changing it later affects only connections made afterwards.
 */
export class TlsContext {
  /** The cryptography every connection of this context uses. */
  readonly crypto: CryptoProvider;
  /** The clock, in milliseconds since the epoch (sessions expire by it; tests inject one). */
  readonly now: () => number;
  /** The certificates with their keys, as configured (the handshake chooses among them). */
  readonly certificates: readonly ServerCertificate[];
  /** The suites enabled, in preference order. */
  readonly cipherSuites: readonly CipherSuite[];
  /** The client's suite order decides (node:tls's honorCipherOrder: false), not ours. */
  readonly clientCipherPreference: boolean;
  /** The ECDHE groups enabled (wire code points), in preference order. */
  readonly groups: readonly number[];
  /** The ALPN protocols, in preference order; undefined: no ALPN. */
  readonly alpnProtocols: readonly string[] | undefined;
  /** The session-ID cache; undefined: session IDs off. */
  readonly sessionCache: SessionCache | undefined;
  /** Session lifetime, in seconds. */
  readonly sessionTimeout: number;
  /** Seals and opens tickets; undefined when tickets are off. */
  readonly ticketKeyring: TicketKeyring | undefined;
  /** Connections made from this context ask for a client certificate. */
  readonly requestCert: boolean;
  /** With requestCert: a client without a certificate that verifies is refused. */
  readonly rejectUnauthorized: boolean;
  /** The trust anchors for client certificates (`ca`). */
  readonly trustStore: TrustStore | undefined;
  /** Most certificates a client's chain may hold. */
  readonly maxCertificateChain: number;
  /** Chooses the context for an SNI name (after `serverNames`). */
  readonly sniCallback: SniCallback | undefined;
  /** Lookup, decision, storage, tickets and counters of this context's sessions. */
  readonly sessions: ServerSessions;
  private readonly serverNames = new ServerNameTable<TlsContext>();
  private sidCtx: Uint8Array = new Uint8Array(0);

  constructor(options: TlsContextOptions & { [SHARED_PARTS]?: SharedParts } = {}) {
    this.crypto = options.crypto ?? defaultCryptoProvider;
    this.now = options.now ?? Date.now;
    const shared = options[SHARED_PARTS];
    const keyOrCert = options.key !== undefined || options.cert !== undefined;
    this.certificates = shared ? shared.certificates : keyOrCert ? loadCertificates(this.crypto, options.key, options.cert) : [];
    this.cipherSuites = shared?.cipherSuites ?? (options.ciphers === undefined ? [...SUITES] : parseCipherList(options.ciphers));
    this.clientCipherPreference = options.clientCipherPreference ?? false;
    this.groups = shared?.groups ?? (options.groups === undefined ? [...DEFAULT_GROUPS] : parseGroupList(options.groups));
    this.alpnProtocols = options.alpnProtocols === undefined ? undefined : checkAlpnList(options.alpnProtocols);
    if (options.sessionIdContext !== undefined) this.setSessionIdContext(options.sessionIdContext);
    this.sessionCache = options.sessionCache === false ? undefined : (options.sessionCache ?? new MemorySessionCache({ now: this.now }));
    this.sessionTimeout = checkTimeout(options.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT);
    if (options.tickets === false && (options.ticketKeys !== undefined || options.ticketKeyring !== undefined)) {
      throw new TlsConfigError('ERR_INVALID_ARG', 'ticket keys were given but tickets are turned off');
    }
    if (options.ticketKeys !== undefined && options.ticketKeyring !== undefined) {
      throw new TlsConfigError('ERR_INVALID_ARG', 'give ticketKeys or ticketKeyring, not both');
    }
    this.ticketKeyring =
      options.tickets === false
        ? undefined
        : options.ticketKeyring ?? new TicketKeyring({
            crypto: this.crypto,
            now: this.now,
            lifetimeSeconds: this.sessionTimeout,
            ...(isTicketKeySource(options.ticketKeys)
              ? { source: options.ticketKeys }
              : options.ticketKeys !== undefined
                ? { keys: options.ticketKeys }
                : {}),
          });
    this.requestCert = options.requestCert ?? false;
    this.rejectUnauthorized = options.rejectUnauthorized ?? true;
    this.trustStore = shared ? shared.trustStore : options.ca === undefined ? undefined : loadTrustStore(options.ca);
    this.maxCertificateChain = checkMaxCertificateChain(options.maxCertificateChain ?? DEFAULT_MAX_CERTIFICATE_CHAIN);
    this.sniCallback = options.sniCallback;
    this.sessions = new ServerSessions({
      cache: this.sessionCache,
      ticketKeyring: this.ticketKeyring,
      crypto: this.crypto,
      now: this.now,
      enabledSuites: this.cipherSuites.map((s) => s.id),
    });
    if (options.serverNames) {
      const entries = options.serverNames instanceof Map ? [...options.serverNames] : Object.entries(options.serverNames);
      for (const [hostname, context] of entries) {
        if (!(context instanceof TlsContext)) throw new TlsConfigError('ERR_INVALID_ARG', `serverNames[${hostname}] is not a TlsContext`);
        this.serverNames.set(hostname, context);
      }
    }
  }

  /** The first certificate configured (the only one, for most contexts). */
  get certificate(): ServerCertificate | undefined {
    return this.certificates[0];
  }

  /** OpenSSL's SSL_CTX_sess_* counters, plus contextMismatches. */
  get stats(): SessionStats {
    return this.sessions.stats;
  }

  /** OpenSSL's verify mode for connections made from this context (they copy it: SSL_new). */
  get clientAuth(): ClientAuthMode {
    return clientAuthMode(this.requestCert, this.rejectUnauthorized);
  }

  /**
   * This virtual host as node:tls serves it under a server (and OpenSSL, whose SSL_set_SSL_CTX
   * keeps the session cache and ticket keys of the first context): key, certificate, trust
   * anchors (`ca`), suites, groups and its own client-auth policy (which the connection may
   * only make stricter) come from this context; ALPN and the session id context too when this
   * context sets them, else the server's; the session cache, session lifetime and ticket keys
   * are always the server's. Nothing is parsed again: the key and certificates are shared.
   */
  servedUnder(server: ServerSessionSettings): TlsContext {
    const ownSidCtx = this.sidCtx.length > 0;
    return new TlsContext({
      crypto: this.crypto,
      now: this.now,
      clientCipherPreference: this.clientCipherPreference,
      requestCert: this.requestCert,
      rejectUnauthorized: this.rejectUnauthorized,
      maxCertificateChain: this.maxCertificateChain,
      alpnProtocols: this.alpnProtocols ?? server.alpnProtocols,
      sessionIdContext: ownSidCtx ? this.sidCtx : server.sessionIdContext,
      sessionCache: server.sessionCache ?? false,
      sessionTimeout: server.sessionTimeout,
      ...(server.ticketKeyring ? { ticketKeyring: server.ticketKeyring } : { tickets: false }),
      [SHARED_PARTS]: {
        certificates: this.certificates,
        trustStore: this.trustStore,
        cipherSuites: this.cipherSuites,
        groups: this.groups,
      },
    });
  }

  /**
   * The context that serves `servername` (SNI): a registered name (exact, then wildcard),
   * else the SNI callback's answer; undefined keeps the current context.
   */
  selectServerName(servername: string): MaybePromise<TlsContext | undefined> {
    return this.lookupServerName(servername) ?? this.sniCallback?.(servername);
  }

  /** The current ticket key, 48 bytes in node:tls's format (node's getTicketKeys). */
  getTicketKeys(): Uint8Array {
    if (!this.ticketKeyring) throw new TlsConfigError('ERR_TICKETS_DISABLED', 'session tickets are turned off');
    return this.ticketKeyring.getTicketKeys();
  }

  /** Makes `keys` current; the previous key still opens tickets for one session lifetime. */
  setTicketKeys(keys: Uint8Array): void {
    if (!this.ticketKeyring) throw new TlsConfigError('ERR_TICKETS_DISABLED', 'session tickets are turned off');
    this.ticketKeyring.setTicketKeys(keys);
  }

  /** The sid_ctx connections made from now on start with (a copy). */
  get sessionIdContext(): Uint8Array {
    return this.sidCtx.slice();
  }

  /**
   * The sid_ctx itself, for the connections made from this context: sharing it gives them
   * what SSL_new's copy gives, because this context replaces its array when the value
   * changes (setSessionIdContext) and never writes into it, so a connection keeps the value
   * it started with. Nobody may write into what this returns.
   */
  get [SID_CTX_BYTES](): Uint8Array {
    return this.sidCtx;
  }

  /**
   * SSL_CTX_set_session_id_context: 0..32 bytes. Too long fails with
   * SSL_SESSION_ID_CONTEXT_TOO_LONG and leaves the old value in place.
   */
  setSessionIdContext(value: string | Uint8Array): void {
    this.sidCtx = toSidCtxBytes(value);
  }

  /**
   * Puts a session exported elsewhere (Session, DER or PEM, as OpenSSL's d2i_SSL_SESSION
   * reads) into this context's cache. A session made under another sid_ctx imports fine
   * but will never resume here. Malformed input throws TlsDecodeError.
   */
  async importSession(data: Session | Uint8Array | string): Promise<Session> {
    const session = data instanceof Session ? data : typeof data === 'string' ? Session.fromPEM(data) : Session.fromDER(data);
    if (!this.sessionCache) throw new TlsConfigError('ERR_NO_SESSION_CACHE', 'this context has no session cache to import into');
    if (session.sessionId.length === 0) throw new TlsConfigError('ERR_INVALID_ARG', 'a session without a session ID cannot be looked up');
    await this.sessionCache.set(session);
    return session;
  }

  /** The context registered for a server name, exact match first, then a wildcard. */
  lookupServerName(servername: string): TlsContext | undefined {
    return this.serverNames.lookup(servername);
  }
}

/** Loads the keys and certificate chains and pairs them (each key with the chain whose leaf it matches). */
function loadCertificates(
  crypto: CryptoProvider,
  key: PemInput | readonly PemInput[] | undefined,
  cert: PemInput | readonly PemInput[] | undefined,
): ServerCertificate[] {
  const list = (v: PemInput | readonly PemInput[] | undefined): readonly PemInput[] =>
    v === undefined ? [] : typeof v === 'string' || v instanceof Uint8Array ? [v] : v;
  return loadServerCertificates(crypto, list(key), list(cert));
}

function checkTimeout(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 0xffffffff) {
    throw new TlsConfigError('ERR_OUT_OF_RANGE', `sessionTimeout must be a whole number of seconds, not ${seconds}`);
  }
  return seconds;
}

function checkMaxCertificateChain(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new TlsConfigError('ERR_INVALID_ARG', `maxCertificateChain must be a whole number of certificates, at least 1, not ${n}`);
  }
  return n;
}

function checkAlpnList(list: readonly string[]): readonly string[] {
  for (const p of list) {
    if (typeof p !== 'string' || p.length === 0 || p.length > 255 || /[^\x00-\xff]/.test(p)) {
      throw new TlsConfigError('ERR_INVALID_ARG', `invalid ALPN protocol name ${JSON.stringify(p)}`);
    }
  }
  return [...list];
}
