import net from 'node:net';
import type { SecureContext as NodeSecureContext, SecureContextOptions, TlsOptions } from 'node:tls';
import { ServerConnection, type ConnectionOptions } from '../connection.js';
import { TlsContext, type TlsContextOptions } from '../context.js';
import { TlsConfigError, TlsError } from '../errors.js';
import { ServerNameTable } from '../server-names.js';
import type { MaybePromise } from '../maybe-promise.js';
import { resolveServerOptions, secureContextOptions, type PromisedSniCallback, type ServerOptions } from './options.js';
import { MemorySessionCache } from '../session/memory-cache.js';
import { debug, debugEnabled, handshakeEnd, handshakeError, handshakeStart } from './observe.js';
import { NodeEventSessionCache } from './session-events.js';
import type { SecureContextInput } from './secure-context.js';
import { TlsSocket } from './socket.js';
import { validateObject } from './validate.js';

/** What the server does with an error on a socket nobody else listens to: nothing (it must not crash the process). */
function ignoreError(): void {}

/** The listener of 'secureConnection': called with each socket whose handshake completed. */
export type SecureConnectionListener = (socket: TlsSocket) => void;


/** addContext options in puretls's own names (TlsContextOptions) rather than node:tls's. */
const PURETLS_CONTEXT_NAMES = ['alpnProtocols', 'groups', 'clientCipherPreference', 'crypto', 'now'] as const;

/**
 * A net.Server that speaks TLS 1.2 through puretls, shaped like node:tls's tls.Server:
 * events `secureConnection` (socket), `tlsClientError` (error, socket), `keylog`
 * (line, socket), `newSession` and `resumeSession`. `OCSPRequest` listeners are refused:
 * puretls does not staple OCSP responses.
 */
export class Server extends net.Server {
  /** The context new connections start with; `setSecureContext` replaces it. */
  private currentContext: TlsContext;
  private readonly handshakeTimeout: number;
  /** net.Server's option, which node:tls hands on to its sockets (pauseOnCreate). */
  private readonly pauseOnConnect: boolean;
  private readonly enableTrace: boolean;
  private readonly allowHalfOpenTls: boolean;
  /** What every connection starts with: the client-auth policy and how virtual hosts are chosen. */
  private readonly connectionOptions: ConnectionOptions;
  private readonly sniCallback: PromisedSniCallback | undefined;
  /** addContext's hosts, as given (they are served under the current context when chosen). */
  private readonly virtualHosts = new ServerNameTable<TlsContext>();
  /** Hosts served under the current context's session settings, made once per host and context. */
  private servedContexts = new WeakMap<TlsContext, TlsContext>();

  constructor(nodeOrOurOptions: ServerOptions | TlsOptions = {}, secureConnectionListener?: SecureConnectionListener) {
    const options = nodeOrOurOptions as ServerOptions;
    // Only a cache the server makes itself turns into node:tls's events; one handed in stays.
    let events: NodeEventSessionCache | undefined;
    const resolved = resolveServerOptions(options, () => (events = new NodeEventSessionCache(new MemorySessionCache())));
    // The raw sockets always stay half-open: the TLS layer decides when to end them.
    super({ ...resolved.netOptions, allowHalfOpen: true });
    this.currentContext = resolved.context;
    this.enableTrace = options.enableTrace === true;
    // puretls does not staple OCSP responses (RFC 6066 §8): a listener would never be called.
    this.on('newListener', (event: string | symbol) => {
      if (event === 'OCSPRequest') {
        throw new TlsConfigError('ERR_OCSP_STAPLING_UNSUPPORTED', "puretls does not staple OCSP responses (status_request): an 'OCSPRequest' listener would never be called");
      }
    });
    events?.listenOn(this);
    this.handshakeTimeout = resolved.handshakeTimeout;
    this.pauseOnConnect = resolved.netOptions.pauseOnConnect === true;
    this.allowHalfOpenTls = options.allowHalfOpen ?? false;
    this.sniCallback = resolved.sniCallback;
    this.connectionOptions = {
      // The server's policy, also over a ready `context` (OpenSSL's SSL_set_verify per connection).
      ...(resolved.requestCert !== undefined ? { requestCert: resolved.requestCert } : {}),
      ...(resolved.rejectUnauthorized !== undefined ? { rejectUnauthorized: resolved.rejectUnauthorized } : {}),
      ...(resolved.maxCertificateChain !== undefined ? { maxCertificateChain: resolved.maxCertificateChain } : {}),
      selectContext: (servername) => this.selectContext(servername),
    };
    if (secureConnectionListener) this.on('secureConnection', secureConnectionListener);
    this.on('connection', (raw: net.Socket) => this.accept(raw));
  }

  /** The context new connections start with (the one `setSecureContext` installed last). */
  get context(): TlsContext {
    return this.currentContext;
  }

