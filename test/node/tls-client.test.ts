import assert from 'node:assert/strict';
import { once } from 'node:events';
import tls from 'node:tls';
import { afterEach, describe, it } from 'mocha';
import { AlertDescription, TlsError } from '../../src/errors.js';
import type { ServerOptions } from '../../src/node/options.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { startServer, testCertificate, type RunningServer } from '../helpers/fixtures.js';

const SUITES = [
  { name: 'ECDHE-ECDSA-AES128-GCM-SHA256', standardName: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' },
  { name: 'ECDHE-ECDSA-AES256-GCM-SHA384', standardName: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384' },
  { name: 'ECDHE-ECDSA-CHACHA20-POLY1305', standardName: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256' },
] as const;

/**
 * The client's ecdhCurve and what it leads to. In TLS 1.2 supported_groups also bounds the
 * certificate's curve (RFC 8422 §5.1), so the X25519 client also offers P-256 (for the P-256
 * certificate) and the P-384 case is served with a P-384 certificate.
 */
const GROUPS = [
  { label: 'X25519', ecdhCurve: 'X25519:P-256', certCurve: 'P-256', keyInfo: { type: 'ECDH', name: 'X25519', size: 253 }, server: 'X25519' },
  { label: 'P-256', ecdhCurve: 'P-256', certCurve: 'P-256', keyInfo: { type: 'ECDH', name: 'prime256v1', size: 256 }, server: 'prime256v1' },
  { label: 'P-384', ecdhCurve: 'P-384', certCurve: 'P-384', keyInfo: { type: 'ECDH', name: 'secp384r1', size: 384 }, server: 'secp384r1' },
] as const;

const servers: RunningServer[] = [];
const clients: tls.TLSSocket[] = [];


interface Harness {
  port: number;
  server: RunningServer['server'];
  sockets: TlsSocket[];
  clientErrors: Error[];
  socket(n: number): Promise<TlsSocket>;
}

/** An echo server ("echo:" + data) that records its sockets and client errors. */
async function serve(options: ServerOptions = {}): Promise<Harness> {
  const sockets: TlsSocket[] = [];
  const clientErrors: Error[] = [];
  let waiters: Array<() => void> = [];
  const running = await startServer(options, (socket) => {
    sockets.push(socket);
    socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  servers.push(running);
  running.server.on('tlsClientError', (err: Error) => clientErrors.push(err));
  return {
    port: running.port,
    server: running.server,
    sockets,
    clientErrors,
    async socket(n: number): Promise<TlsSocket> {
      while (sockets.length <= n) await new Promise<void>((resolve) => waiters.push(resolve));
      return sockets[n]!;
    },
  };
}

function connect(port: number, options: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: testCertificate().certPem, servername: 'localhost', ...options }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    clients.push(socket);
    socket.once('error', reject);
  });
}

/** Writes `text` and resolves with the next chunk of data the server sends back. */
async function roundTrip(client: tls.TLSSocket, text: string): Promise<string> {
  const reply = once(client, 'data');
  client.write(text);
  return String((await reply)[0]);
}

/** Ends the client and waits for both sides to be closed. */
async function closeBoth(client: tls.TLSSocket, server: TlsSocket): Promise<void> {
  const closed = Promise.all([once(client, 'close'), server.destroyed ? undefined : once(server, 'close')]);
  client.end();
  await closed;
}

describe('node:tls clients against puretls', function () {
  this.timeout(30_000);

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  describe('every suite with every group', () => {
    for (const maxVersion of ['TLSv1.2', undefined] as const) {
      const clientKind = maxVersion ? "maxVersion 'TLSv1.2'" : 'the default (TLS 1.3-capable) client';
      for (const suite of SUITES) {
        for (const group of GROUPS) {
          it(`${clientKind}: ${suite.name} over ${group.label}`, async () => {
            const cert = testCertificate(group.certCurve);
            const h = await serve({ key: cert.keyPem, cert: cert.certPem });
            const client = await connect(h.port, {
              ca: cert.certPem,
              ciphers: suite.name,
              ecdhCurve: group.ecdhCurve,
              ...(maxVersion ? { maxVersion } : {}),
            });
            const server = await h.socket(0);

            assert.equal(client.authorized, true, String(client.authorizationError));
            assert.equal(client.getProtocol(), 'TLSv1.2');
            assert.deepEqual(client.getCipher(), { name: suite.name, standardName: suite.standardName, version: 'TLSv1.2' });
            assert.deepEqual(client.getEphemeralKeyInfo(), group.keyInfo);
            assert.equal(server.getProtocol(), 'TLSv1.2');
            assert.deepEqual(server.getCipher(), { name: suite.name, standardName: suite.standardName, version: 'TLSv1.2' });
            assert.equal(server.connection.groupName, group.server);
            assert.equal(server.servername, 'localhost');
            assert.equal(server.encrypted, true);
            assert.equal(server.remoteAddress, '127.0.0.1');
            assert.equal(server.remotePort, client.localPort);

            assert.equal(await roundTrip(client, `hello ${suite.name}`), `echo:hello ${suite.name}`);
            await closeBoth(client, server);
            assert.deepEqual(h.clientErrors, []);
          });
        }
      }
    }

    it('a client offering only X25519 is refused by a P-256 certificate (RFC 8422), with handshake_failure', async () => {
      const h = await serve();
      await assert.rejects(connect(h.port, { ecdhCurve: 'X25519', maxVersion: 'TLSv1.2' }), /handshake failure/);
      if (h.clientErrors.length === 0) await once(h.server, 'tlsClientError');
      assert.equal((h.clientErrors[0] as TlsError).alert, AlertDescription.handshake_failure);
      assert.equal(h.sockets.length, 0);
    });
  });

  describe('session resumption with getSession() / session:', () => {
    for (const maxVersion of ['TLSv1.2', undefined] as const) {
      for (const tickets of [true, false]) {
        it(`${maxVersion ?? 'default client'}, ${tickets ? 'by ticket' : 'by session ID (tickets off)'}: the second connection resumes on both sides`, async () => {
          const h = await serve(tickets ? {} : { tickets: false });
          const options: tls.ConnectionOptions = maxVersion ? { maxVersion } : {};
          const first = await connect(h.port, options);
          assert.equal(await roundTrip(first, 'one'), 'echo:one');
          const session = first.getSession();
          const cipher = first.getCipher();
          assert.ok(session && session.length > 0, 'the client has a session');
          assert.equal(first.isSessionReused(), false);
          assert.equal((await h.socket(0)).isSessionReused(), false);
          const serverSession = h.sockets[0]!.getSession();
          const sessionId = h.sockets[0]!.connection.session!.sessionId;
          assert.ok(Buffer.isBuffer(serverSession) && serverSession[0] === 0x30, 'getSession() is a DER SSL_SESSION');
          assert.ok(serverSession.includes(Buffer.from(sessionId)), 'it holds the session ID');
          await closeBoth(first, h.sockets[0]!);

          const second = await connect(h.port, { ...options, session });
          assert.equal(second.isSessionReused(), true);
          const server = await h.socket(1);
          assert.equal(server.isSessionReused(), true);
          assert.equal(server.connection.negotiated?.resumedBy, tickets ? 'ticket' : 'session-id');
          assert.deepEqual(second.getCipher(), cipher);
          assert.equal(await roundTrip(second, 'two'), 'echo:two');
          await closeBoth(second, server);
        });
      }
    }

    it('a session from another server is not resumed (full handshake)', async () => {
      const a = await serve();
      const b = await serve();
      const first = await connect(a.port, { maxVersion: 'TLSv1.2' });
      const session = first.getSession();
      await closeBoth(first, await a.socket(0));
      const second = await connect(b.port, { maxVersion: 'TLSv1.2', session });
      assert.equal(second.isSessionReused(), false);
      assert.equal((await b.socket(0)).isSessionReused(), false);
    });
  });

  describe('cipher order, ALPN', () => {
    const clientOrder = 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384';
    for (const [honorCipherOrder, expected] of [
      [undefined, 'ECDHE-ECDSA-AES256-GCM-SHA384'],
      [true, 'ECDHE-ECDSA-AES256-GCM-SHA384'],
      [false, 'ECDHE-ECDSA-CHACHA20-POLY1305'],
    ] as const) {
      it(`honorCipherOrder ${String(honorCipherOrder)}: ${honorCipherOrder === false ? "the client's" : 'our'} preference picks ${expected}`, async () => {
        const h = await serve(honorCipherOrder === undefined ? {} : { honorCipherOrder });
        const client = await connect(h.port, { maxVersion: 'TLSv1.2', ciphers: clientOrder });
        assert.equal(client.getCipher().name, expected);
        assert.equal((await h.socket(0)).getCipher()?.name, expected);
      });
    }

    it('a ciphers list naming suites we lack keeps the ones we have, in its order', async () => {
      const h = await serve({ ciphers: 'AES128-SHA:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256' });
      const client = await connect(h.port, { maxVersion: 'TLSv1.2' });
      assert.equal(client.getCipher().name, 'ECDHE-ECDSA-CHACHA20-POLY1305');
    });

    it('ALPNProtocols as a wire-format Buffer works like the array (server preference)', async () => {
      const wire = Buffer.concat([Buffer.from([8]), Buffer.from('http/1.1'), Buffer.from([2]), Buffer.from('h2')]);
      const h = await serve({ ALPNProtocols: wire });
      const both = await connect(h.port, { ALPNProtocols: ['h2', 'http/1.1'] });
      assert.equal(both.alpnProtocol, 'http/1.1');
      assert.equal((await h.socket(0)).alpnProtocol, 'http/1.1');
      const h2 = await connect(h.port, { ALPNProtocols: ['h2'] });
      assert.equal(h2.alpnProtocol, 'h2');
      assert.equal((await h.socket(1)).alpnProtocol, 'h2');
      const none = await connect(h.port, {});
      assert.equal(none.alpnProtocol, false);
      assert.equal((await h.socket(2)).alpnProtocol, false);
    });

    it('SNI and keylog: servername reaches the socket, keylog lines match the client', async () => {
      const h = await serve();
      const serverLines: string[] = [];
      h.server.on('keylog', (line: Buffer) => serverLines.push(line.toString()));
      const clientLines: string[] = [];
      const client = await new Promise<tls.TLSSocket>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: h.port, ca: testCertificate().certPem, servername: 'localhost', maxVersion: 'TLSv1.2' }, () =>
          resolve(s),
        );
        clients.push(s);
        s.on('keylog', (line: Buffer) => clientLines.push(line.toString()));
        s.once('error', reject);
      });
      const server = await h.socket(0);
      assert.equal(server.servername, 'localhost');
      assert.equal(await roundTrip(client, 'x'), 'echo:x');
      assert.equal(serverLines.length, 1);
      assert.match(serverLines[0]!, /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/);
      assert.deepEqual(serverLines, clientLines);
    });
  });
});
