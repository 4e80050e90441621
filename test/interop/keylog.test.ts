/**
 * NSS key log lines (`CLIENT_RANDOM <64 hex> <96 hex>\n`):
 * - the server's `keylog` event matches, line for line, what a node:tls (OpenSSL) client's own
 *   `keylog` event reports for the same connection, for a full handshake and a resumption;
 * - the demo's keylogFile (`startDemo({ keylogFile })`) appends those lines, and the CLI does the
 *   same from the SSLKEYLOGFILE environment variable;
 * - tshark, given only the server's key log file, decrypts a loopback capture of an HTTPS GET
 *   (and without it sees no HTTP at all).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'mocha';
import type { AddressInfo } from 'node:net';
import { ServerConnection } from '../../src/connection.js';
import { TlsContext } from '../../src/context.js';
import { TlsSocket } from '../../src/node/socket.js';
import { testCertificate } from '../helpers/fixtures.js';
import {
  KEYLOG_LINE,
  describeRun,
  peerUnavailable,
  requirePeer,
  startObservedDemo,
  startObservedServer,
  writeTestCertificate,
  type Started,
  interopFixture,
} from '../helpers/peers.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

interface ClientConnection {
  /** The client's own keylog lines for this connection. */
  keylog: string[];
  reused: boolean;
  session: Buffer | undefined;
  /** Everything the server sent back. */
  received: string;
}

/**
 * A node:tls client connection (TLS 1.2, trusting the test certificate): sends `request`,
 * reads until the server ends, and reports what the client itself saw.
 */
function nodeClient(port: number, request: string, session?: Buffer): Promise<ClientConnection> {
  return new Promise((resolve, reject) => {
    const keylog: string[] = [];
    let reused = false;
    let newSession: Buffer | undefined;
    let received = '';
    const socket = tls.connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: testCertificate().certPem,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      ALPNProtocols: ['http/1.1'],
      ...(session ? { session } : {}),
    });
    socket.on('keylog', (line: Buffer) => keylog.push(line.toString()));
    socket.on('session', (s: Buffer) => (newSession = s));
    socket.on('secureConnect', () => {
      reused = socket.isSessionReused();
      socket.write(request);
    });
    socket.on('data', (d: Buffer) => (received += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve({ keylog, reused, session: newSession, received }));
  });
}

/**
 * Opens and closes a plain TCP connection to `port` and resolves once tshark (-P) has printed
 * its SYN; tries again with a new connection while nothing shows (the capture may not be live
 * yet). The server sees a connection without a ClientHello, which it drops.
 */
async function captureMarker(capturing: Started, port: number): Promise<void> {
  for (;;) {
    const marker = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => marker.once('connect', resolve).once('error', reject));
    const syn = new RegExp(`\\b${marker.localPort}\\b.*\\bSYN\\b`);
    marker.destroy();
    const seen = capturing.waitFor(() => syn.test(capturing.stdout()), 'printing the marker connection');
    seen.catch(() => undefined); // a rejection that loses the race below is not unhandled
    const retry = new Promise<false>((resolve) => setTimeout(() => resolve(false), 250));
    if ((await Promise.race([seen.then(() => true), retry])) === true) return;
  }
}

const httpGet = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;

/** Answers "pong" to anything and ends. */
function pong(socket: TlsSocket): void {
  socket.once('data', () => socket.end('pong'));
}