  private accept(raw: net.Socket): void {
    const connection = new ServerConnection(this.currentContext, this.connectionOptions);
    // As node:tls: key log lines go to the socket's 'keylog' and on to the server's
    // (line, socket), when the server had a 'keylog' listener as the connection arrived.
    const keylog = this.listenerCount('keylog') > 0;
    const socket: TlsSocket = new TlsSocket(raw, connection, {
      handshakeTimeout: this.handshakeTimeout,
      allowHalfOpen: this.allowHalfOpenTls,
      keylog,
      server: this,
      enableTrace: this.enableTrace,
      pauseOnConnect: this.pauseOnConnect,
    });
    if (handshakeStart.hasSubscribers) handshakeStart.publish({ socket, server: this });
    if (debugEnabled()) debug('server accepted a connection from %s:%s', raw.remoteAddress, raw.remotePort);
    // The same functions for every socket, not closures made here: V8 makes node's listener
    // arrays in the old generation (allocation-site pretenuring), so what a listener holds
    // survives every scavenge until the next full collection, after the socket has closed;
    // a closure made in this call would hold the connection and the accepted socket (see the
    // README's Performance, "what survives a scavenge").
    if (keylog) socket.on('keylog', Server.forwardKeylog);
    socket.once('secure', Server.onSecure);
    socket.once('handshakeError', Server.onHandshakeError);
    // An error on an established socket belongs to whoever holds it; unheard, it must not crash us.
    socket.on('error', ignoreError);
  }

  /** A socket's handshake completed: 'secureConnection'. */
  private static onSecure(this: TlsSocket): void {
    const server = this.server as Server;
    const connection = this.connection;
    if (handshakeEnd.hasSubscribers) handshakeEnd.publish({ socket: this, server, durationMs: performance.now() - this.startedAt });
    if (debugEnabled()) {
      debug(
        'server handshake done with %s:%s: %s %s%s, ALPN %s, SNI %s',
        this.remoteAddress,
        this.remotePort,
        connection.protocol,
        connection.cipher?.name,
        connection.isSessionReused ? ' (resumed)' : '',
        connection.alpnProtocol ?? 'none',
        connection.serverName ?? 'none',
      );
    }
    server.emit('secureConnection', this);
  }

  /** A socket's handshake failed: counted, published, and 'tlsClientError' if anyone listens. */
  private static onHandshakeError(this: TlsSocket, err: Error & { code?: string }): void {
    const server = this.server as Server;
    // The connection counts its own TLS failures; the socket's (a timeout, a reset) are counted here.
    if (!(err instanceof TlsError)) this.connection.context.stats.failures.count(err.code ?? 'ERR_SOCKET');
    if (handshakeError.hasSubscribers) handshakeError.publish({ socket: this, server, error: err, durationMs: performance.now() - this.startedAt });
    if (debugEnabled()) debug('server handshake with %s:%s failed: %s %s', this.socket.remoteAddress, this.socket.remotePort, err.code, err.message);
    if (server.listenerCount('tlsClientError') > 0) server.emit('tlsClientError', err, this);
  }

  /** A key log line of a socket, on to the server's 'keylog' (line, socket). */
  private static forwardKeylog(this: TlsSocket, line: Buffer): void {
    this.server?.emit('keylog', line, this);
  }

  /**
   * node:tls's setSecureContext: a new context, built from `options` as createServer builds
   * its own, serves every connection from now on; connections already open keep theirs
   * (contexts never change once made), so a certificate is reloaded without dropping any.
   * As in node:tls, options not given take their defaults again, except what is the
   * server's: ALPN, session timeout, the session cache and the ticket keys stay (so sessions
   * and tickets issued before still resume; `ticketKeys` here replaces the keys, as
   * node:tls's setTicketKeys). Virtual hosts are served under the new context.
   */
  setSecureContext(options: SecureContextOptions): void {
    validateObject(options, 'options');
    const previous = this.currentContext;
    const ctxOptions = secureContextOptions(options as ServerOptions);
    const ticketKeys = ctxOptions.ticketKeys;
    delete ctxOptions.ticketKeys;
    if (ctxOptions.tickets !== false && previous.ticketKeyring) ctxOptions.ticketKeyring = previous.ticketKeyring;
    else ctxOptions.tickets = false;
    const next = new TlsContext({
      alpnProtocols: previous.alpnProtocols,
      requestCert: previous.requestCert,
      rejectUnauthorized: previous.rejectUnauthorized,
      maxCertificateChain: previous.maxCertificateChain,
      ...ctxOptions,
      sessionCache: previous.sessionCache ?? false,
      sessionTimeout: options.sessionTimeout ?? previous.sessionTimeout,
    });
    if (ticketKeys instanceof Uint8Array) next.setTicketKeys(ticketKeys);
    this.currentContext = next;
    this.servedContexts = new WeakMap();
    if (debugEnabled()) debug('server secure context replaced');
  }

