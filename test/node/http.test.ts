import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { afterEach, describe, it } from 'mocha';
import type { TlsSocket } from '../../src/node/socket.js';
import { startServer, testCertificate, type RunningServer } from '../helpers/fixtures.js';
import { seededRandom } from '../helpers/openssl.js';

const servers: RunningServer[] = [];
const agents: https.Agent[] = [];


interface HttpHarness {
  port: number;
  /** The TLS sockets handed to the http.Server, in order. */
  tlsSockets: TlsSocket[];
  /** For each request: the server-side socket it came on. */
  requestSockets: unknown[];
}

/**
 * An http.Server that never listens: puretls accepts, and each TlsSocket becomes an HTTP
 * connection with `httpServer.emit('connection', socket)`.
 *   GET  /hello   -> "hello over <cipher>"
 *   POST /upload  -> JSON { length, sha256 } of the body
 */
async function serveHttp(): Promise<HttpHarness> {
  const tlsSockets: TlsSocket[] = [];
  const requestSockets: unknown[] = [];
  const httpServer = http.createServer((req, res) => {
    requestSockets.push(req.socket);
    if (req.method === 'GET' && req.url === '/hello') {
      const socket = req.socket as unknown as TlsSocket;
      res.setHeader('content-type', 'text/plain');
      res.end(`hello over ${socket.getCipher()?.name}`);
      return;
    }
    if (req.method === 'POST' && req.url === '/upload') {
      const hash = createHash('sha256');
      let length = 0;
      req.on('data', (d: Buffer) => {
        hash.update(d);
        length += d.length;
      });
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ length, sha256: hash.digest('hex') }));
      });
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  const running = await startServer({ ALPNProtocols: ['http/1.1'] }, (socket) => {
    tlsSockets.push(socket);
    httpServer.emit('connection', socket);
  });
  servers.push(running);
  return { port: running.port, tlsSockets, requestSockets };
}

interface Response {
  status: number | undefined;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
  /** The client-side socket the response came on. */
  socket: unknown;
}

function request(port: number, options: https.RequestOptions, body?: Buffer): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, ca: testCertificate().certPem, servername: 'localhost', ...options },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks), headers: res.headers, socket: res.socket }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function pattern(length: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += 4) out.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
  return out;
}

describe('node: TlsSocket as the connection of an http.Server', function () {
  this.timeout(30_000);

  afterEach(async () => {
    for (const a of agents.splice(0)) a.destroy();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('serves a GET to https.request', async () => {
    const h = await serveHttp();
    const agent = new https.Agent({ keepAlive: false });
    agents.push(agent);
    const res = await request(h.port, { method: 'GET', path: '/hello', agent });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'hello over ECDHE-ECDSA-AES128-GCM-SHA256');
    assert.equal(res.headers['content-type'], 'text/plain');
    assert.equal(h.tlsSockets.length, 1);
    assert.equal(h.requestSockets[0], h.tlsSockets[0], 'the request came on our TlsSocket');
  });

  it('takes a 1 MiB POST body intact', async () => {
    const h = await serveHttp();
    const agent = new https.Agent({ keepAlive: false });
    agents.push(agent);
    const body = pattern(1024 * 1024, 7);
    const res = await request(h.port, { method: 'POST', path: '/upload', agent, headers: { 'content-length': body.length } }, body);
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body.toString()), { length: body.length, sha256: createHash('sha256').update(body).digest('hex') });
  });

  it('keeps the connection alive for several requests (GET, POST, GET, 404) on one TLS connection', async () => {
    const h = await serveHttp();
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    const small = pattern(4096, 3);
    const r1 = await request(h.port, { method: 'GET', path: '/hello', agent });
    const r2 = await request(h.port, { method: 'POST', path: '/upload', agent, headers: { 'content-length': small.length } }, small);
    const r3 = await request(h.port, { method: 'GET', path: '/hello', agent });
    const r4 = await request(h.port, { method: 'GET', path: '/missing', agent });
    assert.deepEqual(
      [r1.status, r2.status, r3.status, r4.status],
      [200, 200, 200, 404],
    );
    assert.equal(JSON.parse(r2.body.toString()).length, small.length);
    assert.equal(r3.body.toString(), 'hello over ECDHE-ECDSA-AES128-GCM-SHA256');
    assert.equal(h.tlsSockets.length, 1, 'one TLS handshake for all four requests');
    assert.equal(h.requestSockets.length, 4);
    for (const s of h.requestSockets) assert.equal(s, h.tlsSockets[0]);
    assert.equal(r1.socket, r4.socket, 'the client reused its socket');
  });

  it('lets the client close a kept-alive connection: the server TlsSocket closes', async () => {
    const h = await serveHttp();
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    await request(h.port, { method: 'GET', path: '/hello', agent });
    const server = h.tlsSockets[0]!;
    const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
    agent.destroy();
    await closed;
    assert.equal(server.destroyed, true);
  });
});
