/**
 * Client certificates against `openssl s_client -cert/-key [-cert_chain]`: the handshake, what
 * the server socket reports, the alert s_client sees for each refusal, resumption, and spec
 * rule 3 (requestCert with an empty sid_ctx, docs/SPEC-sid-ctx.md) end to end. Where node:tls is
 * the reference (authorizationError), a node:tls server is run with the same options and the
 * same s_client command.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Session } from '../../src/session/session.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, it } from 'mocha';
import type { TlsContext } from '../../src/context.js';
import { AlertDescription as A, type TlsError } from '../../src/errors.js';
import type { ServerOptions } from '../../src/node/options.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { MemorySessionCache } from '../../src/session/memory-cache.js';
import { clientCerts, type ClientCert } from '../helpers/client-certs.js';
import { startServer, testCertificate } from '../helpers/fixtures.js';
import { Scratch, freePort, startSServer, stop } from '../helpers/openssl.js';
import { runSClient, type SClientResult } from '../helpers/s-client.js';
import { startNodeTlsServer } from '../helpers/node-tls.js';
import { TcpTlsClient } from '../helpers/tls-client.js';

const cleanups: Array<() => Promise<void> | void> = [];
/** What the server socket reported, read in its secureConnection listener. */
interface Seen {
  socket: TlsSocket;
  authorized: boolean;
  authorizationError: string | null;
  reused: boolean;
  resumedBy: string | undefined;
  /** The server sent a NewSessionTicket in this handshake. */
  ticketIssued: boolean | undefined;
  cn: string | undefined;
  raw: string | undefined;
  fingerprint256: string | undefined;
}

interface Harness {
  port: number;
  context: TlsContext;
  seen: Seen[];
  errors: TlsError[];
  /** TCP connections accepted. */
  connections: number;
  /** Resolves once every accepted connection has closed (so every server event has fired). */
  idle(): Promise<void>;
}