  /** node:tls's getTicketKeys: the current 48-byte ticket key. */
  getTicketKeys(): Buffer<ArrayBuffer> {
    return Buffer.from(this.currentContext.getTicketKeys());
  }

  /** node:tls's setTicketKeys; tickets under the previous key still open for one lifetime. */
  setTicketKeys(keys: Uint8Array): void {
    this.currentContext.setTicketKeys(keys);
  }

  /**
   * A virtual host (node:tls's addContext): a TlsContext, or the options to build one. As in
   * node:tls, the host brings its key, certificate, trust anchors (`ca`), ciphers and groups;
   * the server's client-auth policy, ALPN list, session id context (unless the host sets its
   * own), session cache, session lifetime and ticket keys apply to it (so `setTicketKeys`
   * covers every host). The host may ask more of clients (`requestCert`), never less.
   * Options are node:tls's (as createSecureContext takes them) or puretls's TlsContextOptions.
   */
  addContext(hostname: string, context: TlsContext | SecureContextInput | TlsContextOptions | NodeSecureContext): void {
    if (typeof hostname !== 'string' || hostname.length === 0) {
      throw new TlsConfigError('ERR_TLS_REQUIRED_SERVER_NAME', '"servername" is required parameter for Server.addContext');
    }
    const host = context instanceof TlsContext ? context : virtualHostContext(context);
    this.virtualHosts.set(hostname, host);
  }

  /**
   * Which context serves an SNI name: SNICallback's answer when there is a callback (it takes
   * precedence over addContext, as in node:tls), else an addContext host, else whatever the
   * default context itself maps the name to.
   */
  private selectContext(servername: string): MaybePromise<TlsContext | undefined> {
    if (this.sniCallback) return this.sniCallback(servername).then((ctx) => ctx && this.servedHere(ctx));
    const host = this.virtualHosts.lookup(servername);
    return host ? this.servedHere(host) : this.currentContext.selectServerName(servername);
  }

  /** `host` with this server's session settings (node:tls's split; see TlsContext.servedUnder). */
  private servedHere(host: TlsContext): TlsContext {
    if (host === this.currentContext) return host;
    let served = this.servedContexts.get(host);
    if (!served) {
      served = host.servedUnder(this.currentContext);
      this.servedContexts.set(host, served);
    }
    return served;
  }
}

/** Options that a virtual host cannot have: they are the server's (see addContext). */
const SERVER_LEVEL_CONTEXT_OPTIONS = ['sessionCache', 'sessionTimeout', 'tickets', 'ticketKeys', 'ticketKeyring', 'serverNames', 'sniCallback'] as const;

/** The context addContext builds from options: certificate side only, checked. */
function virtualHostContext(options: SecureContextInput | TlsContextOptions | NodeSecureContext): TlsContext {
  validateObject(options, 'context');
  const given = (k: string): boolean => (options as Record<string, unknown>)[k] !== undefined;
  if (given('context')) {
    throw new TlsConfigError('ERR_INVALID_ARG_TYPE', "a node:tls SecureContext cannot serve puretls connections: make it with puretls's createSecureContext");
  }
  const clash = SERVER_LEVEL_CONTEXT_OPTIONS.filter(given);
  if (clash.length > 0) {
    throw new TlsConfigError(
      'ERR_UNSUPPORTED_OPTION',
      `addContext: ${clash.map((k) => `'${k}'`).join(', ')} cannot be set per host; the server's apply to every host`,
    );
  }
  // No cache or ticket keys of its own: servedUnder gives it the server's.
  if (PURETLS_CONTEXT_NAMES.some(given)) return new TlsContext({ ...(options as TlsContextOptions), sessionCache: false, tickets: false });
  const ctxOptions = secureContextOptions(options as ServerOptions);
  if (!given('sessionIdContext')) delete ctxOptions.sessionIdContext;
  delete ctxOptions.sessionTimeout;
  return new TlsContext({ ...ctxOptions, sessionCache: false, tickets: false });
}

/**
 * node:tls's createServer, serving TLS 1.2 with puretls. node:tls's TlsOptions type is
 * accepted as well, so options typed for node:tls compile; what puretls cannot do is
 * refused by name when the server is made (ERR_UNSUPPORTED_OPTION), never ignored.
 */
export function createServer(options?: ServerOptions, secureConnectionListener?: SecureConnectionListener): Server;
export function createServer(options: TlsOptions, secureConnectionListener?: SecureConnectionListener): Server;
export function createServer(secureConnectionListener?: SecureConnectionListener): Server;
export function createServer(
  a?: ServerOptions | TlsOptions | SecureConnectionListener,
  b?: SecureConnectionListener,
): Server {
  return typeof a === 'function' ? new Server({}, a) : new Server((a ?? {}) as ServerOptions, b);
}
