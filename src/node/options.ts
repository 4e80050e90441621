import { createHash } from 'node:crypto';
import { latin1String } from '../codec/bytes.js';
import { TlsContext, type TlsContextOptions } from '../context.js';
import { TlsConfigError } from '../errors.js';
import type { SessionCache } from '../session/cache.js';
import { isTicketKeySource, type TicketKeySource } from '../session/tickets.js';

/** The options of `createServer`, shaped like node:tls's. */
export interface ServerOptions {
  /**
   * A PEM private key, or several (node:tls: PEMs or `{ pem, passphrase }` objects; puretls
   * takes unencrypted keys only). Each is paired with the `cert` chain whose leaf it matches.
   */
  key?: string | Uint8Array | ReadonlyArray<string | Uint8Array | KeyObjectOption>;
  /** A PEM certificate chain (leaf first), or several chains, one per key (node:tls's array). */
  cert?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
  /** OpenSSL cipher list; names we do not implement are skipped, as OpenSSL does. */
  ciphers?: string;
  /** "auto" or a colon-separated list: X25519, P-256 (prime256v1), P-384 (secp384r1). */
  ecdhCurve?: string;
  /** Server preference order (true, the puretls default) or the client's (false). */
  honorCipherOrder?: boolean;
  /** ALPN protocols in server preference order: an array of names, or node:tls's wire format. */
  ALPNProtocols?: ReadonlyArray<string | Uint8Array> | Uint8Array;
  /** Only 'TLSv1.2' (puretls speaks nothing else); anything else is refused. */
  minVersion?: string;
  /** Only 'TLSv1.2', as minVersion. */
  maxVersion?: string;
  /** Milliseconds a client has to finish the handshake. Default 120000, as node:tls. */
  handshakeTimeout?: number;
  /** Default: node:tls's, a SHA-1 of the command line (see README). */
  sessionIdContext?: string;
  /** Seconds. Default 300, as node:tls documents. */
  sessionTimeout?: number;
  /** node:tls's SNICallback: `cb(null, context)` with a TlsContext (or undefined for the default). */
  SNICallback?: (servername: string, cb: (err: Error | null, context?: TlsContext) => void) => void;
  /**
   * 48 bytes: 16-byte key name and 32 bytes of secret, as node:tls; or keys shared by a fleet
   * (a TicketKeySource such as puretls/redis's RedisTicketKeys).
   */
  ticketKeys?: Uint8Array | TicketKeySource;
  /** puretls: false turns session tickets off (as `secureOptions: SSL_OP_NO_TICKET`). */
  tickets?: boolean;
  /** OpenSSL SSL_OP_* flags; only those that make sense for a TLS 1.2-only server are accepted. */
  secureOptions?: number;
  /** Ask clients for an (ECDSA) certificate. */
  requestCert?: boolean;
  /** With requestCert: refuse clients without a certificate that verifies against `ca`. Default true. */
  rejectUnauthorized?: boolean;
  /** PEM CA certificates that issue client certificates. */
  ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
  /** puretls: most certificates a client may send, leaf included. Default 10. */
  maxCertificateChain?: number;
  /** puretls: the server-side session-ID cache, or false for none. Default: in memory. */
  sessionCache?: SessionCache | false;
  /** puretls: a ready-made context instead of key/cert/ciphers/... */
  context?: TlsContext;
  /** node:tls's: print a trace of every connection's messages to stderr (see TlsSocket.enableTrace). */
  enableTrace?: boolean;
  /** net.Server's: keep a socket's writable side open after the client ends its side. */
  allowHalfOpen?: boolean;
  /** net.Server's: accepted TCP sockets start paused. */
  pauseOnConnect?: boolean;
  /** net.Server's: Nagle's algorithm off on accepted sockets. */
  noDelay?: boolean;
  /** net.Server's: TCP keep-alive on accepted sockets. */
  keepAlive?: boolean;
  /** net.Server's: the keep-alive delay, in milliseconds. */
  keepAliveInitialDelay?: number;
  /** net.Server's: the accepted sockets' stream buffer sizes. */
  highWaterMark?: number;
}

/** node:tls's `{ pem, passphrase }` form of a `key` array element. */
export interface KeyObjectOption {
  pem: string | Uint8Array;
  passphrase?: string;
}

