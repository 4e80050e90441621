/**
 * The session id context against OpenSSL's own tools (docs/SPEC-sid-ctx.md): `openssl s_client`
 * resuming (and refusing to resume) across servers that share one cache, and
 * `openssl sess_id` reading the sessions puretls exports.
 *
 * s_client gets `-no_ticket` wherever a session-ID resumption is meant (puretls issues
 * tickets by default, and a ticket would be tried first).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { TlsContext } from '../../src/context.js';
import type { ServerOptions } from '../../src/node/options.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { MemorySessionCache } from '../../src/session/memory-cache.js';
import { Session } from '../../src/session/session.js';
import { startServer, testCertificate, type RunningServer } from '../helpers/fixtures.js';
import { Scratch, sessIdText } from '../helpers/openssl.js';
import { runSClient, type SClientResult } from '../helpers/s-client.js';

const cleanups: Array<() => Promise<void> | void> = [];
function scratch(): Scratch {
  const s = new Scratch();
  cleanups.push(() => s.dispose());
  return s;
}

interface Harness {
  running: RunningServer;
  port: number;
  context: TlsContext;
  /** The server-side sockets, in order. */
  sockets: TlsSocket[];
  /**
   * Each socket's session as its 'secureConnection' saw it: `getSession()` (DER) and the
   * Session (a destroyed socket answers as before a handshake, as node:tls's answers null).
   */
  sessions: Array<{ der: Buffer | undefined; session: TlsSocket['connection']['session'] }>;
}

async function serve(options: ServerOptions): Promise<Harness> {
  const sockets: TlsSocket[] = [];
  const sessions: Harness['sessions'] = [];
  const running = await startServer(options, (s: TlsSocket) => {
    sockets.push(s);
    sessions.push({ der: s.getSession(), session: s.connection.session });
  });
  cleanups.push(() => running.close());
  return { running, port: running.port, context: running.server.context, sockets, sessions };
}

/** A TlsContext with the test certificate (for the `context` createServer option). */
function context(options: ConstructorParameters<typeof TlsContext>[0] = {}): TlsContext {
  const cert = testCertificate();
  return new TlsContext({ key: cert.keyPem, cert: cert.certPem, ...options });
}

/** s_client, TLS 1.2, session-ID resumption only. */
function sClient(port: number, args: string[] = [], sessOut = false): Promise<SClientResult> {
  return runSClient(port, { args: ['-tls1_2', '-no_ticket', ...args], sessOut });
}

