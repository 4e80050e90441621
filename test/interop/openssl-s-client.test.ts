import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'mocha';
import { AlertDescription, TlsError } from '../../src/errors.js';
import type { ServerOptions } from '../../src/node/options.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { startServer, testCertificate, type RunningServer } from '../helpers/fixtures.js';
import { seededRandom } from '../helpers/openssl.js';
import { SClient, type SClientOptions, type SClientResult } from '../helpers/s-client.js';

const SUITES = [
  { name: 'ECDHE-ECDSA-AES128-GCM-SHA256', standardName: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' },
  { name: 'ECDHE-ECDSA-AES256-GCM-SHA384', standardName: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384' },
  { name: 'ECDHE-ECDSA-CHACHA20-POLY1305', standardName: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256' },
] as const;

/** The server's ecdhCurve, what s_client 3.0 prints as "Server Temp Key", and the server's groupName. */
const GROUPS = [
  { ecdhCurve: 'X25519', tempKey: 'X25519, 253 bits', group: 'X25519', serverName: 'X25519' },
  { ecdhCurve: 'P-256', tempKey: 'ECDH, prime256v1, 256 bits', group: 'P-256', serverName: 'prime256v1' },
  { ecdhCurve: 'P-384', tempKey: 'ECDH, secp384r1, 384 bits', group: 'P-384', serverName: 'secp384r1' },
] as const;

const MiB = 1024 * 1024;

function pattern(length: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += 4) out.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
  return out;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A puretls server that records what happens to it; everything is torn down after each test. */
interface Harness {
  running: RunningServer;
  port: number;
  sockets: TlsSocket[];
  clientErrors: Error[];
  /** Resolves with the n-th (0-based) socket that completed a handshake. */
  socket(n: number): Promise<TlsSocket>;
}

/**
 * What a socket's TLS getters answered at its 'secureConnection': once it is destroyed they
 * answer as before a handshake (node:tls's answer null), and most checks here come after
 * s_client has gone.
 */
interface SecureView {
  cipher: ReturnType<TlsSocket['getCipher']>;
  protocol: string | null;
  reused: boolean;
  groupName: string | undefined;
  negotiated: TlsSocket['connection']['negotiated'];
  session: TlsSocket['connection']['session'];
}
const views = new WeakMap<TlsSocket, SecureView>();
const seen = (s: TlsSocket): SecureView => views.get(s)!;

const servers: RunningServer[] = [];
const clients: SClient[] = [];
const scratchDirs: string[] = [];


async function serve(options: ServerOptions, onSecure: (socket: TlsSocket) => void = (s) => s.resume()): Promise<Harness> {
  const sockets: TlsSocket[] = [];
  const clientErrors: Error[] = [];
  let waiters: Array<() => void> = [];
  const running = await startServer(options, (socket) => {
    const c = socket.connection;
    views.set(socket, { cipher: socket.getCipher(), protocol: socket.getProtocol(), reused: socket.isSessionReused(), groupName: c.groupName, negotiated: c.negotiated, session: c.session });
    sockets.push(socket);
    onSecure(socket);
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  servers.push(running);
  running.server.on('tlsClientError', (err: Error) => clientErrors.push(err));
  return {
    running,
    port: running.port,
    sockets,
    clientErrors,
    async socket(n: number): Promise<TlsSocket> {
      while (sockets.length <= n) await new Promise<void>((resolve) => waiters.push(resolve));
      return sockets[n]!;
    },
  };
}

function sClient(port: number, options: SClientOptions): SClient {
  const client = new SClient(port, options);
  clients.push(client);
  return client;
}

function run(port: number, options: SClientOptions): Promise<SClientResult> {
  return sClient(port, { stdin: '', ...options }).done();
}

/** The server side sees the client's error once the server has reported it (tlsClientError). */
async function clientError(h: Harness): Promise<Error> {
  if (h.clientErrors.length === 0) await once(h.running.server, 'tlsClientError');
  return h.clientErrors[0]!;
}

/** Echoes "echo:<data>"; on a line "please close" it says "bye" and ends (close_notify). */
function echoServer(socket: TlsSocket): void {
  const received: Buffer[] = [];
  (socket as TlsSocket & { received?: Buffer[] }).received = received;
  socket.on('data', (d: Buffer) => {
    received.push(d);
    if (d.toString().includes('please close')) {
      socket.write('bye\n');
      socket.end();
    } else {
      socket.write(`echo:${d.toString()}`);
    }
  });
}

const receivedBy = (s: TlsSocket): string => Buffer.concat((s as TlsSocket & { received?: Buffer[] }).received ?? []).toString();

describe('interop: openssl s_client against puretls', function () {
  this.timeout(60_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.kill()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
    for (const d of scratchDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  describe('every suite with every group', () => {
    for (const suite of SUITES) {
      for (const group of GROUPS) {
        it(`${suite.name} over ${group.ecdhCurve}: negotiation, data both ways, close_notify from either side`, async () => {
          const h = await serve({ ecdhCurve: group.ecdhCurve }, echoServer);
          const args = ['-tls1_2', '-cipher', suite.name, '-nocommands'];

          // 1. The client talks, then ends its stdin: s_client sends close_notify.
          const ping = `ping ${suite.name} ${group.ecdhCurve}\n`;
          const c1 = sClient(h.port, { args, stdin: ping, endStdin: false });
          const s1 = await h.socket(0);
          const s1Ended = once(s1, 'end');
          await c1.waitForStdout(`echo:${ping}`);
          c1.endStdin();
          await s1Ended;
          const r1 = await c1.done();

          assert.equal(r1.code, 0, r1.stderr);
          assert.equal(r1.protocol, 'TLSv1.2');
          assert.equal(r1.cipher, suite.name);
          assert.deepEqual(r1.handshakes, [{ reused: false, protocol: 'TLSv1.2', cipher: suite.name }]);
          assert.equal(r1.serverTempKey, group.tempKey);
          assert.equal(r1.group, group.group);
          assert.equal(r1.peerSignatureType, 'ECDSA');
          assert.match(r1.stderr, /^DONE$/m, 'stdin EOF made s_client close');

          assert.deepEqual(seen(s1).cipher, { name: suite.name, standardName: suite.standardName, version: 'TLSv1.2' });
          assert.equal(seen(s1).protocol, 'TLSv1.2');
          assert.equal(seen(s1).groupName, group.serverName);
          assert.equal(receivedBy(s1), ping);
          assert.equal(s1.connection.receivedCloseNotify, true, 'the end came with a close_notify, not a bare FIN');

          // 2. The server ends: s_client reads "bye", then the close_notify ("closed", exit 0).
          const c2 = sClient(h.port, { args, stdin: 'please close\n', endStdin: false });
          const s2 = await h.socket(1);
          const s2Closed = once(s2, 'close');
          const r2 = await c2.done();
          await s2Closed;
          assert.equal(r2.code, 0, r2.stderr);
          assert.equal(r2.cipher, suite.name);
          assert.equal(r2.serverTempKey, group.tempKey);
          assert.match(r2.stdout.toString(), /^bye\nclosed\n$/m, 's_client saw the data, then a clean close_notify');
          assert.equal(receivedBy(s2), 'please close\n');
          assert.equal(s2.connection.sentCloseNotify, true);
          // s_client answers our close_notify with its own.
          assert.equal(s2.connection.receivedCloseNotify, true);
          assert.deepEqual(h.clientErrors, []);
        });
      }
    }
  });

  it('destroy() without close_notify: s_client sees a truncated connection, not a clean close', async () => {
    const h = await serve({}, (s) => {
      s.resume();
      s.write('cut\n', () => s.destroy());
    });
    const r = await sClient(h.port, { args: ['-tls1_2', '-nocommands'], stdin: '', endStdin: false }).done();
    assert.match(r.stdout.toString(), /^cut$/m);
    assert.doesNotMatch(r.stdout.toString(), /^closed$/m);
    assert.match(r.stderr, /unexpected eof while reading/);
    assert.notEqual(r.code, 0);
  });

  describe('groups bound the certificate curve too (RFC 8422 §5.1)', () => {
    it('refuses -groups X25519 when the certificate is on P-256, with handshake_failure', async () => {
      const h = await serve({});
      const r = await run(h.port, { args: ['-tls1_2', '-groups', 'X25519'] });
      assert.notEqual(r.code, 0);
      assert.deepEqual(r.alerts, ['handshake failure'], r.stderr);
      const err = await clientError(h);
      assert.ok(err instanceof TlsError);
      assert.equal(err.alert, AlertDescription.handshake_failure);
      assert.equal(h.sockets.length, 0, 'no secureConnection');
    });

    it('serves a P-384 certificate to -groups P-384 (temp key and certificate on P-384)', async () => {
      const cert = testCertificate('P-384');
      const h = await serve({ key: cert.keyPem, cert: cert.certPem });
      const r = await run(h.port, { args: ['-tls1_2', '-groups', 'P-384'] });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.protocol, 'TLSv1.2');
      assert.equal(r.serverTempKey, 'ECDH, secp384r1, 384 bits');
      assert.equal(r.serverPublicKeyBits, 384);
      assert.equal(r.peerSigningDigest, 'SHA384', 'the ServerKeyExchange is signed with the hash that matches P-384');
      assert.equal(seen(await h.socket(0)).groupName, 'secp384r1');
    });

    it('signs with SHA-384 for -sigalgs ECDSA+SHA384 with a P-256 certificate', async () => {
      const h = await serve({});
      const r = await run(h.port, { args: ['-tls1_2', '-sigalgs', 'ECDSA+SHA384'] });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.cipher, 'ECDHE-ECDSA-AES128-GCM-SHA256');
      assert.equal(r.peerSigningDigest, 'SHA384');
      assert.equal(r.peerSignatureType, 'ECDSA');
      assert.equal(r.serverPublicKeyBits, 256);
      assert.equal(h.sockets.length, 1);
    });

    for (const [hash, cert] of [['SHA224', 'P-256'], ['SHA224', 'P-384'], ['SHA512', 'P-256'], ['SHA512', 'P-384']] as const) {
      it(`-sigalgs ECDSA+${hash} alone with a ${cert} certificate: served, signed with ${hash} (TLS 1.2 binds no curve)`, async () => {
        const c = testCertificate(cert);
        const h = await serve({ key: c.keyPem, cert: c.certPem });
        const r = await run(h.port, { args: ['-tls1_2', '-sigalgs', `ECDSA+${hash}`] });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.peerSigningDigest, hash);
        assert.equal(r.peerSignatureType, 'ECDSA');
        assert.equal(h.sockets.length, 1);
      });
    }

    it('-sigalgs ECDSA+SHA1 alone: handshake_failure (RFC 9155: never SHA-1), and the next client is served', async () => {
      const h = await serve({});
      // s_client 3.0 offers SHA-1 only at security level 0.
      const r = await run(h.port, { args: ['-tls1_2', '-sigalgs', 'ECDSA+SHA1', '-cipher', 'DEFAULT@SECLEVEL=0'] });
      assert.notEqual(r.code, 0);
      assert.deepEqual(r.alerts, ['handshake failure'], r.stderr);
      assert.equal(((await clientError(h)) as TlsError).reason, 'ERR_NO_SHARED_SIGALG');
      const ok = await run(h.port, { args: ['-tls1_2'] });
      assert.equal(ok.code, 0, ok.stderr);
    });

    it('refuses a client whose only suite needs a certificate we lack (ECDHE-RSA, with an ECDSA certificate), with handshake_failure', async () => {
      const h = await serve({});
      const r = await run(h.port, { args: ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'] });
      assert.notEqual(r.code, 0);
      assert.deepEqual(r.alerts, ['handshake failure'], r.stderr);
      assert.equal(((await clientError(h)) as TlsError).alert, AlertDescription.handshake_failure);
      assert.equal(h.sockets.length, 0);
    });
    it('a client that rejects our certificate (-verify_return_error) alerts: tlsClientError, no secureConnection', async () => {
      const h = await serve({});
      const r = await run(h.port, { args: ['-tls1_2', '-verify_return_error'] });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /self-signed certificate/);
      const err = await clientError(h);
      assert.ok(err instanceof TlsError);
      assert.equal(err.fromPeer, true, 'the alert came from the client');
      assert.equal(err.alert, AlertDescription.unknown_ca);
      assert.equal(h.sockets.length, 0);
    });
  });

  describe('1 MiB each way', () => {
    for (const suite of SUITES) {
      it(`${suite.name}: server -> s_client, byte for byte`, async () => {
        const payload = pattern(MiB, 1);
        const h = await serve({}, (s) => {
          s.resume();
          s.write(payload);
          s.end();
        });
        // -quiet: stdout is exactly the data received (and stdin EOF is ignored).
        const c = sClient(h.port, { args: ['-tls1_2', '-cipher', suite.name, '-quiet'] });
        const r = await c.done();
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.length, payload.length);
        assert.ok(r.stdout.equals(payload), 'the data differs');
        assert.equal(seen(h.sockets[0]!).cipher?.name, suite.name);
      });

      it(`${suite.name}: s_client stdin -> server, counted and hashed`, async () => {
        const payload = pattern(MiB, 2);
        const got: { length: number; hash: string }[] = [];
        const h = await serve({}, (s) => {
          const hash = createHash('sha256');
          let length = 0;
          s.on('data', (d: Buffer) => {
            hash.update(d);
            length += d.length;
          });
          s.on('end', () => got.push({ length, hash: hash.digest('hex') }));
        });
        const r = await run(h.port, { args: ['-tls1_2', '-cipher', suite.name, '-nocommands'], stdin: payload });
        assert.equal(r.code, 0, r.stderr);
        const s = await h.socket(0);
        if (got.length === 0) await once(s, 'end');
        assert.deepEqual(got, [{ length: MiB, hash: sha256(payload) }]);
      });
    }
  });

  describe('extensions and session resumption', () => {
    it('reports extended master secret and secure renegotiation; no ALPN, no SNI by default', async () => {
      const h = await serve({ ALPNProtocols: ['http/1.1'] });
      const r = await run(h.port, { args: ['-tls1_2'] });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.extendedMasterSecret, true);
      assert.equal(r.secureRenegotiation, true);
      assert.equal(r.alpn, null, 'No ALPN negotiated');
      const s = await h.socket(0);
      assert.equal(seen(s).negotiated?.extendedMasterSecret, true);
      assert.equal(seen(s).negotiated?.secureRenegotiation, true);
      assert.equal(s.alpnProtocol, false);
      assert.equal(s.servername, false);
    });

    it('ALPN: -alpn h2,http/1.1 against [http/1.1] selects http/1.1', async () => {
      const h = await serve({ ALPNProtocols: ['http/1.1'] });
      const r = await run(h.port, { args: ['-tls1_2', '-alpn', 'h2,http/1.1'] });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.alpn, 'http/1.1');
      assert.equal((await h.socket(0)).alpnProtocol, 'http/1.1');
    });

    it('ALPN: no protocol in common is a no_application_protocol alert', async () => {
      const h = await serve({ ALPNProtocols: ['http/1.1'] });
      const r = await run(h.port, { args: ['-tls1_2', '-alpn', 'h2'] });
      assert.notEqual(r.code, 0);
      assert.deepEqual(r.alerts, ['no application protocol'], r.stderr);
      assert.equal(((await clientError(h)) as TlsError).alert, AlertDescription.no_application_protocol);
      assert.equal(h.sockets.length, 0);
    });

    it('SNI: -servername example.test shows in socket.servername', async () => {
      const h = await serve({});
      const r = await run(h.port, { args: ['-tls1_2', '-servername', 'example.test'] });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await h.socket(0)).servername, 'example.test');
    });

    const RESUMPTION = [
      { via: 'session-id', label: 'the session-ID cache (-no_ticket)', args: ['-no_ticket'] },
      { via: 'ticket', label: 'a session ticket (the default)', args: [] },
    ] as const;

    for (const mode of RESUMPTION) {
      it(`-reconnect by ${mode.label}: a full handshake, then five resumptions`, async () => {
        const h = await serve({});
        const r = await run(h.port, { args: ['-tls1_2', '-reconnect', ...mode.args] });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(
          r.handshakes.map((x) => x.reused),
          [false, true, true, true, true, true],
        );
        for (const x of r.handshakes) assert.deepEqual(x, { reused: x.reused, protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
        await h.socket(5);
        assert.deepEqual(
          h.sockets.map((s) => seen(s).reused),
          [false, true, true, true, true, true],
        );
        assert.deepEqual(
          h.sockets.map((s) => seen(s).negotiated?.resumedBy),
          [undefined, mode.via, mode.via, mode.via, mode.via, mode.via],
        );
        assert.equal(seen(h.sockets[0]!).negotiated?.ticketIssued, mode.via === 'ticket');
        const secrets = h.sockets.map((s) => Buffer.from(seen(s).session!.masterSecret).toString('hex'));
        assert.equal(new Set(secrets).size, 1, 'every reconnect resumed the first session (same master secret)');
        const ids = h.sockets.map((s) => Buffer.from(seen(s).session!.sessionId).toString('hex').toUpperCase());
        // By ID, every connection carries the first session's ID. With a ticket, OpenSSL names the
        // session by SHA-256 of the ticket it holds, and the server takes the ID the client offers.
        if (mode.via === 'session-id') {
          assert.equal(new Set(ids).size, 1);
          assert.equal(ids[0], r.sessionId);
        }
      });

      it(`-sess_out then -sess_in resumes by ${mode.label}; another server does a full handshake`, async () => {
        const h = await serve({});
        const first = await run(h.port, { args: ['-tls1_2', ...mode.args], sessOut: true });
        assert.equal(first.code, 0, first.stderr);
        assert.equal(first.reused, false);
        assert.match(first.sessionPem ?? '', /^-----BEGIN SSL SESSION PARAMETERS-----\n/);
        const dir = mkdtempSync(join(tmpdir(), 'puretls-sess-in-'));
        scratchDirs.push(dir);
        const file = join(dir, 'sess.pem');
        writeFileSync(file, first.sessionPem!);

        const second = await run(h.port, { args: ['-tls1_2', '-sess_in', file, ...mode.args] });
        assert.equal(second.code, 0, second.stderr);
        assert.equal(second.reused, true);
        assert.equal(second.extendedMasterSecret, true);
        const s = await h.socket(1);
        assert.equal(seen(s).reused, true);
        assert.equal(seen(s).negotiated?.resumedBy, mode.via);
        const secret = (n: number): string => Buffer.from(seen(h.sockets[n]!).session!.masterSecret).toString('hex');
        assert.equal(secret(1), secret(0), 'the session of the first connection was resumed');
        const serverId = (n: number): string => Buffer.from(seen(h.sockets[n]!).session!.sessionId).toString('hex').toUpperCase();
        // By ID, s_client shows ours; by ticket, OpenSSL names the session by the SHA-256 of
        // the ticket (which it keeps: we renew a ticket only when its key is no longer current).
        if (mode.via === 'session-id') {
          assert.equal(first.sessionId, serverId(0));
          assert.equal(second.sessionId, first.sessionId);
        }
        assert.equal(seen(h.sockets[0]!).reused, false);

        // Another server has its own cache and its own ticket keys: the session means nothing there.
        const other = await serve({});
        const third = await run(other.port, { args: ['-tls1_2', '-sess_in', file, ...mode.args] });
        assert.equal(third.code, 0, third.stderr);
        assert.equal(third.reused, false);
        assert.equal(seen(await other.socket(0)).reused, false);
      });
    }

    it('with no cache and no tickets nothing resumes, and s_client is told so', async () => {
      const h = await serve({ sessionCache: false, tickets: false });
      const r = await run(h.port, { args: ['-tls1_2', '-reconnect'] });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        r.handshakes.map((x) => x.reused),
        [false, false, false, false, false, false],
      );
      await h.socket(5);
      assert.deepEqual(
        h.sockets.map((s) => seen(s).reused),
        [false, false, false, false, false, false],
      );
    });
  });

  describe('versions other than TLS 1.2', () => {
    for (const args of [['-no_tls1_2'], ['-tls1_1']]) {
      it(`${args.join(' ')} gets a protocol_version alert`, async () => {
        const h = await serve({});
        const r = await run(h.port, { args });
        assert.notEqual(r.code, 0);
        assert.deepEqual(r.alerts, ['protocol version'], r.stderr);
        const err = await clientError(h);
        assert.ok(err instanceof TlsError);
        assert.equal(err.alert, AlertDescription.protocol_version);
        assert.equal(h.sockets.length, 0, 'no secureConnection');
      });
    }

    it('a TLS 1.3-capable s_client (no version flag) gets TLS 1.2', async () => {
      const h = await serve({});
      const r = await run(h.port, {});
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.protocol, 'TLSv1.2');
      assert.equal(seen(await h.socket(0)).protocol, 'TLSv1.2');
    });
  });
});