const NET_OPTIONS = ['allowHalfOpen', 'pauseOnConnect', 'noDelay', 'keepAlive', 'keepAliveInitialDelay', 'highWaterMark'] as const;
/** Options that build the TlsContext: with a ready `context` they cannot take effect, so they are refused. */
export const CONTEXT_OPTIONS = [
  'key',
  'cert',
  'ca',
  'ciphers',
  'ecdhCurve',
  'honorCipherOrder',
  'ALPNProtocols',
  'sessionIdContext',
  'sessionTimeout',
  'ticketKeys',
  'tickets',
  'secureOptions',
  'sessionCache',
] as const;
/**
 * Options the server applies itself, with or without a ready `context`: the client-auth
 * policy goes into every connection (OpenSSL's SSL_set_verify), SNICallback chooses virtual
 * hosts, the versions are checked (TLSv1.2 is the only one), the timeout is the socket's.
 */
export const SERVER_OPTIONS = [
  'requestCert',
  'rejectUnauthorized',
  'maxCertificateChain',
  'SNICallback',
  'handshakeTimeout',
  'minVersion',
  'maxVersion',
  'context',
  'enableTrace',
] as const;
const TLS_OPTIONS = [...CONTEXT_OPTIONS, ...SERVER_OPTIONS];
const KNOWN = new Set<string>([...NET_OPTIONS, ...TLS_OPTIONS]);

/** node:tls's default handshakeTimeout. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 120_000;
/** node:tls's documented default sessionTimeout. */
export const DEFAULT_NODE_SESSION_TIMEOUT = 300;

let defaultSessionIdContext: string | undefined;

/**
 * node:tls's default sessionIdContext: the first 32 hex digits of SHA-1 over the command
 * line. Two processes started the same way share it, so they can share sessions.
 */
export function nodeDefaultSessionIdContext(): string {
  defaultSessionIdContext ??= createHash('sha1').update(process.argv.join(' ')).digest('hex').slice(0, 32);
  return defaultSessionIdContext;
}

function invalid(message: string): TlsConfigError {
  return new TlsConfigError('ERR_INVALID_ARG_VALUE', message);
}

function toText(v: string | Uint8Array): string {
  return typeof v === 'string' ? v : new TextDecoder().decode(v);
}

/** PEM from a string, Buffer, or an array of them (joined, as node:tls accepts chains). */
function pemOption(name: string, v: ServerOptions['key']): string | undefined {
  if (v === undefined) return undefined;
  const parts = Array.isArray(v) ? v : [v];
  for (const p of parts) {
    if (typeof p !== 'string' && !(p instanceof Uint8Array)) throw invalid(`${name} must be a PEM string or Buffer`);
  }
  return parts.map((p) => toText(p as string | Uint8Array)).join('\n');
}

/**
 * node:tls's `key` and `cert`: one PEM (a Buffer or string), or an array of them, each one
 * key or one chain (tls.createSecureContext loads them one by one); a `key` element may be
 * `{ pem, passphrase }`. A passphrase cannot help: encrypted keys are refused when loaded.
 */
function pemListOption(name: 'key' | 'cert', v: ServerOptions['key']): string[] | undefined {
  if (v === undefined) return undefined;
  const parts = Array.isArray(v) ? v : [v];
  return parts.map((p: unknown) => {
    if (typeof p === 'string' || p instanceof Uint8Array) return toText(p);
    if (name === 'key' && p !== null && typeof p === 'object' && 'pem' in p) {
      const { pem, passphrase } = p as KeyObjectOption;
      if (typeof pem !== 'string' && !(pem instanceof Uint8Array)) throw invalid('key[].pem must be a PEM string or Buffer');
      if (passphrase !== undefined && typeof passphrase !== 'string') throw invalid('key[].passphrase must be a string');
      return toText(pem);
    }
    throw invalid(`${name} must be a PEM string or Buffer${name === 'key' ? ', or { pem, passphrase }' : ''}, or an array of them`);
  });
}

/** ALPN as node:tls takes it: an array of names, or the wire format (length-prefixed names). */
export function alpnOption(v: ServerOptions['ALPNProtocols']): string[] | undefined {
  if (v === undefined) return undefined;
  if (v instanceof Uint8Array) {
    const out: string[] = [];
    for (let i = 0; i < v.length; ) {
      const n = v[i]!;
      if (n === 0 || i + 1 + n > v.length) throw invalid('ALPNProtocols: malformed wire-format buffer');
      out.push(latin1String(v.subarray(i + 1, i + 1 + n)));
      i += 1 + n;
    }
    return out;
  }
  if (!Array.isArray(v)) throw invalid('ALPNProtocols must be an array or a Buffer');
  return v.map((p) => (typeof p === 'string' ? p : latin1String(p)));
}

/** OpenSSL's SSL_OP_NO_TICKET. */
export const SSL_OP_NO_TICKET = 0x4000;
/**
 * secureOptions bits that change nothing here: protocols we never speak, renegotiation we
 * always refuse, compression we never do, server cipher preference (our default).
 */
