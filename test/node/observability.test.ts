/**
 * What operators see: NODE_DEBUG=puretls (util.debuglog) lines, the diagnostics_channel
 * events for handshake start, end and error, and failed handshakes counted by reason
 * beside the session counters.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, it } from 'mocha';
import { TlsError } from '../../src/errors.js';
import puretls, { type Server } from '../../src/index.js';
import { listenOnLoopback, testCertificate } from '../helpers/fixtures.js';
import { TcpTlsClient } from '../helpers/tls-client.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const closers: Array<() => Promise<void>> = [];

async function serve(options: tls.TlsOptions = {}): Promise<{ server: Server; port: number }> {
  const cert = testCertificate();
  const server = puretls.createServer({ key: cert.keyPem, cert: cert.certPem, ...options }, (s) => s.end('hi'));
  const listening = await listenOnLoopback(server);
  closers.push(listening.close);
  return { server, port: listening.port };
}

/** A node:tls client; resolves when the connection is over, with the error it saw if any. */
function client(port: number, options: tls.ConnectionOptions = {}): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion: 'TLSv1.2', ...options });
    let error: string | undefined;
    s.on('error', (e: Error & { code?: string }) => (error ??= e.code));
    s.resume();
    s.on('close', () => resolve(error));
  });
}

const index = pathToFileURL(join(repo, 'dist', 'src', 'index.js')).href;
/** A server, a client that completes a handshake, then one that fails (TLS 1.0); the server then closes. */
const connectScript = `
    import tls from 'node:tls';
    import puretls from ${JSON.stringify(index)};
    const cert = JSON.parse(process.env.CERT);
    const server = puretls.createServer({ key: cert.keyPem, cert: cert.certPem }, (s) => s.end('hi'));
    server.listen(0, '127.0.0.1', () => {
      const c = tls.connect({ port: server.address().port, rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
      c.resume();
      c.on('close', () => {
        const bad = tls.connect({ port: server.address().port, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' });
        bad.on('error', () => {});
        bad.on('close', () => server.close());
      });
    });`;

const tls10 = { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;

describe('node: observability', function () {
  this.timeout(30_000);
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('diagnostics_channel: puretls:handshake:start for every connection, :end with the socket and duration, :error with the error', async () => {
    const seen: Array<[string, Record<string, unknown>]> = [];
    const handlers = Object.fromEntries(
      ['start', 'end', 'error'].map((what) => [
        what,
        // The protocol as a subscriber sees it when the message comes (a destroyed socket's TLS getters answer as before a handshake).
        (message: unknown) => seen.push([what, { ...(message as Record<string, unknown>), protocol: (message as { socket: InstanceType<typeof puretls.TLSSocket> }).socket.getProtocol() }]),
      ]),
    );
    for (const [what, handler] of Object.entries(handlers)) subscribe(`puretls:handshake:${what}`, handler);
    try {
      const { server, port } = await serve();
      assert.equal(await client(port), undefined);
      assert.equal(await client(port, tls10), 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', "the client's view of our protocol_version alert");
      assert.deepEqual(
        seen.map(([what]) => what),
        ['start', 'end', 'start', 'error'],
      );
      for (const [, message] of seen) assert.equal(message.server, server);
      const end = seen[1]![1];
      assert.ok(end.socket instanceof puretls.TLSSocket);
      assert.equal(end.protocol, 'TLSv1.2');
      assert.ok(typeof end.durationMs === 'number' && end.durationMs >= 0);
      assert.ok(seen[3]![1].error instanceof TlsError);
      assert.equal((seen[3]![1].error as TlsError).code, 'ERR_SSL_UNSUPPORTED_PROTOCOL');
    } finally {
      for (const [what, handler] of Object.entries(handlers)) unsubscribe(`puretls:handshake:${what}`, handler);
    }
  });

  it('stats.failures: failed handshakes by reason (a timeout and a reset from the Node layer too); completed ones and later errors are not counted', async () => {
    const { server, port } = await serve({ handshakeTimeout: 200 });
    const failures = server.context.stats.failures;
    await client(port);
    await client(port, tls10);
    await client(port, tls10);
    await client(port, { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
    const silent = net.connect(port, '127.0.0.1');
    silent.on('error', () => undefined);
    await new Promise((r) => silent.once('close', r));
    const reset = net.connect(port, '127.0.0.1');
    reset.on('error', () => undefined);
    await new Promise((r) => reset.once('connect', r));
    reset.end();
    await new Promise((r) => reset.once('close', r));
    // A failure after the handshake (a record that does not authenticate) is the connection's, not the handshake's.
    const lateOnServer = new Promise<net.Socket>((r) => server.once('secureConnection', r));
    const late = await TcpTlsClient.connect(port);
    await late.handshake();
    const record = late.tls.write(new Uint8Array(8));
    record[record.length - 1]! ^= 1;
    late.send(record);
    await late.closed;
    // Counted (or not) by the time the server's side of it has closed.
    const serverSide = await lateOnServer;
    if (!serverSide.destroyed) await once(serverSide, 'close');
    assert.deepEqual(failures.toJSON(), {
      ERR_UNSUPPORTED_PROTOCOL: 2,
      ERR_NO_SHARED_CIPHER: 1,
      ERR_TLS_HANDSHAKE_TIMEOUT: 1,
      ECONNRESET: 1,
    });
    assert.equal(failures.total, 5);
    assert.equal(failures.get('ERR_NO_SHARED_CIPHER'), 1);
    assert.equal(server.context.stats.acceptGood, 2, 'the two clients that completed, not counted as failures');
  });

  for (const section of ['puretls', 'tls']) {
    it(`NODE_DEBUG=${section}: one line per accepted connection, finished and failed handshake`, () => {
      const { stderr } = spawnSync(process.execPath, ['--input-type=module', '-e', connectScript], {
        env: { ...process.env, NODE_DEBUG: section, CERT: JSON.stringify(testCertificate()), NODE_OPTIONS: '' },
        encoding: 'utf8',
        timeout: 20_000,
      });
      const prefix = section.toUpperCase();
      assert.match(stderr, new RegExp(`${prefix} \\d+: server accepted a connection from 127\\.0\\.0\\.1:\\d+`));
      assert.match(stderr, new RegExp(`${prefix} \\d+: server handshake done with 127\\.0\\.0\\.1:\\d+: TLSv1\\.2 ECDHE-ECDSA-AES128-GCM-SHA256, ALPN none, SNI none`));
      assert.match(stderr, new RegExp(`${prefix} \\d+: server handshake with 127\\.0\\.0\\.1:\\d+ failed: ERR_SSL_UNSUPPORTED_PROTOCOL`));
    });
  }

  it('without NODE_DEBUG nothing is printed (the same connections as above)', () => {
    const { stderr, status } = spawnSync(process.execPath, ['--input-type=module', '-e', connectScript], {
      env: { ...process.env, NODE_DEBUG: '', CERT: JSON.stringify(testCertificate()), NODE_OPTIONS: '' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(status, 0, stderr);
    assert.equal(stderr, '');
  });
});
