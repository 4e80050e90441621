/**
 * Compiles only if puretls's sockets, servers and module fit where node's are expected:
 * `npm test` type-checks this file (tsc -p .) before any test runs, and the one runtime
 * test below only proves the file was compiled. Each `@ts-expect-error` shows that the
 * checks can fail: a wrong type there must not compile.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type https from 'node:https';
import http2 from 'node:http2';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type nodeTls from 'node:tls';
import express from 'express';
import { WebSocketServer } from 'ws';
import { describe, it } from 'mocha';
import tls, { createServer, http2Listener, type Server, type ServerOptions, type TlsSocket } from '../../src/index.js';

// --- node:tls's own types -----------------------------------------------------------------

/** A TlsSocket goes wherever a tls.TLSSocket goes (and so wherever a net.Socket or a Duplex goes). */
export function asNodeSocket(socket: TlsSocket): [nodeTls.TLSSocket, net.Socket, Duplex] {
  return [socket, socket, socket];
}

/** A puretls Server goes wherever a tls.Server goes. */
export function asNodeServer(server: Server): [nodeTls.Server, net.Server] {
  return [server, server];
}

/** The default export in the places of node:tls's module functions, typed as node types them. */
export const module: {
  createServer: typeof nodeTls.createServer;
  createSecureContext: typeof nodeTls.createSecureContext;
  getCiphers: typeof nodeTls.getCiphers;
  DEFAULT_MIN_VERSION: typeof nodeTls.DEFAULT_MIN_VERSION;
  DEFAULT_MAX_VERSION: typeof nodeTls.DEFAULT_MAX_VERSION;
  DEFAULT_ECDH_CURVE: typeof nodeTls.DEFAULT_ECDH_CURVE;
  checkServerIdentity: typeof nodeTls.checkServerIdentity;
  rootCertificates: typeof nodeTls.rootCertificates;
} = tls;

/** Options typed for node:tls are accepted as they are, SNICallback answering with our contexts. */
export function nodeTypedOptions(options: nodeTls.TlsOptions): Server {
  return createServer({
    ...options,
    SNICallback: (_servername, cb) => cb(null, tls.createSecureContext({ key: options.key, cert: options.cert })),
  });
}

/** node:tls's socket API with node's return types. */
export function socketApi(socket: TlsSocket): void {
  const detailed: nodeTls.DetailedPeerCertificate = socket.getPeerCertificate(true);
  const issuer: nodeTls.DetailedPeerCertificate = detailed.issuerCertificate;
  const plain: nodeTls.PeerCertificate = socket.getPeerCertificate();
  const cipher: nodeTls.CipherNameAndProtocol = socket.getCipher();
  const ekm: Buffer = socket.exportKeyingMaterial(32, 'EXPORTER-test', Buffer.alloc(0));
  const finished: Buffer | undefined = socket.getFinished() ?? socket.getPeerFinished();
  const sigalgs: string[] = socket.getSharedSigalgs();
  const resized: boolean = socket.setMaxSendFragment(1024);
  void [issuer, plain, cipher, ekm, finished, sigalgs, resized, socket.getX509Certificate()?.subject, socket.getPeerX509Certificate()?.fingerprint256];
  // @ts-expect-error the detailed certificate is node's, its subject is not a string
  const wrong: string = detailed.subject;
  void wrong;
}

// --- http / https-style code --------------------------------------------------------------

/** The usual embedding: puretls terminates TLS, node's http server speaks HTTP over our sockets. */
export function httpOverPuretls(options: ServerOptions, app: http.RequestListener): Server {
  const web = http.createServer(app);
  return createServer(options, (socket) => web.emit('connection', socket));
}

/** https-style code that reads the TLS socket behind a request works on ours. */
export function peerOf(req: http.IncomingMessage): nodeTls.PeerCertificate {
  return (req.socket as nodeTls.TLSSocket).getPeerCertificate();
}

/** A function written for https servers' 'secureConnection' takes our sockets. */
export function onSecureConnection(server: Server, handler: (socket: nodeTls.TLSSocket) => void): void {
  server.on('secureConnection', handler);
}

/** The README's embedding example, as written there. */
export function readmeEmbedding(readFileSync: (path: string) => Buffer): Server {
  const app = http.createServer((req, res) => res.end(`hello over ${(req.socket as nodeTls.TLSSocket).getProtocol()}\n`));
  const server = createServer(
    { key: readFileSync('key.pem'), cert: readFileSync('cert.pem'), ALPNProtocols: ['http/1.1'] },
    (socket) => app.emit('connection', socket),
  );
  server.on('tlsClientError', (err) => console.warn('handshake failed:', err.message));
  return server;
}

// @ts-expect-error a puretls Server is a tls.Server, not an https.Server (which is also an http server)
export const notHttps: https.Server = undefined as unknown as Server;

// --- Express --------------------------------------------------------------------------------

export function expressOverPuretls(options: ServerOptions): Server {
  const app = express();
  app.get('/', (req, res) => {
    const socket = req.socket as nodeTls.TLSSocket;
    res.json({ secure: req.secure, protocol: socket.getProtocol(), peer: socket.getPeerCertificate().subject });
  });
  const web = http.createServer(app);
  return createServer(options, (socket) => web.emit('connection', socket));
}

// --- ws -------------------------------------------------------------------------------------

export function webSocketsOverPuretls(options: ServerOptions): Server {
  const wss = new WebSocketServer({ noServer: true });
  const web = http.createServer();
  web.on('upgrade', (req, socket, head) => {
    // ws takes the upgraded socket as a Duplex; ours is what arrives there.
    wss.handleUpgrade(req, socket, head, (ws) => ws.send((socket as nodeTls.TLSSocket).getProtocol() ?? ''));
  });
  return createServer(options, (socket: TlsSocket) => {
    const asDuplex: Duplex = socket;
    web.emit('connection', asDuplex);
  });
}

// --- http2 ----------------------------------------------------------------------------------

export function http2OverPuretls(options: ServerOptions): Server {
  const h2 = http2.createServer((req, res) => {
    const socket = req.socket as nodeTls.TLSSocket;
    res.end(`${String(req.stream.session?.encrypted)} ${String(socket.alpnProtocol)} ${socket.remoteAddress}`);
  });
  return createServer({ ...options, ALPNProtocols: ['h2', 'http/1.1'] }, http2Listener(h2));
}

describe('TypeScript: puretls where node:tls is expected', () => {
  it('this file type-checked (tsc -p . runs before the tests), so the assignments above hold', () => {
    assert.equal(typeof asNodeSocket, 'function');
    assert.equal(module.getCiphers, tls.getCiphers);
  });
});
