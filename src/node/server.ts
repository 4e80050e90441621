import net from 'node:net';
import { ServerConnection } from '../connection.js';
import { TlsContext, type TlsContextOptions } from '../context.js';
import { resolveServerOptions, type ServerOptions } from './options.js';
import { NodeEventSessionCache } from './session-events.js';
import { TlsSocket } from './socket.js';

export type SecureConnectionListener = (socket: TlsSocket) => void;

/**
 * A net.Server that speaks TLS 1.2 through puretls, shaped like node:tls's tls.Server:
 * events `secureConnection` (socket), `tlsClientError` (error, socket) and `keylog`
 * (line, socket).
 */
export class Server extends net.Server {
  /** The default context (virtual hosts come from `addContext` or `SNICallback`). */
  readonly context: TlsContext;
  private readonly handshakeTimeout: number;
  private readonly allowHalfOpenTls: boolean;

  constructor(options: ServerOptions = {}, secureConnectionListener?: SecureConnectionListener) {
    const resolved = resolveServerOptions(options);
    // The raw sockets always stay half-open: the TLS layer decides when to end them.
    super({ ...resolved.netOptions, allowHalfOpen: true });
    this.context = resolved.context;
    // Only a cache the server made itself turns into node:tls's events; one handed in stays.
    if (!options.context && options.sessionCache === undefined) {
      this.context.sessionCache = new NodeEventSessionCache(this, this.context.sessionCache);
    }
    this.handshakeTimeout = resolved.handshakeTimeout;
    this.allowHalfOpenTls = options.allowHalfOpen ?? false;
    if (secureConnectionListener) this.on('secureConnection', secureConnectionListener);
    this.on('connection', (raw: net.Socket) => this.accept(raw));
  }

  private accept(raw: net.Socket): void {
    const connection = new ServerConnection(this.context);
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
   * A virtual host (node:tls's addContext): a TlsContext, or the options to build one, which
   * then shares this server's session cache, session timeout and ticket keys (so
   * `setTicketKeys` covers every host). Sessions still never cross sid_ctx or SNI.
   */
  addContext(hostname: string, context: TlsContext | TlsContextOptions): void {
    const shared: TlsContextOptions = {
      sessionCache: this.context.sessionCache ?? false,
      sessionTimeout: this.context.sessionTimeout,
    };
    const ownTickets = !(context instanceof TlsContext) && (context.ticketKeys !== undefined || context.tickets !== undefined);
    if (!ownTickets) {
      if (this.context.ticketKeyring) shared.ticketKeyring = this.context.ticketKeyring;
      else shared.tickets = false;
    }
    const ctx = context instanceof TlsContext ? context : new TlsContext({ ...shared, ...context });
    this.context.addServerName(hostname, ctx);
  }
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