/** Counts a server's TCP connections; `idle()` waits until all of them have closed. */
function track(server: import('node:net').Server): { count(): number; idle(): Promise<void> } {
  let accepted = 0;
  let open = 0;
  let waiters: Array<() => void> = [];
  server.on('connection', (s: import('node:net').Socket) => {
    accepted++;
    open++;
    s.on('close', () => {
      if (--open === 0) {
        const w = waiters;
        waiters = [];
        for (const f of w) f();
      }
    });
  });
  return {
    count: () => accepted,
    idle: () => (open === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}

async function serve(options: ServerOptions): Promise<Harness> {
  const h = { port: 0, context: undefined as unknown as TlsContext, seen: [] as Seen[], errors: [] as TlsError[] };
  const running = await startServer(options, (socket: TlsSocket) => {
    const peer = socket.getPeerCertificate();
    h.seen.push({
      socket,
      authorized: socket.authorized,
      authorizationError: socket.authorizationErrorName,
      reused: socket.isSessionReused(),
      resumedBy: socket.connection.negotiated?.resumedBy,
      ticketIssued: socket.connection.negotiated?.ticketIssued,
      cn: 'subject' in peer ? (peer.subject.CN as string | undefined) : undefined,
      raw: 'raw' in peer ? peer.raw.toString('hex') : undefined,
      fingerprint256: 'fingerprint256' in peer ? peer.fingerprint256 : undefined,
    });
    socket.on('error', () => undefined);
    socket.resume(); // read to the close_notify, so the socket ends and s_client need not wait
  });
  running.server.on('tlsClientError', (e: TlsError) => h.errors.push(e));
  const connections = track(running.server);
  cleanups.push(() => running.close());
  h.port = running.port;
  h.context = running.server.context;
  return {
    ...h,
    get connections() {
      return connections.count();
    },
    idle: connections.idle,
  };
}

/** A node:tls server (TLS 1.2) with the same certificate and these client-auth options; its sockets' authorizationError. */
async function nodeServer(options: tls.TlsOptions): Promise<{ port: number; errors: Array<string | null>; idle(): Promise<void> }> {
  const cert = testCertificate();
  const errors: Array<string | null> = [];
  const running = await startNodeTlsServer({ key: cert.keyPem, cert: cert.certPem, maxVersion: 'TLSv1.2', ...options }, (socket) => {
    errors.push(socket.authorized ? null : String(socket.authorizationError));
    socket.on('error', () => undefined);
    socket.resume();
  });
  const connections = track(running.server);
  cleanups.push(() => running.close());
  return { port: running.port, errors, idle: connections.idle };
}

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'puretls-clientauth-sc-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** s_client arguments presenting `leaf` (and the intermediate when it issued it). */
function certArgs(leaf: ClientCert, keyFile = leaf.keyFile): string[] {
  const args = ['-cert', leaf.certFile, '-key', keyFile];
  if (leaf.chainPem !== leaf.pem) args.push('-cert_chain', clientCerts().inter.certFile);
  return args;
}

/** s_client (TLS 1.2) run to its end; then waits until the server has closed every connection. */
async function sClient(server: { port: number; idle(): Promise<void> }, args: string[], sessOut = false): Promise<SClientResult> {
  const r = await runSClient(server.port, { args: ['-tls1_2', ...args], sessOut });
  await server.idle();
  return r;
}

function describeRun(r: SClientResult): string {
  return `exit ${r.code}; alerts ${JSON.stringify(r.alerts)}; stderr: ${r.stderr.slice(-600)}`;
}

function assertOk(r: SClientResult, handshakes = 1): void {
  assert.equal(r.code, 0, describeRun(r));
  assert.deepEqual(r.alerts, [], describeRun(r));
  assert.equal(r.handshakes.length, handshakes, describeRun(r));
  assert.equal(r.protocol, 'TLSv1.2');
}

/** The scheme of the CertificateVerify s_client sent (from -msg), or undefined when it sent none. */
function sentCertificateVerifyScheme(r: SClientResult): number | undefined {
  const m = />>> TLS 1\.2, Handshake \[length [0-9a-f]+\], CertificateVerify\s+0f 00 [0-9a-f]{2} [0-9a-f]{2} ([0-9a-f]{2}) ([0-9a-f]{2})/.exec(r.stdout.toString('latin1'));
  return m ? parseInt(m[1]! + m[2]!, 16) : undefined;
}

/** The length (header included) of the Certificate message s_client sent (from -msg). */
function sentCertificateLength(r: SClientResult): number | undefined {
  const m = />>> TLS 1\.2, Handshake \[length ([0-9a-f]+)\], Certificate\s/.exec(r.stdout.toString('latin1'));
  return m ? parseInt(m[1]!, 16) : undefined;
}

describe('client certificates with openssl s_client', function () {
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  this.timeout(60_000);

  describe('accepted: requestCert with ca = the test root', () => {
    const leaves: Array<[string, (c: ReturnType<typeof clientCerts>) => ClientCert]> = [
      ['P-256 leaf from the root', (c) => c.p256],
      ['P-384 leaf from the root', (c) => c.p384],
      ['P-256 leaf with -cert_chain intermediate', (c) => c.p256Inter],
      ['P-384 leaf with -cert_chain intermediate', (c) => c.p384Inter],
      ['RSA-2048 leaf from the root', (c) => c.rsa],
      ['RSA-PSS (id-RSASSA-PSS) leaf from the root', (c) => c.rsaPss],
      ['Ed25519 leaf from the root', (c) => c.ed25519],
    ];
    for (const [name, pick] of leaves) {
      it(`${name}: authorized, getPeerCertificate() names it, raw and fingerprint256 match openssl`, async () => {
        const leaf = pick(clientCerts());
        const h = await serve({ requestCert: true, ca: clientCerts().root.pem });
        const r = await sClient(h, ['-msg', ...certArgs(leaf)]);
        assertOk(r);
        assert.equal(h.seen.length, 1);
        const seen = h.seen[0]!;
        assert.equal(seen.authorized, true);
        assert.equal(seen.authorizationError, null);
        assert.equal(seen.cn, leaf.cn);
        assert.equal(seen.raw, leaf.der.toString('hex'));
        assert.equal(seen.fingerprint256, leaf.fingerprint256);
        assert.ok(sentCertificateVerifyScheme(r), 's_client sent a CertificateVerify');
        assert.deepEqual(h.errors, []);
      });
    }

    const hashes: Array<[string, string, string, number]> = [
      ['P-384 key, CertificateVerify with SHA-384, PRF SHA-256 (AES128-GCM-SHA256)', 'p384', 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDSA+SHA384', 0x0503],
      ['P-256 key, CertificateVerify with SHA-256, PRF SHA-384 (AES256-GCM-SHA384)', 'p256', 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDSA+SHA256', 0x0403],
      ['P-256 key, CertificateVerify with SHA-384, PRF SHA-256 (CHACHA20-POLY1305)', 'p256', 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDSA+SHA384', 0x0503],
      ['P-384 key, CertificateVerify with SHA-512, PRF SHA-384', 'p384', 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDSA+SHA512', 0x0603],
    ];
    for (const [hash, code] of [['SHA256', 0x04], ['SHA384', 0x05], ['SHA512', 0x06]] as const) {
      for (const [padding, sigalg, scheme] of [['PSS', `rsa_pss_rsae_${hash.toLowerCase()}`, 0x0800 | code], ['PKCS#1 v1.5', `RSA+${hash}`, (code << 8) | 0x01]] as const) {
        it(`RSA key, CertificateVerify ${padding} with ${hash} (-client_sigalgs ${sigalg}): checked as 0x${scheme.toString(16).padStart(4, '0')}`, async () => {
          const c = clientCerts();
          const h = await serve({ requestCert: true, ca: c.root.pem });
          const r = await sClient(h, ['-msg', '-client_sigalgs', sigalg, ...certArgs(c.rsa)]);
          assertOk(r);
          assert.equal(sentCertificateVerifyScheme(r), scheme);
          assert.equal(h.seen[0]?.authorized, true);
        });
      }
    }

    it('an all-RSA chain (RSA root as ca, RSA leaf): authorized', async () => {
      const c = clientCerts();
      const h = await serve({ requestCert: true, ca: c.rsaRoot.pem });
      const r = await sClient(h, ['-msg', ...certArgs(c.rsaUnderRsa)]);
      assertOk(r);
      assert.equal(h.seen[0]?.authorized, true);
      assert.equal(h.seen[0]?.cn, c.rsaUnderRsa.cn);
      assert.equal(sentCertificateVerifyScheme(r), 0x0804);
    });

    for (const [name, leafName, spec, scheme] of hashes) {
      it(name, async () => {
        const [cipher, sigalgs] = spec.split(':') as [string, string];
        const leaf = clientCerts()[leafName as 'p256' | 'p384'];
        const h = await serve({ requestCert: true, ca: clientCerts().root.pem });
        const r = await sClient(h, ['-msg', '-cipher', cipher, '-client_sigalgs', sigalgs, ...certArgs(leaf)]);
        assertOk(r);
        assert.equal(r.cipher, cipher);
        assert.equal(sentCertificateVerifyScheme(r), scheme);
        assert.equal(h.seen[0]?.authorized, true);
      });
    }
  });

  describe('resumption keeps authorized and the peer certificate (sessionIdContext set)', () => {
    for (const [name, extra, by] of [
      ['by ticket (-reconnect)', [], 'ticket'],
      ['by session ID (-reconnect -no_ticket)', ['-no_ticket'], 'session-id'],
    ] as const) {
      it(name, async () => {
        const c = clientCerts();
        const h = await serve({ requestCert: true, ca: c.root.pem, sessionIdContext: 'client-auth' });
        const r = await sClient(h, ['-reconnect', ...extra, ...certArgs(c.p384Inter)]);
        assertOk(r, 6);
        assert.deepEqual(r.handshakes.map((x) => x.reused), [false, true, true, true, true, true]);
        assert.deepEqual(h.seen.map((s) => s.reused), [false, true, true, true, true, true]);
        assert.deepEqual(h.seen.map((s) => s.resumedBy), [undefined, by, by, by, by, by]);
        for (const s of h.seen) {
          assert.equal(s.authorized, true);
          assert.equal(s.authorizationError, null);
          assert.equal(s.cn, c.p384Inter.cn);
          assert.equal(s.raw, c.p384Inter.der.toString('hex'));
          assert.equal(s.fingerprint256, c.p384Inter.fingerprint256);
        }
        assert.equal(h.context.stats.hits, 5);
      });
    }

    it('an unauthorized session (rejectUnauthorized: false, unknown CA) stays unauthorized with the same error when resumed', async () => {
      const c = clientCerts();
      const h = await serve({ requestCert: true, rejectUnauthorized: false, ca: c.root.pem, sessionIdContext: 'client-auth' });
      const r = await sClient(h, ['-reconnect', '-no_ticket', ...certArgs(c.stranger)]);
      assertOk(r, 6);
      assert.deepEqual(h.seen.map((s) => [s.reused, s.authorized, s.authorizationError, s.cn]), [
        [false, false, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', c.stranger.cn],
        ...Array.from({ length: 5 }, () => [true, false, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', c.stranger.cn]),
      ]);
    });
  });

  describe('refused with rejectUnauthorized (the default): the alert s_client reports and tlsClientError', () => {
    /**
     * The alert s_client reports against `openssl s_server -Verify -verify_return_error` with
     * the same CA file: OpenSSL's own choice of alert for the same client.
     */
    async function opensslAlerts(args: string[], caFile = clientCerts().root.certFile): Promise<string[]> {
      const scratch = new Scratch();
      cleanups.push(() => scratch.dispose());
      const port = await freePort();
      const server = await startSServer([
        '-accept', String(port), '-cert', scratch.certFile, '-key', scratch.keyFile, '-tls1_2',
        '-Verify', '9', '-verify_return_error', '-CAfile', caFile,
      ]);
      cleanups.push(() => stop(server));
      const r = await runSClient(port, { args: ['-tls1_2', ...args] });
      return r.alerts;
    }

    async function refused(args: string[], alertText: string, alert: number, code: string, oracle = true): Promise<SClientResult> {
      const h = await serve({ requestCert: true, ca: clientCerts().root.pem });
      const r = await sClient(h, ['-msg', ...args]);
      assert.notEqual(r.code, 0, describeRun(r));
      assert.deepEqual(r.alerts, [alertText], describeRun(r));
      assert.equal(h.seen.length, 0, 'no secureConnection');
      assert.deepEqual(h.errors.map((e) => [e.alert, e.reason]), [[alert, code]]);
      if (oracle) assert.deepEqual(await opensslAlerts(args), [alertText], 'openssl s_server sends the same alert');
      return r;
    }

    it('no client certificate: handshake failure', async () => {
      const r = await refused([], 'handshake failure', A.handshake_failure, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
      assert.equal(sentCertificateLength(r), 7, 'an empty Certificate message');
    });

    it('a client certificate from an unknown CA: unknown ca', async () => {
      await refused(certArgs(clientCerts().stranger), 'unknown ca', A.unknown_ca, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    });

    it('a leaf without the intermediate that issued it: unknown ca', async () => {
      await refused(['-cert', clientCerts().p256Inter.certFile, '-key', clientCerts().p256Inter.keyFile], 'unknown ca', A.unknown_ca, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    });

    it('an expired client certificate: certificate expired', async () => {
      await refused(certArgs(clientCerts().expired), 'certificate expired', A.certificate_expired, 'CERT_HAS_EXPIRED');
    });

    it('a serverAuth-only leaf: unsupported certificate', async () => {
      await refused(certArgs(clientCerts().serverOnly), 'unsupported certificate', A.unsupported_certificate, 'INVALID_PURPOSE');
    });

    it('an RSA-signed chain (RSA root, RSA leaf) whose leaf signature is broken: decrypt error, as from openssl s_server', async () => {
      const c = clientCerts();
      const broken = Buffer.from(c.rsaUnderRsa.der);
      broken[broken.length - 10]! ^= 0x01; // inside the signatureValue; the public key is untouched, so the key still matches
      const dir = scratchDir();
      const certFile = join(dir, 'broken.pem');
      writeFileSync(certFile, `-----BEGIN CERTIFICATE-----\n${broken.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`);
      const args = ['-cert', certFile, '-key', c.rsaUnderRsa.keyFile];
      const h = await serve({ requestCert: true, ca: c.rsaRoot.pem });
      const r = await sClient(h, ['-msg', ...args]);
      assert.notEqual(r.code, 0, describeRun(r));
      assert.deepEqual(r.alerts, ['decrypt error'], describeRun(r));
      assert.deepEqual(h.errors.map((e) => [e.alert, e.reason]), [[A.decrypt_error, 'CERT_SIGNATURE_FAILURE']]);
      assert.equal(h.seen.length, 0);
      assert.deepEqual(await opensslAlerts(args, c.rsaRoot.certFile), ['decrypt error'], 'openssl s_server sends the same alert');
    });

    it('a key that does not match the certificate: s_client refuses locally; the test client sending it gets decrypt_error', async () => {
      const c = clientCerts();
      const h = await serve({ requestCert: true, ca: c.root.pem });
      const r = await sClient(h, certArgs(c.p256, c.strayKeyFile));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /key values mismatch/);
      assert.equal(h.connections, 0, 's_client never connected');

      const client = await TcpTlsClient.connect(h.port, { clientCertificate: { chain: [c.p256.der], key: c.strayKeyPem } });
      cleanups.push(() => client.destroy());
      client.send(client.tls.start());
      await client.waitFor(() => client.tls.fatalAlert !== undefined, 'an alert');
      assert.equal(client.tls.fatalAlert, A.decrypt_error);
      await client.closed;
      assert.deepEqual(h.errors.map((e) => [e.alert, e.reason]), [[A.decrypt_error, 'ERR_BAD_SIGNATURE']]);
      assert.equal(h.seen.length, 0);
    });

    it('(control) the test client over TCP with the matching key is authorized', async () => {
      const c = clientCerts();
      const h = await serve({ requestCert: true, ca: c.root.pem });
      const client = await TcpTlsClient.connect(h.port, { clientCertificate: { chain: [c.p256.der], key: c.p256.keyPem } });
      cleanups.push(() => client.destroy());
      await client.handshake();
      await client.waitFor(() => h.seen.length === 1, 'secureConnection');
      assert.equal(h.seen[0]!.authorized, true);
      assert.equal(h.seen[0]!.raw, c.p256.der.toString('hex'));
    });
  });

  describe('rejectUnauthorized: false: the handshake completes; authorizationError as a node:tls server reports it for the same s_client', () => {
    const cases: Array<[string, (c: ReturnType<typeof clientCerts>) => string[], boolean]> = [
      ['a client certificate from an unknown CA', (c) => certArgs(c.stranger), true],
      ['an expired client certificate', (c) => certArgs(c.expired), true],
      ['a serverAuth-only leaf', (c) => certArgs(c.serverOnly), true],
      ['no client certificate', () => [], false],
    ];
    for (const [name, args, hasCert] of cases) {
      it(name, async () => {
        const c = clientCerts();
        const options = { requestCert: true, rejectUnauthorized: false, ca: c.root.pem };
        const h = await serve(options);
        const r = await sClient(h, args(c));
        assertOk(r);
        const reference = await nodeServer(options);
        assertOk(await sClient(reference, args(c)));
        assert.equal(reference.errors.length, 1);
        const seen = h.seen[0]!;
        assert.equal(seen.authorized, false);
        assert.equal(seen.raw !== undefined, hasCert);
        assert.notEqual(seen.authorizationError, null);
        assert.equal(seen.authorizationError, reference.errors[0]);
      });
    }
  });

  describe('spec rule 3: requestCert with sessionIdContext "" (empty)', () => {
    it('sessions are not cached, so ServerHello carries no session ID (SPEC: an ID only for a cached session)', async () => {
      const c = clientCerts();
      const h = await serve({ requestCert: true, ca: c.root.pem, sessionIdContext: '' });
      const r = await sClient(h, ['-reconnect', '-no_ticket', ...certArgs(c.p256)]);
      assertOk(r, 6);
      assert.deepEqual(r.handshakes.map((x) => x.reused), [false, false, false, false, false, false]);
      assert.ok(!r.sessionId, `no session ID (s_client shows ${JSON.stringify(r.sessionId)})`);
      assert.equal(h.context.sessionCache?.size, 0, 'the cache stays empty');
      assert.equal(h.context.stats.hits, 0);
      assert.equal(h.context.stats.misses, 0, 'nothing to offer back, so nothing missed');
      assert.equal(h.seen.filter((s) => s.authorized).length, 6);
    });

    it('no ticket is issued (it could never resume): every -reconnect is a full handshake', async () => {
      const c = clientCerts();
      const h = await serve({ requestCert: true, ca: c.root.pem, sessionIdContext: '' });
      const r = await sClient(h, ['-reconnect', ...certArgs(c.p256)]);
      assertOk(r, 6);
      assert.deepEqual(r.handshakes.map((x) => x.reused), [false, false, false, false, false, false]);
      assert.deepEqual(h.seen.map((s) => s.ticketIssued), [false, false, false, false, false, false], 'no NewSessionTicket sent');
      assert.doesNotMatch(r.stdout.toString('latin1'), /TLS session ticket:/, 's_client saw no ticket');
      assert.deepEqual(h.errors, []);
      assert.equal(h.context.stats.acceptGood, 6);
    });

    it('a ticket made by a sibling (same ticket keys, also sid_ctx ""), offered by -sess_in: fatal internal_error', async () => {
      const c = clientCerts();
      const ticketKeys = randomBytes(48);
      const sibling = await serve({ ticketKeys, sessionIdContext: '' });
      const first = await sClient(sibling, [], true);
      assertOk(first);
      assert.ok(first.sessionPem);
      const h = await serve({ requestCert: true, ca: c.root.pem, sessionIdContext: '', ticketKeys });
      const file = join(scratchDir(), 'ticket-sess.pem');
      writeFileSync(file, first.sessionPem);
      const again = await sClient(h, ['-sess_in', file, ...certArgs(c.p256)]);
      assert.deepEqual(again.alerts, ['internal error'], describeRun(again));
      assert.deepEqual(h.errors.map((e) => [e.alert, e.reason]), [[A.internal_error, 'SESSION_ID_CONTEXT_UNINITIALIZED']]);
      assert.equal(h.seen.length, 0, 'no handshake completed');
      assert.equal(h.context.stats.hits, 0);
    });

    for (const sid of ['', 'ctx'] as const) {
      const what = sid === '' ? 'fatal internal_error' : '(control, sid_ctx "ctx") resumed';
      it(`a session imported into the cache and offered by ID (-sess_in -no_ticket): ${what}`, async () => {
        const c = clientCerts();
        const cache = new MemorySessionCache({ flushIntervalSeconds: 0 });
        // The session is made where it can be cached (sid_ctx "ctx"), so s_client holds an ID.
        const maker = await serve({ requestCert: true, ca: c.root.pem, sessionIdContext: 'ctx', sessionCache: cache });
        const first = await sClient(maker, ['-no_ticket', ...certArgs(c.p256)], true);
        assertOk(first);
        assert.ok(first.sessionPem);
        assert.equal(cache.size, 1);
        const h = sid === '' ? await serve({ requestCert: true, ca: c.root.pem, sessionIdContext: '', sessionCache: cache }) : maker;
        if (sid === '') {
          // The same session as the client holds it: its sid_ctx is the client's own, empty.
          cache.clear();
          await h.context.importSession(Session.fromPEM(first.sessionPem));
          assert.equal(cache.size, 1);
        }
        const file = join(scratchDir(), 'sess.pem');
        writeFileSync(file, first.sessionPem);
        const again = await sClient(h, ['-no_ticket', '-sess_in', file, ...certArgs(c.p256)]);
        if (sid === '') {
          assert.deepEqual(again.alerts, ['internal error'], describeRun(again));
          assert.deepEqual(h.errors.map((e) => e.reason), ['SESSION_ID_CONTEXT_UNINITIALIZED']);
          assert.equal(h.seen.length, 0, 'the empty-sid_ctx server completed no handshake');
        } else {
          assertOk(again);
          assert.equal(again.handshakes[0]!.reused, true);
          assert.equal(h.seen[1]?.authorized, true);
          assert.equal(h.seen[1]?.raw, c.p256.der.toString('hex'));
        }
      });
    }
  });
});
