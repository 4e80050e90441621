import net from 'node:net';
import { ServerConnection, type ConnectionOptions } from '../connection.js';
import { TlsContext, type TlsContextOptions } from '../context.js';
import { TlsConfigError } from '../errors.js';
import { ServerNameTable } from '../server-names.js';
import type { MaybePromise } from '../maybe-promise.js';
import { resolveServerOptions, type PromisedSniCallback, type ServerOptions } from './options.js';
import { MemorySessionCache } from '../session/memory-cache.js';
import { NodeEventSessionCache } from './session-events.js';
import { TlsSocket } from './socket.js';

export type SecureConnectionListener = (socket: TlsSocket) => void;

/**
 * A net.Server that speaks TLS 1.2 through puretls, shaped like node:tls's tls.Server:
 * events `secureConnection` (socket), `tlsClientError` (error, socket) and `keylog`
 * (line, socket).
 */
export class Server extends net.Server {
  /** The default context (virtual hosts come from `addContext` or `SNICallback`; see addContext). */
  readonly context: TlsContext;
  private readonly handshakeTimeout: number;
  private readonly allowHalfOpenTls: boolean;
  /** What every connection starts with: the client-auth policy and how virtual hosts are chosen. */
  private readonly connectionOptions: ConnectionOptions;
  private readonly sniCallback: PromisedSniCallback | undefined;
  /** addContext's hosts, already served under this server's session settings. */
  private readonly virtualHosts = new ServerNameTable<TlsContext>();
  /** SNICallback answers served under this server's session settings, made once per context. */
  private readonly servedContexts = new WeakMap<TlsContext, TlsContext>();

  constructor(options: ServerOptions = {}, secureConnectionListener?: SecureConnectionListener) {
    // Only a cache the server makes itself turns into node:tls's events; one handed in stays.
    let events: NodeEventSessionCache | undefined;
    const resolved = resolveServerOptions(options, () => (events = new NodeEventSessionCache(new MemorySessionCache())));
    // The raw sockets always stay half-open: the TLS layer decides when to end them.
    super({ ...resolved.netOptions, allowHalfOpen: true });
    this.context = resolved.context;
    events?.listenOn(this);
    this.handshakeTimeout = resolved.handshakeTimeout;
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

  private accept(raw: net.Socket): void {
    const connection = new ServerConnection(this.context, this.connectionOptions);
    // As node:tls: key log lines go to the socket's 'keylog' and on to the server's
    // (line, socket), when the server had a 'keylog' listener as the connection arrived.
    const keylog = this.listenerCount('keylog') > 0;
    const socket: TlsSocket = new TlsSocket(raw, connection, {
      handshakeTimeout: this.handshakeTimeout,
      allowHalfOpen: this.allowHalfOpenTls,
      keylog,
    });
    if (keylog) socket.on('keylog', (line: Buffer) => this.emit('keylog', line, socket));
    socket.once('secure', () => this.emit('secureConnection', socket));
    socket.once('handshakeError', (err: Error) => {
      if (this.listenerCount('tlsClientError') > 0) this.emit('tlsClientError', err, socket);
    });
    // An error on an established socket belongs to whoever holds it; unheard, it must not crash us.
    socket.on('error', () => undefined);
  }

  /** node:tls's getTicketKeys: the current 48-byte ticket key. */
  getTicketKeys(): Buffer {
    return Buffer.from(this.context.getTicketKeys());
  }

  /** node:tls's setTicketKeys; tickets under the previous key still open for one lifetime. */
  setTicketKeys(keys: Uint8Array): void {
    this.context.setTicketKeys(keys);
  }

  /**
   * A virtual host (node:tls's addContext): a TlsContext, or the options to build one. As in
   * node:tls, the host brings its key, certificate, trust anchors (`ca`), ciphers and groups;
   * the server's client-auth policy, ALPN list, session id context (unless the host sets its
   * own), session cache, session lifetime and ticket keys apply to it (so `setTicketKeys`
   * covers every host). The host may ask more of clients (`requestCert`), never less.
   */
  addContext(hostname: string, context: TlsContext | TlsContextOptions): void {
    if (typeof hostname !== 'string' || hostname.length === 0) throw new TlsConfigError('ERR_INVALID_ARG_VALUE', 'addContext needs a host name');
    const host = context instanceof TlsContext ? context : virtualHostContext(context);
    this.virtualHosts.set(hostname, this.servedHere(host));
  }

  /**
   * Which context serves an SNI name: SNICallback's answer when there is a callback (it takes
   * precedence over addContext, as in node:tls), else an addContext host, else whatever the
   * default context itself maps the name to.
   */
  private selectContext(servername: string): MaybePromise<TlsContext | undefined> {
    if (this.sniCallback) return this.sniCallback(servername).then((ctx) => ctx && this.servedHere(ctx));
    return this.virtualHosts.lookup(servername) ?? this.context.selectServerName(servername);
  }

  /** `host` with this server's session settings (node:tls's split; see TlsContext.servedUnder). */
  private servedHere(host: TlsContext): TlsContext {
    if (host === this.context) return host;
    let served = this.servedContexts.get(host);
    if (!served) {
      served = host.servedUnder(this.context);
      this.servedContexts.set(host, served);
    }
    return served;
  }
}

/** Options that a virtual host cannot have: they are the server's (see addContext). */
const SERVER_LEVEL_CONTEXT_OPTIONS = ['sessionCache', 'sessionTimeout', 'tickets', 'ticketKeys', 'ticketKeyring', 'serverNames', 'sniCallback'] as const;

/** The context addContext builds from options: certificate side only, checked. */
function virtualHostContext(options: TlsContextOptions): TlsContext {
  const clash = SERVER_LEVEL_CONTEXT_OPTIONS.filter((k) => options[k] !== undefined);
  if (clash.length > 0) {
    throw new TlsConfigError(
      'ERR_UNSUPPORTED_OPTION',
      `addContext: ${clash.map((k) => `'${k}'`).join(', ')} cannot be set per host; the server's apply to every host`,
    );
  }
  // No cache or ticket keys of its own: servedUnder gives it the server's.
  return new TlsContext({ ...options, sessionCache: false, tickets: false });
}

/** node:tls's createServer, serving TLS 1.2 with puretls. */
export function createServer(options?: ServerOptions, secureConnectionListener?: SecureConnectionListener): Server;
export function createServer(secureConnectionListener?: SecureConnectionListener): Server;
export function createServer(
  a?: ServerOptions | SecureConnectionListener,
  b?: SecureConnectionListener,
): Server {
  return typeof a === 'function' ? new Server({}, a) : new Server(a ?? {}, b);
}
