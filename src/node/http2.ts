import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { Http2Server, Http2Session } from 'node:http2';
import type { SecureConnectionListener } from './server.js';
import { TlsSocket } from './socket.js';

/** The TLS facts http2 code reads from a session's socket (node's TLSSocket API). */
const SOCKET_METHODS = [
  'getPeerCertificate',
  'getPeerX509Certificate',
  'getCertificate',
  'getX509Certificate',
  'getCipher',
  'getProtocol',
  'getSession',
  'isSessionReused',
  'getFinished',
  'getPeerFinished',
  'exportKeyingMaterial',
  'getSharedSigalgs',
  'getEphemeralKeyInfo',
  'getTLSTicket',
] as const;

const prepared = new WeakSet<Http2Server>();

/** Options of http2Listener. */
export interface Http2Options {
  /**
   * Where connections that did not choose 'h2' by ALPN go (HTTP/1.1 clients, clients
   * without ALPN). Default: an HTTP/1.1 server that hands each request to the http2
   * server's 'request' listeners (as http.IncomingMessage and http.ServerResponse), which
   * is what node's http2.createSecureServer({ allowHTTP1: true }) does.
   */
  http1?: HttpServer;
}

/**
 * HTTP/2 over puretls, with HTTP/1.1 on the same port: a secureConnection listener that
 * dispatches on ALPN, 'h2' to `h2` (made with node's http2.createServer) and anything else
 * to HTTP/1.1 (see Http2Options.http1). Give the puretls server
 * `ALPNProtocols: ['h2', 'http/1.1']`.
 *
 *   const h2 = http2.createServer(app);   // app(req, res) sees both HTTP/2 and HTTP/1.1 requests
 *   createServer({ key, cert, ALPNProtocols: ['h2', 'http/1.1'] }, http2Listener(h2)).listen(443);
 *
 * node's http2 wraps a socket that is not its own kind in a plain stream socket, which
 * would hide TLS from the session: the session would say `encrypted: false` and
 * `alpnProtocol: 'h2c'`, and `session.socket` / the compatibility API's `req.socket`
 * would have no remoteAddress and no getPeerCertificate. So each new session is told the
 * truth: `encrypted` and `alpnProtocol` on the session, and on its socket the TLS facts
 * (`encrypted`, `alpnProtocol`, `servername`, `authorized`, `authorizationError`, the
 * addresses and node's TLSSocket methods, answered by our TlsSocket).
 */
export function http2Listener(h2: Http2Server, options: Http2Options = {}): SecureConnectionListener {
  if (!prepared.has(h2)) {
    prepared.add(h2);
    h2.prependListener('session', tellSessionAboutTls);
  }
  let http1 = options.http1;
  return (socket) => {
    if (socket.alpnProtocol === 'h2') {
      // RFC 7540 §9.2.1: no renegotiation under HTTP/2. node's http2 asks this of the socket it
      // is given, but asks its own wrapper around ours, so the listener asks it here.
      socket.disableRenegotiation();
      h2.emit('connection', socket);
      return;
    }
    http1 ??= createHttpServer((req, res) => h2.emit('request', req, res));
    http1.emit('connection', socket);
  };
}

/** The session's socket is node's wrapper around our TlsSocket (its `stream`). */
function tellSessionAboutTls(session: Http2Session): void {
  const wrapper = session.socket as unknown as Record<string, unknown>;
  const tls = wrapper.stream;
  if (!(tls instanceof TlsSocket)) return;
  Object.defineProperty(session, 'encrypted', { value: true, configurable: true });
  Object.defineProperty(session, 'alpnProtocol', { value: tls.alpnProtocol, configurable: true });
  // Assigned through the session's socket proxy, which sets them on the wrapper itself.
  wrapper.encrypted = true;
  wrapper.alpnProtocol = tls.alpnProtocol;
  wrapper.servername = tls.servername;
  wrapper.authorized = tls.authorized;
  wrapper.authorizationError = tls.authorizationError;
  // net.Socket answers remoteAddress/remotePort/remoteFamily and the local ones from these.
  wrapper._getpeername = () => ({ address: tls.remoteAddress, port: tls.remotePort, family: tls.remoteFamily });
  wrapper._getsockname = () => tls.address();
  for (const name of SOCKET_METHODS) {
    const method = tls[name] as (...args: unknown[]) => unknown;
    wrapper[name] = (...args: unknown[]) => method.apply(tls, args);
  }
}