const HARMLESS_SECURE_OPTIONS =
  0x00000004 /* LEGACY_SERVER_CONNECT */ |
  0x00020000 /* NO_COMPRESSION */ |
  0x00400000 /* CIPHER_SERVER_PREFERENCE */ |
  0x02000000 /* NO_SSLv3 */ |
  0x04000000 /* NO_TLSv1 */ |
  0x10000000 /* NO_TLSv1_1 */ |
  0x20000000 /* NO_TLSv1_3 */ |
  0x40000000; /* NO_RENEGOTIATION */

/** Whether tickets stay on, given node:tls's secureOptions; unknown bits are an error. */
function ticketsFromSecureOptions(secureOptions: number | undefined): boolean {
  if (secureOptions === undefined) return true;
  if (!Number.isInteger(secureOptions) || secureOptions < 0) throw invalid('secureOptions must be a non-negative integer');
  const unsupported = secureOptions & ~(HARMLESS_SECURE_OPTIONS | SSL_OP_NO_TICKET);
  if (unsupported !== 0) {
    throw new TlsConfigError('ERR_UNSUPPORTED_OPTION', `secureOptions bits 0x${(unsupported >>> 0).toString(16)} are not supported by puretls`);
  }
  return (secureOptions & SSL_OP_NO_TICKET) === 0;
}

function checkVersion(name: string, v: string | undefined): void {
  if (v !== undefined && v !== 'TLSv1.2') {
    throw new TlsConfigError('ERR_TLS_INVALID_PROTOCOL_VERSION', `${name} '${v}' is not supported: puretls speaks TLSv1.2 only`);
  }
}

export type PromisedSniCallback = (servername: string) => Promise<TlsContext | undefined>;

export interface ResolvedServerOptions {
  context: TlsContext;
  /** The server's client-auth policy, given to every connection; undefined: the context's. */
  requestCert: boolean | undefined;
  rejectUnauthorized: boolean | undefined;
  /** The verify depth every connection takes (OpenSSL keeps it with the SSL); undefined: the context's. */
  maxCertificateChain: number | undefined;
  /** node:tls's SNICallback, promise-shaped. */
  sniCallback: PromisedSniCallback | undefined;
  handshakeTimeout: number;
  netOptions: Record<string, unknown>;
}

/**
 * Validates node:tls-shaped options and builds the TlsContext they describe. `defaultCache`
 * makes the session cache when the options name none (the server's node:tls events), so the
 * context is complete when it is made and never changed afterwards.
 */
export function resolveServerOptions(options: ServerOptions, defaultCache?: () => SessionCache): ResolvedServerOptions {
  if (options === null || typeof options !== 'object') throw new TlsConfigError('ERR_INVALID_ARG_TYPE', 'options must be an object');
  const given = (k: string): boolean => (options as Record<string, unknown>)[k] !== undefined;
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k) && given(k)) {
      throw new TlsConfigError('ERR_UNSUPPORTED_OPTION', `option '${k}' is not supported by puretls (supported: ${[...KNOWN].join(', ')})`);
    }
  }
  checkVersion('minVersion', options.minVersion);
  checkVersion('maxVersion', options.maxVersion);
  const handshakeTimeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
  if (typeof handshakeTimeout !== 'number') throw new TlsConfigError('ERR_INVALID_ARG_TYPE', 'handshakeTimeout must be a number of milliseconds');
  if (!Number.isFinite(handshakeTimeout) || handshakeTimeout < 0) throw invalid('handshakeTimeout must be a number of milliseconds');
  if (options.SNICallback !== undefined && typeof options.SNICallback !== 'function') {
    throw new TlsConfigError('ERR_INVALID_ARG_TYPE', 'SNICallback must be a function');
  }
  for (const k of ['requestCert', 'rejectUnauthorized'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'boolean') throw invalid(`${k} must be a boolean`);
  }

  const netOptions: Record<string, unknown> = {};
  for (const k of NET_OPTIONS) if (options[k] !== undefined) netOptions[k] = options[k];

  let context: TlsContext;
  if (options.context !== undefined) {
    if (!(options.context instanceof TlsContext)) throw invalid('context must be a TlsContext');
    // A ready context is not changed behind the application's back: what would have to go
    // into it is refused, naming the option, rather than silently dropped.
    const clash = CONTEXT_OPTIONS.filter(given);
    if (clash.length > 0) {
      throw new TlsConfigError(
        'ERR_UNSUPPORTED_OPTION',
        `option${clash.length > 1 ? 's' : ''} ${clash.map((k) => `'${k}'`).join(', ')} cannot be combined with 'context': set ${clash.length > 1 ? 'them' : 'it'} on the TlsContext`,
      );
    }
    context = options.context;
  } else {
    const ctxOptions = contextOptions(options);
    if (ctxOptions.sessionCache === undefined && defaultCache) ctxOptions.sessionCache = defaultCache();
    context = new TlsContext(ctxOptions);
  }
  return {
    context,
    requestCert: options.requestCert,
    rejectUnauthorized: options.rejectUnauthorized,
    maxCertificateChain: options.maxCertificateChain,
    sniCallback: options.SNICallback && promiseShapedSniCallback(options.SNICallback),
    handshakeTimeout,
    netOptions,
  };
}