describe('interop: NSS key log (keylog event, SSLKEYLOGFILE, tshark)', function () {
  this.timeout(90_000);
  const { procs, temp, servers } = interopFixture();
  let dir = '';

  before(() => {
    dir = temp.make('puretls-keylog-');
  });

  it("the server's keylog event equals the node:tls client's, for a full handshake and a resumption", async () => {
    const s = await startObservedServer({}, pong, { keylog: true });
    servers.push(s);
    const first = await nodeClient(s.port, 'ping');
    assert.equal(first.received, 'pong');
    assert.equal(first.reused, false);
    assert.ok(first.session, 'the client got a session to resume');
    const second = await nodeClient(s.port, 'ping', first.session);
    assert.equal(second.reused, true);

    const seen = await s.seen.waitForSecure(2);
    assert.deepEqual(
      seen.map((x) => x.reused),
      [false, true],
    );
    // One line per connection on each side, the same line.
    assert.equal(first.keylog.length, 1);
    assert.equal(second.keylog.length, 1);
    assert.deepEqual(s.seen.keylog, [first.keylog[0], second.keylog[0]]);
    const [m1, m2] = s.seen.keylog.map((line) => KEYLOG_LINE.exec(line));
    assert.ok(m1 && m2, `NSS format: ${JSON.stringify(s.seen.keylog)}`);
    // The client random is the one on the wire; a resumption keeps the master secret.
    assert.equal(m1[1], s.seen.hellos[0]!.random);
    assert.equal(m2[1], s.seen.hellos[1]!.random);
    assert.notEqual(m1[1], m2[1]);
    assert.equal(m2[2], m1[2]);
  });

  it("the TlsSocket itself emits 'keylog' (node:tls's TLSSocket event), and the server passes it on with the socket", async () => {
    const s = await startObservedServer({}, pong, { keylog: true });
    servers.push(s);
    const fromSockets: Array<[string, string]> = [];
    s.server.on('keylog', (line: Buffer, socket: TlsSocket) => {
      // The server's event carries the socket whose own 'keylog' it passes on.
      assert.ok(socket instanceof TlsSocket);
      fromSockets.push([line.toString(), socket.connection.negotiated ? 'done' : 'handshaking']);
    });
    const c = await nodeClient(s.port, 'ping');
    assert.equal(c.keylog.length, 1);
    assert.deepEqual(fromSockets, [[c.keylog[0], 'handshaking']]);
    // And a TlsSocket made by hand (keylog on) emits it on itself.
    const cert = testCertificate();
    const raw = await new Promise<net.Socket>((resolve) => {
      const plain = net.createServer((socket) => {
        plain.close();
        resolve(socket);
      });
      plain.listen(0, '127.0.0.1', () => {
        const client = tls.connect({ port: (plain.address() as AddressInfo).port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
        client.on('error', () => undefined);
        client.on('secureConnect', () => client.end());
      });
    });
    const own = new TlsSocket(raw, new ServerConnection(new TlsContext({ key: cert.keyPem, cert: cert.certPem })), { keylog: true });
    const lines: Buffer[] = [];
    own.on('keylog', (line: Buffer) => lines.push(line));
    await new Promise((resolve) => own.once('secure', resolve));
    own.destroy();
    assert.equal(lines.length, 1);
    assert.match(lines[0]!.toString(), KEYLOG_LINE);
  });

  it('a keylog listener added only after the connection was accepted hears nothing from it', async () => {
    const lines: Buffer[] = [];
    const s = await startObservedServer({}, (socket) => {
      s.server.on('keylog', (line: Buffer) => lines.push(line));
      pong(socket);
    });
    servers.push(s);
    const c = await nodeClient(s.port, 'ping');
    assert.equal(c.received, 'pong');
    assert.equal(c.keylog.length, 1, 'the client did log');
    assert.deepEqual(lines, []);
  });

  it('startDemo({ keylogFile }) appends one line per handshake, equal to the client’s', async () => {
    const keylogFile = join(dir, 'demo-keylog.txt');
    writeFileSync(keylogFile, '# lines from before\n');
    const s = await startObservedDemo({ keylogFile });
    servers.push(s);
    const first = await nodeClient(s.port, httpGet('/a'));
    const second = await nodeClient(s.port, httpGet('/b'), first.session);
    assert.match(first.received, /^HTTP\/1\.1 200 OK/);
    assert.equal(second.reused, true);
    await s.seen.waitForSecure(2);
    assert.equal(readFileSync(keylogFile, 'utf8'), `# lines from before\n${first.keylog[0]}${second.keylog[0]}`);
  });

  it('the CLI writes the key log to $SSLKEYLOGFILE', async () => {
    const { certFile, keyFile } = writeTestCertificate(dir);
    const keylogFile = join(dir, 'cli-keylog.txt');
    const child = procs.start(process.execPath, [CLI, '--port', '0', '--host', '127.0.0.1', '--key', keyFile, '--cert', certFile], {
      env: { ...process.env, SSLKEYLOGFILE: keylogFile },
      endInput: true,
      killAfterMs: 60_000,
    });
    await child.waitForOutput('puretls demo listening on');
    const port = Number(/https:\/\/localhost:(\d+)\//.exec(child.stdout())?.[1]);
    assert.ok(port > 0, child.stdout());
    const c = await nodeClient(port, httpGet('/cli'));
    assert.match(c.received, /^HTTP\/1\.1 200 OK/);
    assert.match(c.received, /<tr><th>Protocol<\/th><td>TLSv1\.2<\/td><\/tr>/);
    assert.equal(c.keylog.length, 1);
    // The server appends the line before it sends its Finished: it is in the file by now.
    assert.equal(readFileSync(keylogFile, 'utf8'), c.keylog[0]);
  });

  describe('tshark decrypts a loopback capture with the key log', () => {
    let tshark = '';

    before(async function () {
      tshark = requirePeer(this, 'tshark', 'tshark');
      // Capturing needs root or a dumpcap with cap_net_raw; the interface list shows whether we may.
      const r = await procs.run(tshark, ['-D']);
      if (!/^\d+\. lo\b/m.test(r.stdout)) {
        peerUnavailable(this, `tshark cannot capture on the loopback interface 'lo' (needs root, or dumpcap with cap_net_raw): ${r.stderr.trim() || r.stdout.trim()}`);
      }
    });

    it('an HTTPS GET to the demo: decrypted with the key log file, opaque without it', async () => {
      const keylogFile = join(dir, 'capture-keylog.txt');
      const capture = join(dir, 'capture.pcapng');
      const s = await startObservedDemo({ keylogFile, host: '127.0.0.1' });
      servers.push(s);
      const port = String(s.port);

      // -P -l: print each packet as it is written, so we can tell when the capture has it all.
      // Its own process group: tshark runs dumpcap, which must go with it.
      const capturing = procs.start(tshark, ['-i', 'lo', '-f', `tcp port ${port}`, '-w', capture, '-P', '-l', '-n'], { killAfterMs: 60_000, group: true });
      await capturing.waitForOutput('Capturing on');
      // "Capturing on" comes before dumpcap really captures: a marker connection whose SYN
      // tshark prints shows the capture is live.
      await captureMarker(capturing, s.port);

      const uri = `/decrypt-me-${randomBytes(6).toString('hex')}`;
      const body = await new Promise<string>((resolve, reject) => {
        const req = https.get(
          { host: '127.0.0.1', port: s.port, path: uri, servername: 'localhost', ca: testCertificate().certPem, maxVersion: 'TLSv1.2', agent: false },
          (res) => {
            let data = '';
            res.on('data', (d: Buffer) => (data += d.toString()));
            res.on('end', () => resolve(data));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
      });
      assert.match(body, /puretls: TLS 1\.2 in TypeScript/);
      await s.seen.waitForSecure(1);

      // Another marker: once tshark has written its SYN, everything before it is in the file
      // (packets on lo are captured in order).
      await captureMarker(capturing, s.port);
      procs.signal(capturing.child, true, 'SIGINT');
      const stopped = await capturing.exited;
      assert.equal(stopped.timedOut, false, describeRun('tshark (capture)', stopped));

      const keylog = readFileSync(keylogFile, 'utf8');
      assert.equal(keylog.split('\n').filter(Boolean).length, 1, keylog);
      assert.match(keylog, KEYLOG_LINE);
      assert.equal(KEYLOG_LINE.exec(keylog)![1], s.seen.hellos[0]!.random);

      const fields = ['-T', 'fields', '-E', 'separator=|', '-e', 'http.request.method', '-e', 'http.request.uri', '-e', 'http.response.code'];
      const decode = ['-d', `tcp.port==${port},tls`];
      const decrypted = await procs.run(tshark, ['-r', capture, '-n', '-o', `tls.keylog_file:${keylogFile}`, ...decode, '-Y', 'http', ...fields]);
      assert.equal(decrypted.code, 0, describeRun('tshark -r', decrypted));
      const rows = decrypted.stdout.split('\n').filter(Boolean);
      assert.ok(rows.includes(`GET|${uri}|`), `the decrypted request: ${JSON.stringify(rows)}`);
      assert.ok(rows.includes('||200'), `the decrypted response: ${JSON.stringify(rows)}`);

      // The same capture without the key log: TLS records, but no HTTP.
      const opaque = await procs.run(tshark, ['-r', capture, '-n', ...decode, '-Y', 'http', ...fields]);
      assert.equal(opaque.code, 0, describeRun('tshark -r', opaque));
      assert.equal(opaque.stdout.trim(), '');
      const records = await procs.run(tshark, ['-r', capture, '-n', ...decode, '-Y', 'tls.record.content_type == 23', '-T', 'fields', '-e', 'frame.number']);
      assert.ok(records.stdout.trim().split('\n').filter(Boolean).length >= 2, 'application data records were captured');
    });
  });
});
