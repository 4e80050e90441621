/**
 * HTTP/2 over puretls with http2Listener: curl --http2 and node's http2 client see an
 * encrypted 'h2' session, and the server sees, through http2's session and its
 * compatibility API, that it is encrypted, the ALPN protocol, the remote address and the
 * client's certificate; HTTP/1.1 clients (curl --http1.1, node's https) are served on the
 * same port by the same handler.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import http2 from 'node:http2';
import type tls from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'mocha';
import { createServer, http2Listener, type Server } from '../../src/index.js';
import { clientCerts } from '../helpers/client-certs.js';
import { listenOnLoopback, testCertificate } from '../helpers/fixtures.js';
import { requirePeer, TempDirs } from '../helpers/peers.js';
import { h2Get } from '../helpers/http2-client.js';

const run = promisify(execFile);

/** What the handler saw of one request, through http2's APIs (or http's, for HTTP/1.1). */
interface Saw {
  httpVersion: string;
  sessionEncrypted: boolean | null;
  sessionAlpn: string | null;
  sessionRemote: string | null;
  socketEncrypted: boolean;
  socketAlpn: string | false | null;
  remoteAddress: string | undefined;
  remotePort: string;
  peerCN: string | null;
  sessionPeerCN: string | null;
  authorized: boolean;
  cipher: string | undefined;
  /** HTTP/2 forbids renegotiation (RFC 7540 §9.2.1): http2Listener turns it off on our socket. */
  renegotiationDisabled: boolean | undefined;
}

describe('node: HTTP/2 and HTTP/1.1 on one puretls port (http2Listener)', function () {
  this.timeout(60_000);
  const temp = new TempDirs();
  let server: Server;
  let port: number;
  let close: () => Promise<void>;
  let certFile: string;
  let clientCert: string;
  let clientKey: string;

  before(async () => {
    const cert = testCertificate();
    const h2 = http2.createServer((req, res) => {
      const session = req.stream?.session;
      const socket = req.socket as tls.TLSSocket;
      const peer = socket.getPeerCertificate();
      const sessionPeer = (session?.socket as tls.TLSSocket | undefined)?.getPeerCertificate();
      const saw: Saw = {
        httpVersion: req.httpVersion,
        sessionEncrypted: session ? (session.encrypted ?? null) : null,
        sessionAlpn: session ? (session.alpnProtocol ?? null) : null,
        sessionRemote: session ? (session.socket.remoteAddress ?? null) : null,
        socketEncrypted: (socket as { encrypted?: boolean }).encrypted === true,
        socketAlpn: socket.alpnProtocol,
        remoteAddress: socket.remoteAddress,
        remotePort: typeof socket.remotePort,
        peerCN: (peer.subject?.CN as string | undefined) ?? null,
        sessionPeerCN: (sessionPeer?.subject?.CN as string | undefined) ?? null,
        authorized: socket.authorized,
        cipher: socket.getCipher()?.name,
        renegotiationDisabled: (req.socket as unknown as { stream?: { connection?: { renegotiationDisabled?: boolean } }; connection?: { renegotiationDisabled?: boolean } }).stream?.connection?.renegotiationDisabled ??
          (req.socket as unknown as { connection?: { renegotiationDisabled?: boolean } }).connection?.renegotiationDisabled,
      };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(saw));
    });
    const c = clientCerts();
    server = createServer(
      { key: cert.keyPem, cert: cert.certPem, ALPNProtocols: ['h2', 'http/1.1'], requestCert: true, rejectUnauthorized: false, ca: c.root.pem },
      http2Listener(h2),
    );
    ({ port, close } = await listenOnLoopback(server));
    const dir = temp.make('puretls-h2-');
    certFile = join(dir, 'server.pem');
    writeFileSync(certFile, cert.certPem);
    clientCert = c.p256.certFile;
    clientKey = c.p256.keyFile;
  });

  after(async () => {
    await close();
    temp.dispose();
  });

  const h2Expected = (peerCN: string | null): Saw => ({
    httpVersion: '2.0',
    sessionEncrypted: true,
    sessionAlpn: 'h2',
    sessionRemote: '127.0.0.1',
    socketEncrypted: true,
    socketAlpn: 'h2',
    remoteAddress: '127.0.0.1',
    remotePort: 'number',
    peerCN,
    sessionPeerCN: peerCN,
    authorized: peerCN !== null,
    cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    renegotiationDisabled: true,
  });

  it("node's http2 client (with a client certificate): an encrypted h2 session, the peer certificate through session and compatibility API", async () => {
    const c = clientCerts().p256;
    const client = http2.connect(`https://localhost:${port}`, { ca: testCertificate().certPem, key: c.keyPem, cert: c.pem, maxVersion: 'TLSv1.2' });
    try {
      assert.equal(await new Promise((resolve) => client.once('connect', () => resolve(client.alpnProtocol))), 'h2');
      assert.equal(client.encrypted, true);
      const body = await h2Get(client);
      assert.deepEqual(JSON.parse(body), h2Expected('client p256'));
    } finally {
      client.close();
    }
  });

  it('curl --http2 (verifying our certificate): HTTP/2 over TLS 1.2', async function () {
    const curl = requirePeer(this, 'curl', 'curl');
    const r = await run(curl, ['-sS', '--http2', '--cacert', certFile, '--cert', clientCert, '--key', clientKey, '-w', '\n%{http_version}', `https://localhost:${port}/`]);
    const [body, version] = r.stdout.split('\n');
    assert.equal(version, '2');
    assert.deepEqual(JSON.parse(body!), h2Expected('client p256'));
  });

  it('HTTP/1.1 on the same port: curl --http1.1 reaches the same handler as an HTTP/1.1 request', async function () {
    const curl = requirePeer(this, 'curl', 'curl');
    const r = await run(curl, ['-sS', '--http1.1', '--cacert', certFile, '-w', '\n%{http_version}', `https://localhost:${port}/`]);
    const [body, version] = r.stdout.split('\n');
    assert.equal(version, '1.1');
    const saw = JSON.parse(body!) as Saw;
    assert.equal(saw.httpVersion, '1.1');
    assert.equal(saw.socketAlpn, 'http/1.1');
    assert.equal(saw.socketEncrypted, true);
    assert.equal(saw.remoteAddress, '127.0.0.1');
    assert.equal(saw.sessionEncrypted, null, 'no http2 session for an HTTP/1.1 request');
    assert.equal(saw.renegotiationDisabled, false, 'HTTP/1.1 connections keep the default');
  });

  it('HTTP/1.1 on the same port: node:https (no ALPN) reaches the same handler as an HTTP/1.1 request', async () => {
    const viaHttps = await new Promise<Saw>((resolve, reject) => {
      https
        .get({ host: 'localhost', port, path: '/', ca: testCertificate().certPem, maxVersion: 'TLSv1.2', agent: false }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(JSON.parse(text) as Saw));
        })
        .on('error', reject);
    });
    assert.equal(viaHttps.httpVersion, '1.1');
    assert.equal(viaHttps.socketAlpn, false, 'node:https offers no ALPN: HTTP/1.1');
  });
});