/**
 * What node:tls's createSecureContext (and setSecureContext, addContext) take, as puretls
 * takes it: the context options of createServer, the versions, and the client-auth policy a
 * virtual host may tighten. Anything else (pfx, passphrase, crl, dhparam, sigalgs, engines,
 * ...) is refused by name (ERR_UNSUPPORTED_OPTION), never ignored.
 */
export const SECURE_CONTEXT_OPTIONS = [...CONTEXT_OPTIONS, 'minVersion', 'maxVersion', 'requestCert', 'rejectUnauthorized', 'maxCertificateChain'] as const;

/** Checks node:tls-shaped createSecureContext options and gives the TlsContext options they describe. */
export function secureContextOptions(options: ServerOptions): TlsContextOptions {
  const known = new Set<string>(SECURE_CONTEXT_OPTIONS);
  for (const k of Object.keys(options)) {
    if (!known.has(k) && (options as Record<string, unknown>)[k] !== undefined) {
      throw new TlsConfigError('ERR_UNSUPPORTED_OPTION', `secure context option '${k}' is not supported by puretls (supported: ${[...known].join(', ')})`);
    }
  }
  checkVersion('minVersion', options.minVersion);
  checkVersion('maxVersion', options.maxVersion);
  return contextOptions(options);
}

/** The TlsContext options that node:tls-shaped server options describe. */
function contextOptions(options: ServerOptions): TlsContextOptions {
  const ctxOptions: TlsContextOptions = {
    sessionIdContext: options.sessionIdContext ?? nodeDefaultSessionIdContext(),
    sessionTimeout: options.sessionTimeout ?? DEFAULT_NODE_SESSION_TIMEOUT,
  };
  const key = pemListOption('key', options.key);
  const cert = pemListOption('cert', options.cert);
  if (key !== undefined) ctxOptions.key = key;
  if (cert !== undefined) ctxOptions.cert = cert;
  if (options.ciphers !== undefined) ctxOptions.ciphers = options.ciphers;
  if (options.ecdhCurve !== undefined) ctxOptions.groups = options.ecdhCurve;
  if (options.honorCipherOrder !== undefined) ctxOptions.clientCipherPreference = !options.honorCipherOrder;
  if (options.requestCert !== undefined) ctxOptions.requestCert = options.requestCert;
  if (options.rejectUnauthorized !== undefined) ctxOptions.rejectUnauthorized = options.rejectUnauthorized;
  if (options.maxCertificateChain !== undefined) ctxOptions.maxCertificateChain = options.maxCertificateChain;
  const ca = pemOption('ca', options.ca);
  if (ca !== undefined) ctxOptions.ca = ca;
  const alpn = alpnOption(options.ALPNProtocols);
  if (alpn !== undefined) ctxOptions.alpnProtocols = alpn;
  if (options.sessionCache !== undefined) ctxOptions.sessionCache = options.sessionCache;
  const tickets = ticketsFromSecureOptions(options.secureOptions) && options.tickets !== false;
  if (!tickets) ctxOptions.tickets = false;
  if (options.ticketKeys !== undefined) {
    if (!(options.ticketKeys instanceof Uint8Array) && !isTicketKeySource(options.ticketKeys)) {
      throw invalid('ticketKeys must be a Buffer of 48 bytes or a TicketKeySource');
    }
    ctxOptions.ticketKeys = options.ticketKeys;
  }
  return ctxOptions;
}

/** node:tls's SNICallback(servername, cb) as a promise of the chosen TlsContext. */
function promiseShapedSniCallback(callback: NonNullable<ServerOptions['SNICallback']>): PromisedSniCallback {
  return (servername) =>
    new Promise<TlsContext | undefined>((resolve, reject) => {
      let called = false;
      callback(servername, (err, ctx) => {
        if (called) return;
        called = true;
        if (err) reject(err);
        else if (ctx !== undefined && ctx !== null && !(ctx instanceof TlsContext)) reject(invalid('SNICallback must return a TlsContext'));
        else resolve(ctx ?? undefined);
      });
    });
}