function assertHandshake(r: SClientResult, reused: boolean, what: string): void {
  assert.equal(r.handshakes.length, 1, `${what}: one handshake (stdout: ${r.stdout.toString().slice(0, 400)}; stderr: ${r.stderr.slice(0, 400)})`);
  assert.equal(r.handshakes[0]!.reused, reused, `${what}: expected ${reused ? 'Reused' : 'New'}`);
  assert.equal(r.handshakes[0]!.protocol, 'TLSv1.2');
  // s_client prints "New, ..." from the session it loaded even when the handshake fails: no alert means it did not.
  assert.deepEqual(r.alerts, [], `${what}: no alert`);
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('sid_ctx with openssl s_client and sess_id', function () {
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  this.timeout(60_000);

  it('-reconnect -no_ticket against one server: New, then Reused on every reconnect', async () => {
    const h = await serve({ sessionIdContext: 'reconnect' });
    const r = await runSClient(h.port, { args: ['-tls1_2', '-no_ticket', '-reconnect'] });
    assert.equal(r.handshakes.length, 6, r.stdout.toString().slice(0, 2000));
    assert.deepEqual(
      r.handshakes.map((x) => x.reused),
      [false, true, true, true, true, true],
    );
    assert.equal(h.context.stats.hits, 5);
    assert.equal(h.context.stats.contextMismatches, 0);
    assert.equal(h.context.stats.number, 1);
  });

  it('-sess_out then -sess_in resumes the same session', async () => {
    const s = scratch();
    const h = await serve({ sessionIdContext: 'sess-io' });
    const first = await sClient(h.port, [], true);
    assertHandshake(first, false, 'first');
    assert.ok(first.sessionPem && first.sessionId);
    const file = s.file(first.sessionPem, 'pem');
    const second = await sClient(h.port, ['-sess_in', file]);
    assertHandshake(second, true, '-sess_in');
    assert.equal(second.sessionId, first.sessionId);
    assert.equal(h.context.stats.hits, 1);
  });

  for (const via of ['createServer options', 'TlsContexts'] as const) {
    describe(`two servers sharing one cache (${via})`, () => {
      async function pair(sidA: string, sidB: string): Promise<{ A: Harness; B: Harness; shared: MemorySessionCache }> {
        const shared = new MemorySessionCache();
        cleanups.push(() => shared.close());
        const make = (sid: string) =>
          via === 'createServer options'
            ? serve({ sessionIdContext: sid, sessionCache: shared })
            : serve({ context: context({ sessionIdContext: sid, sessionCache: shared }) });
        const A = await make(sidA);
        const B = await make(sidB);
        assert.equal(A.context.sessionCache, shared);
        assert.equal(B.context.sessionCache, shared);
        return { A, B, shared };
      }

      it('different sid_ctx: a session from A offered to B is a full handshake counted as a mismatch; A still resumes it', async () => {
        const s = scratch();
        const { A, B, shared } = await pair('vhost-A', 'vhost-B');
        const first = await sClient(A.port, [], true);
        assertHandshake(first, false, 'A');
        const file = s.file(first.sessionPem!, 'pem');
        assert.equal(shared.size, 1);

        const onB = await sClient(B.port, ['-sess_in', file]);
        assertHandshake(onB, false, 'A session offered to B');
        assert.notEqual(onB.sessionId, first.sessionId, 'B made a new session');
        assert.equal(B.context.stats.contextMismatches, 1);
        assert.equal(B.context.stats.hits, 0);
        assert.equal(shared.size, 2, "B's new session joined A's in the shared cache");

        const backOnA = await sClient(A.port, ['-sess_in', file]);
        assertHandshake(backOnA, true, 'the same session back on A');
        assert.equal(A.context.stats.hits, 1);
        assert.equal(A.context.stats.contextMismatches, 0);
      });

      it('same sid_ctx: a session from A resumes on B', async () => {
        const s = scratch();
        const { A, B } = await pair('fleet', 'fleet');
        const first = await sClient(A.port, [], true);
        const file = s.file(first.sessionPem!, 'pem');
        const onB = await sClient(B.port, ['-sess_in', file]);
        assertHandshake(onB, true, 'A session offered to B');
        assert.equal(onB.sessionId, first.sessionId);
        assert.equal(B.context.stats.hits, 1);
        assert.equal(B.context.stats.contextMismatches, 0);
      });
    });
  }

  describe('openssl sess_id reads the sessions puretls exports', () => {
    it('socket.getSession() (DER) shows the Session-ID-ctx as the hex of the sid_ctx, and the session s_client holds', async () => {
      const s = scratch();
      const h = await serve({ sessionIdContext: 'app:vhost.example' });
      const r = await sClient(h.port, [], true);
      assertHandshake(r, false, 'full');
      assert.equal(h.sockets.length, 1);
      const der = h.sessions[0]!.der;
      assert.ok(der);
      const fields = sessIdText(s.file(der, 'der'), 'DER');
      assert.equal(fields.get('Session-ID-ctx')?.toLowerCase(), hexOf(new TextEncoder().encode('app:vhost.example')));
      assert.equal(fields.get('Protocol'), 'TLSv1.2');
      assert.equal(fields.get('Session-ID')?.toUpperCase(), r.sessionId?.toUpperCase());
      assert.equal(fields.get('Cipher'), r.cipher);
      // The client's copy of the same session has the same ID and master key, but not our sid_ctx.
      const clientFields = sessIdText(s.file(r.sessionPem!, 'pem'), 'PEM');
      assert.equal(clientFields.get('Master-Key'), fields.get('Master-Key'));
    });

    it('connection.session.toPEM() with a binary sid_ctx (NULs, high bytes, 32 bytes)', async () => {
      const s = scratch();
      const sid = Uint8Array.from({ length: 32 }, (_, i) => (i * 0x35) & 0xff); // starts with 0x00
      const h = await serve({ context: context({ sessionIdContext: sid }) });
      const r = await sClient(h.port, [], true);
      assertHandshake(r, false, 'full');
      const pem = h.sessions[0]!.session!.toPEM();
      assert.match(pem, /^-----BEGIN SSL SESSION PARAMETERS-----\n/);
      const fields = sessIdText(s.file(pem, 'pem'), 'PEM');
      assert.equal(fields.get('Session-ID-ctx')?.toLowerCase(), hexOf(sid));
      // And openssl writes back what we wrote.
      assert.deepEqual(Session.fromPEM(pem).sidCtx, sid);
    });

    it('an empty sid_ctx shows as an empty Session-ID-ctx', async () => {
      const s = scratch();
      const h = await serve({ context: context({}) });
      await sClient(h.port);
      const fields = sessIdText(s.file(h.sessions[0]!.der!, 'der'), 'DER');
      assert.equal(fields.get('Session-ID-ctx'), '');
    });
  });

  describe('a session written by s_client -sess_out, imported with context.importSession(pem)', () => {
    // The client's session is the same session (ID, master secret, suite, EMS) but carries the
    // client's sid_ctx, which s_client leaves empty. By rule 2 it resumes only under an empty
    // server sid_ctx; under any other it imports fine and never resumes (a mismatch).
    async function clientSession(): Promise<{ pem: string; file: string; sessionId: string }> {
      const s = scratch();
      const origin = await serve({ sessionIdContext: 'origin' });
      const r = await sClient(origin.port, [], true);
      assertHandshake(r, false, 'origin');
      return { pem: r.sessionPem!, file: s.file(r.sessionPem!, 'pem'), sessionId: r.sessionId! };
    }

    it("carries the client's (empty) sid_ctx, not the server's", async () => {
      const { pem, file } = await clientSession();
      assert.equal(sessIdText(file, 'PEM').get('Session-ID-ctx'), '');
      assert.deepEqual(Session.fromPEM(pem).sidCtx, new Uint8Array(0));
    });

    it('imported into a server with a sid_ctx: imports, but -sess_in gives a full handshake counted as a mismatch', async () => {
      const { pem, file } = await clientSession();
      const ctx = context({ sessionIdContext: 'importer', sessionCache: new MemorySessionCache({ flushIntervalSeconds: 0 }) });
      const imported = await ctx.importSession(pem);
      assert.equal(ctx.stats.number, 1);
      assert.deepEqual(imported.sidCtx, new Uint8Array(0));
      const h = await serve({ context: ctx });
      const r = await sClient(h.port, ['-sess_in', file]);
      assertHandshake(r, false, 'imported client session under sid_ctx "importer"');
      assert.equal(ctx.stats.acceptGood, 1, 'a full handshake that completed');
      assert.equal(ctx.stats.contextMismatches, 1);
      assert.equal(ctx.stats.hits, 0);
    });

    it('imported into a server whose sid_ctx is empty too: it resumes (the sid_ctx matches, and the client holds the master secret)', async () => {
      const { pem, file, sessionId } = await clientSession();
      const ctx = context({ sessionCache: new MemorySessionCache({ flushIntervalSeconds: 0 }) });
      await ctx.importSession(pem);
      const h = await serve({ context: ctx });
      const r = await sClient(h.port, ['-sess_in', file]);
      assertHandshake(r, true, 'imported client session under an empty sid_ctx');
      assert.equal(r.sessionId, sessionId);
      assert.equal(ctx.stats.hits, 1);
    });

    it('imported into a server that requests client certificates with an empty sid_ctx: s_client gets a fatal internal_error (rule 3)', async () => {
      const { pem, file } = await clientSession();
      const ctx = context({ requestCert: true, rejectUnauthorized: false, sessionCache: new MemorySessionCache({ flushIntervalSeconds: 0 }) });
      await ctx.importSession(pem);
      const h = await serve({ context: ctx });
      const errors: Array<Error & { code?: string }> = [];
      h.running.server.on('tlsClientError', (e: Error) => errors.push(e));
      const r = await sClient(h.port, ['-sess_in', file]);
      // (s_client still prints "New, TLSv1.2, ..." from the session it loaded; the alert tells.)
      assert.ok(r.handshakes.every((x) => !x.reused), 'not resumed');
      assert.equal(ctx.stats.acceptGood, 0, 'no handshake completed');
      assert.ok(r.alerts.includes('internal error'), `s_client reports the alert (alerts: ${JSON.stringify(r.alerts)}; stderr: ${r.stderr.slice(0, 500)})`);
      assert.equal(errors.length, 1);
      assert.equal((errors[0] as Error & { reason?: string }).reason, 'SESSION_ID_CONTEXT_UNINITIALIZED');
      assert.equal(ctx.stats.hits, 0);
    });

    it('without importing, a server with an empty sid_ctx and its own cache does not know the session (control)', async () => {
      const { file } = await clientSession();
      const ctx = context({ sessionCache: new MemorySessionCache({ flushIntervalSeconds: 0 }) });
      const h = await serve({ context: ctx });
      const r = await sClient(h.port, ['-sess_in', file]);
      assertHandshake(r, false, 'unknown session');
      assert.equal(ctx.stats.acceptGood, 1);
      assert.equal(ctx.stats.misses, 1);
    });
  });
});
