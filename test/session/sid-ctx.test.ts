/**
 * The session id context on TlsContext and ServerConnection, the SNI context switch, the
 * decision as wired into real (in-memory) handshakes, the counters, and damaged sessions
 * (docs/SPEC-sid-ctx.md).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import tls from 'node:tls';
import { afterEach, describe, it } from 'mocha';
import { explicit, octetString, sequence, uint } from '../../src/codec/der.js';
import { ServerConnection } from '../../src/connection.js';
import { SID_CTX_BYTES, TlsContext, type TlsContextOptions } from '../../src/context.js';
import { AlertDescription, TlsConfigError, TlsDecodeError } from '../../src/errors.js';
import { resolveServerOptions } from '../../src/node/options.js';
import type { TlsSocket } from '../../src/node/socket.js';
import type { MaybePromise } from '../../src/maybe-promise.js';
import type { SessionCache } from '../../src/session/cache.js';
import { MemorySessionCache } from '../../src/session/memory-cache.js';
import { MAX_SID_CTX_LENGTH, Session } from '../../src/session/session.js';
import { startServer, type RunningServer } from '../helpers/fixtures.js';
import { TlsClient, hex, type SavedSession } from '../helpers/tls-client.js';
import { Clock, T0, completeHandshake, counters, handshake, clockedContext, makeSession, utf8 } from '../helpers/sessions.js';
import { drive } from '../helpers/in-memory.js';

const EMPTY = new Uint8Array(0);

function assertTooLong(fn: () => void): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TlsConfigError, `expected TlsConfigError, got ${String(e)}`);
    assert.equal(e.reason, 'SSL_SESSION_ID_CONTEXT_TOO_LONG');
    return true;
  });
}

/** A session the client can resume by ID, made by hand and put in a cache: we know its master secret. */
function handMadeSession(changes: Parameters<typeof makeSession>[0] = {}): { session: Session; saved: SavedSession } {
  const session = makeSession({ serverName: undefined, ...changes });
  return {
    session,
    saved: {
      sessionId: session.sessionId,
      masterSecret: session.masterSecret,
      cipherSuite: session.cipherSuite,
      extendedMasterSecret: session.extendedMasterSecret,
    },
  };
}

// ---------------------------------------------------------------------------------------

describe('session id context: setSessionIdContext', () => {
  describe('on a TlsContext (SSL_CTX_set_session_id_context)', () => {
    it('is empty by default, as an SSL_CTX', () => {
      assert.deepEqual(new TlsContext({ tickets: false }).sessionIdContext, EMPTY);
    });

    it('takes 0..32 bytes of binary data, as given', () => {
      const ctx = new TlsContext({ tickets: false });
      for (const n of [1, 16, 31, 32]) {
        const v = Uint8Array.from({ length: n }, (_, i) => (i * 73 + 255) & 0xff); // NULs and high bytes
        ctx.setSessionIdContext(v);
        assert.deepEqual(ctx.sessionIdContext, v, `${n} bytes`);
      }
      ctx.setSessionIdContext(Buffer.from('ff00ff', 'hex'));
      assert.deepEqual(ctx.sessionIdContext, Uint8Array.of(0xff, 0, 0xff));
    });

    it('takes a string as its UTF-8 bytes, and counts bytes, not characters', () => {
      const ctx = new TlsContext({ tickets: false });
      ctx.setSessionIdContext('café');
      assert.deepEqual(ctx.sessionIdContext, Uint8Array.of(0x63, 0x61, 0x66, 0xc3, 0xa9));
      ctx.setSessionIdContext('é'.repeat(16)); // 16 characters, 32 bytes
      assert.equal(ctx.sessionIdContext.length, 32);
      ctx.setSessionIdContext('x'.repeat(32));
      assert.deepEqual(ctx.sessionIdContext, utf8('x'.repeat(32)));
      assertTooLong(() => ctx.setSessionIdContext(`${'x'.repeat(31)}é`)); // 32 characters, 33 bytes
      assertTooLong(() => ctx.setSessionIdContext('😀'.repeat(9))); // 18 UTF-16 units, 36 bytes
    });

    it('33 bytes fail with TlsConfigError SSL_SESSION_ID_CONTEXT_TOO_LONG and the old value stays', () => {
      const ctx = new TlsContext({ tickets: false, sessionIdContext: 'old' });
      assertTooLong(() => ctx.setSessionIdContext(new Uint8Array(33)));
      assert.deepEqual(ctx.sessionIdContext, utf8('old'));
      assertTooLong(() => ctx.setSessionIdContext('y'.repeat(33)));
      assertTooLong(() => ctx.setSessionIdContext(new Uint8Array(1000)));
      assert.deepEqual(ctx.sessionIdContext, utf8('old'));
    });

    it('the constructor option is checked the same way', () => {
      assert.deepEqual(new TlsContext({ tickets: false, sessionIdContext: 'é' }).sessionIdContext, Uint8Array.of(0xc3, 0xa9));
      assertTooLong(() => new TlsContext({ tickets: false, sessionIdContext: new Uint8Array(33) }));
    });

    it('length 0 clears it (string or bytes)', () => {
      const ctx = new TlsContext({ tickets: false, sessionIdContext: 'x' });
      ctx.setSessionIdContext('');
      assert.deepEqual(ctx.sessionIdContext, EMPTY);
      ctx.setSessionIdContext('x');
      ctx.setSessionIdContext(new Uint8Array(0));
      assert.deepEqual(ctx.sessionIdContext, EMPTY);
    });

    it('keeps its own copy: changing the input or the returned value afterwards changes nothing', () => {
      const ctx = new TlsContext({ tickets: false });
      const v = utf8('abc');
      ctx.setSessionIdContext(v);
      v[0] = 0x7a;
      assert.deepEqual(ctx.sessionIdContext, utf8('abc'));
      const got = ctx.sessionIdContext;
      got[1] = 0x7a;
      assert.deepEqual(ctx.sessionIdContext, utf8('abc'));
    });

    it("createServer's sessionIdContext option: 32 bytes fine, 33 bytes refused", () => {
      assert.deepEqual(resolveServerOptions({ sessionIdContext: 'z'.repeat(32), tickets: false }).context.sessionIdContext, utf8('z'.repeat(32)));
      assertTooLong(() => resolveServerOptions({ sessionIdContext: 'z'.repeat(33), tickets: false }));
    });
  });

  describe('on a ServerConnection (SSL_set_session_id_context)', () => {
    it("copies the context's value when the connection is created", () => {
      const ctx = new TlsContext({ tickets: false, sessionIdContext: 'at-creation' });
      const conn = new ServerConnection(ctx);
      assert.deepEqual(conn.sessionIdContext, utf8('at-creation'));
    });

    it('later changes to the context do not touch existing connections, only new ones', () => {
      const ctx = new TlsContext({ tickets: false, sessionIdContext: 'v1' });
      const early = new ServerConnection(ctx);
      ctx.setSessionIdContext('v2');
      const late = new ServerConnection(ctx);
      ctx.setSessionIdContext('');
      assert.deepEqual(early.sessionIdContext, utf8('v1'));
      assert.deepEqual(late.sessionIdContext, utf8('v2'));
      assert.deepEqual(new ServerConnection(ctx).sessionIdContext, EMPTY);
    });

    it("shares the context's bytes instead of copying them, which gives what a copy gives: the context replaces its array, and the caller's arrays are never held", () => {
      const given = utf8('shared');
      const ctx = new TlsContext({ tickets: false, sessionIdContext: given });
      given[0] = 0x58; // the context copied what it was given
      const conn = new ServerConnection(ctx);
      assert.equal(conn.sidCtx, ctx[SID_CTX_BYTES], 'one array for the context and its connection');
      const copy = conn.sessionIdContext;
      copy[0] = 0x58; // what the public getter returns is a copy
      assert.deepEqual(conn.sidCtx, utf8('shared'));
      ctx.setSessionIdContext('changed');
      assert.notEqual(conn.sidCtx, ctx[SID_CTX_BYTES]);
      assert.deepEqual(conn.sessionIdContext, utf8('shared'), 'the connection keeps the value it started with');
      assert.deepEqual(new ServerConnection(ctx).sessionIdContext, utf8('changed'));
      const own = Uint8Array.of(1, 2, 3);
      conn.setSessionIdContext(own);
      own[0] = 9;
      assert.deepEqual(conn.sessionIdContext, Uint8Array.of(1, 2, 3), "the connection copied the caller's array");
      assert.deepEqual(ctx.sessionIdContext, utf8('changed'), 'the context is not changed');
    });

    it('a per-connection value (option or method) overrides it for that connection only', () => {
      const ctx = new TlsContext({ tickets: false, sessionIdContext: 'ctx' });
      const byOption = new ServerConnection(ctx, { sessionIdContext: 'conn' });
      const byMethod = new ServerConnection(ctx);
      byMethod.setSessionIdContext(Uint8Array.of(1, 2, 3));
      const plain = new ServerConnection(ctx);
      assert.deepEqual(byOption.sessionIdContext, utf8('conn'));
      assert.deepEqual(byMethod.sessionIdContext, Uint8Array.of(1, 2, 3));
      assert.deepEqual(plain.sessionIdContext, utf8('ctx'));
      assert.deepEqual(ctx.sessionIdContext, utf8('ctx'), 'the context is not changed');
    });

    it('0..32 bytes, strings as UTF-8; 33 bytes fail with SSL_SESSION_ID_CONTEXT_TOO_LONG and the old value stays; 0 clears', () => {
      const conn = new ServerConnection(new TlsContext({ tickets: false, sessionIdContext: 'ctx' }));
      conn.setSessionIdContext('é'.repeat(16));
      assert.equal(conn.sessionIdContext.length, MAX_SID_CTX_LENGTH);
      conn.setSessionIdContext('mine');
      assertTooLong(() => conn.setSessionIdContext(new Uint8Array(33)));
      assertTooLong(() => conn.setSessionIdContext(`${'a'.repeat(31)}é`));
      assert.deepEqual(conn.sessionIdContext, utf8('mine'));
      conn.setSessionIdContext('');
      assert.deepEqual(conn.sessionIdContext, EMPTY);
    });

    it('a too long sessionIdContext option fails at creation', () => {
      assertTooLong(() => new ServerConnection(new TlsContext({ tickets: false }), { sessionIdContext: 'q'.repeat(33) }));
    });
  });
});

// ---------------------------------------------------------------------------------------

describe('session id context: the SNI context switch (SSL_set_SSL_CTX)', () => {
  /** Default context A and virtual host B, each with its own sid_ctx; B reachable as b.example. */
  function vhosts(options: { shareCache?: boolean; via?: 'map' | 'wildcard' | 'async-callback' | 'sync-callback' } = {}) {
    const clock = new Clock();
    const cache = options.shareCache ? new MemorySessionCache({ flushIntervalSeconds: 0, now: clock.now }) : undefined;
    const B = clockedContext({ sessionIdContext: 'vhost-B', ...(cache ? { sessionCache: cache } : {}) }, clock);
    const via = options.via ?? 'map';
    let callbackCalls = 0;
    const A = clockedContext(
      {
        sessionIdContext: 'vhost-A',
        ...(cache ? { sessionCache: cache } : {}),
        ...(via === 'map' ? { serverNames: { 'b.example': B } } : {}),
        ...(via === 'wildcard' ? { serverNames: { '*.example': B } } : {}),
        ...(via === 'async-callback'
          ? {
              sniCallback: async (name: string) => {
                callbackCalls++;
                await new Promise((resolve) => setImmediate(resolve)); // answer on a later turn
                return name === 'b.example' ? B : undefined;
              },
            }
          : {}),
        ...(via === 'sync-callback' ? { sniCallback: (name: string) => (callbackCalls++, name === 'b.example' ? B : undefined) } : {}),
      },
      clock,
    );
    return { A, B, clock, cache, calls: () => callbackCalls };
  }

  it('switchContext: an inherited sid_ctx follows the new context; a per-connection one stays', () => {
    const { A, B } = vhosts();
    const inherited = new ServerConnection(A);
    inherited.switchContext(B);
    assert.equal(inherited.context, B);
    assert.deepEqual(inherited.sessionIdContext, utf8('vhost-B'));
    const own = new ServerConnection(A, { sessionIdContext: 'per-connection' });
    own.switchContext(B);
    assert.equal(own.context, B);
    assert.deepEqual(own.sessionIdContext, utf8('per-connection'));
  });

  it('switchContext: a per-connection value equal to the context value is indistinguishable from inherited (OpenSSL compares bytes)', () => {
    const { A, B } = vhosts();
    const conn = new ServerConnection(A, { sessionIdContext: 'vhost-A' });
    conn.switchContext(B);
    assert.deepEqual(conn.sessionIdContext, utf8('vhost-B'));
  });

  it('switchContext: a connection whose context changed its sid_ctx after the connection was made keeps its copy', () => {
    const { A, B } = vhosts();
    const conn = new ServerConnection(A);
    A.setSessionIdContext('vhost-A-v2'); // the connection still holds "vhost-A": no longer the context's value
    conn.switchContext(B);
    assert.deepEqual(conn.sessionIdContext, utf8('vhost-A'));
  });

  it('switchContext: empty sid_ctx on both sides follows the new context', () => {
    const a = new TlsContext({ tickets: false });
    const b = new TlsContext({ tickets: false, sessionIdContext: 'b' });
    const conn = new ServerConnection(a);
    conn.switchContext(b);
    assert.deepEqual(conn.sessionIdContext, utf8('b'));
  });

  for (const via of ['map', 'wildcard', 'sync-callback', 'async-callback'] as const) {
    describe(`through a real handshake (${via})`, () => {
      it('an inherited sid_ctx takes the virtual host\'s value, and the new session carries it', async () => {
        const { A, B } = vhosts({ via });
        const { conn } = await completeHandshake(A, { serverName: 'b.example' });
        assert.equal(conn.context, B);
        assert.deepEqual(conn.sessionIdContext, utf8('vhost-B'));
        assert.deepEqual(conn.session?.sidCtx, utf8('vhost-B'));
        assert.equal(B.stats.accept, 1, 'the virtual host serves the handshake');
        assert.equal(A.stats.accept, 0);
        assert.ok(await B.sessionCache?.get(conn.session!.sessionId), "the session went to the virtual host's cache");
      });

      it('a sid_ctx set on the connection keeps its value through the switch', async () => {
        const { A, B } = vhosts({ via });
        const { conn } = await completeHandshake(A, { serverName: 'b.example' }, { sessionIdContext: 'per-connection' });
        assert.equal(conn.context, B);
        assert.deepEqual(conn.sessionIdContext, utf8('per-connection'));
        assert.deepEqual(conn.session?.sidCtx, utf8('per-connection'));
      });

      it('a name that maps to no virtual host keeps the default context and its sid_ctx', async () => {
        const { A } = vhosts({ via });
        const { conn } = await completeHandshake(A, { serverName: 'nobody.test' });
        assert.equal(conn.context, A);
        assert.deepEqual(conn.session?.sidCtx, utf8('vhost-A'));
      });

      it('the switch happens before the resumption decision: a session made under B resumes when the client asks for B', async () => {
        const { A, B } = vhosts({ via, shareCache: true });
        const first = await completeHandshake(A, { serverName: 'b.example' });
        assert.deepEqual(first.conn.session?.sidCtx, utf8('vhost-B'));
        const again = await completeHandshake(A, { serverName: 'b.example', resume: first.saved });
        assert.equal(again.client.resumed, true, 'resumed under the sid_ctx of the virtual host');
        assert.equal(again.conn.isSessionReused, true);
        assert.equal(again.conn.context, B);
        assert.equal(B.stats.hits, 1);
        assert.equal(B.stats.contextMismatches, 0);
        // Control: the same session judged under A's sid_ctx (no switch) is refused as a mismatch.
        const underA = await completeHandshake(A, { serverName: 'nobody.test', resume: first.saved });
        assert.equal(underA.client.resumed, false);
        assert.equal(A.stats.contextMismatches, 1);
        assert.equal(A.stats.hits, 0);
      });
    });
  }

  it('an SNI callback that rejects fails the handshake with internal_error, not a crash', async () => {
    const ctx = clockedContext({
      sniCallback: async () => {
        throw new Error('no vhost today');
      },
    });
    const { conn, client } = await handshake(ctx, { serverName: 'x.example' });
    assert.equal(conn.handshakeComplete, false);
    assert.equal(client.fatalAlert, AlertDescription.internal_error);
  });
});

// ---------------------------------------------------------------------------------------

describe('session id context: the decision inside real handshakes', () => {
  it('a new session carries the connection\'s sid_ctx (context value, or the per-connection override)', async () => {
    const ctx = clockedContext({ sessionIdContext: Uint8Array.of(0, 1, 2, 0xff) });
    const plain = await completeHandshake(ctx);
    assert.deepEqual(plain.conn.session?.sidCtx, Uint8Array.of(0, 1, 2, 0xff));
    const own = await completeHandshake(ctx, {}, { sessionIdContext: 'own' });
    assert.deepEqual(own.conn.session?.sidCtx, utf8('own'));
    assert.deepEqual((await ctx.sessionCache?.get(own.conn.session!.sessionId))?.sidCtx, utf8('own'));
  });

  it('two contexts with different sid_ctx sharing one cache: a session from A is a miss on B (full handshake, fresh session, counted), and A still resumes it', async () => {
    const clock = new Clock();
    const shared = new MemorySessionCache({ flushIntervalSeconds: 0, now: clock.now });
    const A = clockedContext({ sessionIdContext: 'app-A', sessionCache: shared }, clock);
    const B = clockedContext({ sessionIdContext: 'app-B', sessionCache: shared }, clock);
    const first = await completeHandshake(A);
    const onB = await completeHandshake(B, { resume: first.saved });
    assert.equal(onB.client.resumed, false, 'B did a full handshake');
    assert.notDeepEqual(onB.saved.sessionId, first.saved.sessionId, 'with a fresh session ID');
    assert.deepEqual(onB.conn.session?.sidCtx, utf8('app-B'));
    assert.equal(onB.client.serverCertificates.length, 1, 'the certificate was sent: a full handshake');
    assert.equal(B.stats.contextMismatches, 1);
    assert.equal(B.stats.hits, 0);
    assert.equal(A.stats.contextMismatches, 0);
    assert.ok(shared.get(first.saved.sessionId), 'a mismatch does not remove the session from the cache');
    const backOnA = await completeHandshake(A, { resume: first.saved });
    assert.equal(backOnA.client.resumed, true);
    assert.equal(A.stats.hits, 1);
    // And B's own session resumes on B.
    const bAgain = await completeHandshake(B, { resume: onB.saved });
    assert.equal(bAgain.client.resumed, true);
  });

  it('two contexts with the same sid_ctx sharing one cache resume each other\'s sessions', async () => {
    const clock = new Clock();
    const shared = new MemorySessionCache({ flushIntervalSeconds: 0, now: clock.now });
    const A = clockedContext({ sessionIdContext: 'fleet', sessionCache: shared }, clock);
    const B = clockedContext({ sessionIdContext: Buffer.from('fleet'), sessionCache: shared }, clock);
    const first = await completeHandshake(A);
    const onB = await completeHandshake(B, { resume: first.saved });
    assert.equal(onB.client.resumed, true);
    assert.equal(B.stats.hits, 1);
  });

  it('a per-connection sid_ctx decides: a session made under "x" resumes only on connections whose sid_ctx is "x"', async () => {
    const ctx = clockedContext({ sessionIdContext: 'ctx' });
    const made = await completeHandshake(ctx, {}, { sessionIdContext: 'x' });
    const plain = await completeHandshake(ctx, { resume: made.saved });
    assert.equal(plain.client.resumed, false);
    assert.equal(ctx.stats.contextMismatches, 1);
    const x = await completeHandshake(ctx, { resume: made.saved }, { sessionIdContext: 'x' });
    assert.equal(x.client.resumed, true);
  });

  it('a context whose sid_ctx changed no longer resumes its old sessions (a mismatch), and resumes them again once changed back', async () => {
    const ctx = clockedContext({ sessionIdContext: 'v1' });
    const made = await completeHandshake(ctx);
    ctx.setSessionIdContext('v2');
    assert.equal((await completeHandshake(ctx, { resume: made.saved })).client.resumed, false);
    assert.equal(ctx.stats.contextMismatches, 1);
    ctx.setSessionIdContext('v1');
    assert.equal((await completeHandshake(ctx, { resume: made.saved })).client.resumed, true);
  });

  describe('rule 3 (client certificates requested with an empty sid_ctx)', () => {
    // Full handshakes with requestCert need a client that answers the CertificateRequest
    // (the in-memory test client does not): a node:tls client without a certificate, against
    // servers with rejectUnauthorized: false. The fatal case stops at the ClientHello, so it
    // also runs in memory.
    const servers: RunningServer[] = [];
    afterEach(async () => {
      while (servers.length) await servers.pop()!.close();
    });
    async function serve(ctx: TlsContext): Promise<number> {
      const running = await startServer({ context: ctx }, (s: TlsSocket) => {
        s.write('hello'); // the server's side of the handshake is done
        s.on('error', () => undefined);
      });
      running.server.on('tlsClientError', () => undefined);
      servers.push(running);
      return running.port;
    }
    /** A node:tls client (no certificate, no SNI, no tickets) and what it saw. */
    async function nodeClient(port: number, session?: Buffer): Promise<{ reused: boolean; session: Buffer | undefined; error?: Error }> {
      const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.2', ...(session ? { session } : {}) });
      try {
        const greeting = once(socket, 'data');
        await once(socket, 'secureConnect');
        const result = { reused: socket.isSessionReused(), session: socket.getSession() };
        await greeting;
        return result;
      } catch (error) {
        return { reused: false, session: undefined, error: error as Error };
      } finally {
        const closed = once(socket, 'close');
        socket.destroy();
        await closed;
      }
    }
    const authContext = (options: TlsContextOptions = {}): TlsContext =>
      clockedContext({ requestCert: true, rejectUnauthorized: false, tickets: false, now: Date.now, ...options });

    it('such a session is not cached (OpenSSL since 1.1.1), so it cannot be offered back; with a sid_ctx it is, and resumes', async () => {
      const ctx = authContext();
      const port = await serve(ctx);
      const first = await nodeClient(port);
      assert.equal(first.error, undefined);
      assert.ok(first.session);
      assert.equal(ctx.stats.acceptGood, 1);
      assert.equal(ctx.sessionCache?.size, 0, 'not cached');
      const again = await nodeClient(port, first.session);
      assert.equal(again.error, undefined, 'not the fatal rule');
      assert.equal(again.reused, false);
      // No session ID was given out for a session that is not cached, so nothing is offered back.
      assert.equal(ctx.stats.misses, 0);
      // With a sid_ctx it is cached and resumes.
      const withCtx = authContext({ sessionIdContext: 'auth' });
      const port2 = await serve(withCtx);
      const made = await nodeClient(port2);
      assert.equal(withCtx.sessionCache?.size, 1);
      assert.equal((await nodeClient(port2, made.session)).reused, true);
      assert.equal(withCtx.stats.hits, 1);
    });

    it('offering a session with an equally empty sid_ctx fails loudly: fatal internal_error, SESSION_ID_CONTEXT_UNINITIALIZED (in memory)', async () => {
      const ctx = clockedContext({ requestCert: true });
      const { session, saved } = handMadeSession({ sidCtx: EMPTY, createdAt: T0 });
      await ctx.importSession(session);
      const { conn, client } = await handshake(ctx, { resume: saved });
      assert.equal(conn.handshakeComplete, false);
      assert.equal(conn.error?.alert, AlertDescription.internal_error);
      assert.equal(conn.error?.reason, 'SESSION_ID_CONTEXT_UNINITIALIZED');
      assert.equal(client.fatalAlert, AlertDescription.internal_error, 'the client gets the alert');
      assert.equal(ctx.stats.hits, 0);
    });

    it('the same over TCP: a session made without client auth, shared with a requestCert context, both with an empty sid_ctx -> internal_error alert', async () => {
      const shared = new MemorySessionCache({ flushIntervalSeconds: 0 });
      const open = clockedContext({ sessionCache: shared, tickets: false, now: Date.now });
      const auth = authContext({ sessionCache: shared });
      const made = await nodeClient(await serve(open));
      assert.equal(shared.size, 1, 'no client certificates requested: cached even with an empty sid_ctx');
      const refused = await nodeClient(await serve(auth), made.session);
      assert.match(String(refused.error), /internal error/i);
      assert.equal(auth.stats.acceptGood, 0);
      assert.equal(auth.stats.hits, 0);
    });

    it('the connection failed by that fatal decision is closed, not left "busy" waiting for an asynchronous step', async () => {
      const ctx = clockedContext({ requestCert: true });
      const { session, saved } = handMadeSession({ sidCtx: EMPTY, createdAt: T0 });
      await ctx.importSession(session);
      const { conn } = await handshake(ctx, { resume: saved });
      assert.equal(conn.error?.reason, 'SESSION_ID_CONTEXT_UNINITIALIZED');
      assert.equal(conn.closed, true);
      // ServerConnection.busy: "Waiting for an asynchronous step; input is buffered meanwhile."
      assert.equal(conn.busy, false, 'busy stays true after a fatal error raised while answering the ClientHello');
    });

    it('a session from another sid_ctx on a requestCert connection with an empty sid_ctx is a plain mismatch (full handshake), not fatal', async () => {
      const shared = new MemorySessionCache({ flushIntervalSeconds: 0 });
      const A = clockedContext({ sessionIdContext: 'A', sessionCache: shared, tickets: false, now: Date.now });
      const auth = authContext({ sessionCache: shared });
      const made = await nodeClient(await serve(A));
      const r = await nodeClient(await serve(auth), made.session);
      assert.equal(r.error, undefined);
      assert.equal(r.reused, false);
      assert.equal(auth.stats.contextMismatches, 1);
      assert.equal(auth.stats.acceptGood, 1);
    });
  });

  it('rule 4: an expired session is a full handshake and is removed from the cache; at the boundary it resumes', async () => {
    const clock = new Clock();
    const ctx = clockedContext({ sessionIdContext: 'exp', sessionTimeout: 100 }, clock);
    const made = await completeHandshake(ctx);
    clock.advanceSeconds(100);
    assert.equal((await completeHandshake(ctx, { resume: made.saved })).client.resumed, true, 'exactly created + timeout');
    clock.advanceSeconds(1);
    const late = await completeHandshake(ctx, { resume: made.saved });
    assert.equal(late.client.resumed, false);
    assert.equal(ctx.stats.timeouts, 1);
    assert.equal(await ctx.sessionCache?.get(made.saved.sessionId), undefined, 'removed when met');
  });

  it('rule 5: resuming an EMS session without offering EMS is a fatal illegal_parameter', async () => {
    const ctx = clockedContext({ sessionIdContext: 'ems' });
    const made = await completeHandshake(ctx);
    const { conn, client } = await handshake(ctx, { resume: made.saved, extendedMasterSecret: false });
    assert.equal(conn.handshakeComplete, false);
    assert.equal(conn.error?.alert, AlertDescription.illegal_parameter);
    assert.equal(client.fatalAlert, AlertDescription.illegal_parameter);
  });

  it('rules 6 and 7: suite no longer offered, or another SNI -> full handshake', async () => {
    const ctx = clockedContext({ sessionIdContext: 'r67' });
    const made = await completeHandshake(ctx, { cipherSuites: [0xc02b], serverName: 'one.example' });
    const otherSuite = await completeHandshake(ctx, { cipherSuites: [0xc02c], serverName: 'one.example', resume: made.saved });
    assert.equal(otherSuite.client.resumed, false);
    const otherName = await completeHandshake(ctx, { cipherSuites: [0xc02b], serverName: 'two.example', resume: made.saved });
    assert.equal(otherName.client.resumed, false);
    const sameNameOtherCase = await completeHandshake(ctx, { cipherSuites: [0xc02b], serverName: 'ONE.example', resume: made.saved });
    assert.equal(sameNameOtherCase.client.resumed, true);
    assert.equal(ctx.stats.contextMismatches, 0);
  });
});

// ---------------------------------------------------------------------------------------

describe('session counters across a scripted sequence of handshakes', () => {
  it('accept, acceptGood, hits, misses, timeouts, cacheFull, number and contextMismatches move exactly as expected', async () => {
    const clock = new Clock();
    const cache = new MemorySessionCache({ maxSize: 3, flushIntervalSeconds: 0, now: clock.now });
    const ctx = clockedContext({ sessionIdContext: 'counters', sessionTimeout: 100, sessionCache: cache }, clock);
    let expected = { accept: 0, acceptGood: 0, hits: 0, misses: 0, timeouts: 0, cacheFull: 0, number: 0, contextMismatches: 0 };
    assert.deepEqual(counters(ctx), expected);
    /** Checks that exactly the counters in `delta` moved, by that much. */
    const step = (what: string, delta: Partial<typeof expected>): void => {
      const next = { ...expected };
      for (const [k, v] of Object.entries(delta)) next[k as keyof typeof next] += v;
      assert.deepEqual(counters(ctx), next, what);
      expected = next;
    };

    const s1 = (await completeHandshake(ctx)).saved;
    step('1. full handshake, no session offered', { accept: 1, acceptGood: 1, number: 1 });

    assert.equal((await completeHandshake(ctx, { resume: s1 })).client.resumed, true);
    step('2. s1 resumed', { accept: 1, acceptGood: 1, hits: 1 });

    const unknownId = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 ^ i);
    const s2 = (await completeHandshake(ctx, { sessionId: unknownId })).saved;
    assert.notDeepEqual(s2.sessionId, unknownId);
    step('3. unknown session ID: a miss, then a new session', { accept: 1, acceptGood: 1, misses: 1, number: 1 });

    const failing = new ServerConnection(ctx);
    const badClient = new TlsClient({ autoRespond: false });
    await drive(badClient, failing);
    failing.receive(badClient.secondFlight({ tamperFinished: true }));
    assert.equal(failing.error?.reason, 'ERR_BAD_FINISHED');
    step('4. a handshake that fails (bad Finished): accepted, not good, nothing cached', { accept: 1 });

    const s3 = (await completeHandshake(ctx)).saved;
    step('5. full handshake: the cache is now full (3)', { accept: 1, acceptGood: 1, number: 1 });

    const s4 = (await completeHandshake(ctx)).saved;
    step('6. full handshake: s1, the oldest, is evicted', { accept: 1, acceptGood: 1, cacheFull: 1 });
    assert.equal(cache.get(s1.sessionId), undefined);

    assert.equal((await completeHandshake(ctx, { resume: s1 })).client.resumed, false);
    step('7. s1 offered after eviction: a miss; its replacement evicts s2', { accept: 1, acceptGood: 1, misses: 1, cacheFull: 1 });
    assert.equal(cache.get(s2.sessionId), undefined);

    ctx.setSessionIdContext('counters-v2');
    assert.equal((await completeHandshake(ctx, { resume: s4 })).client.resumed, false);
    // As OpenSSL's sess_miss, `misses` counts sessions not found; a session found but refused
    // for its sid_ctx is counted in contextMismatches only.
    step('8. s4 offered under another sid_ctx: a context mismatch; the new session evicts s3', {
      accept: 1,
      acceptGood: 1,
      contextMismatches: 1,
      cacheFull: 1,
    });
    ctx.setSessionIdContext('counters');
    assert.ok(cache.get(s4.sessionId), 'a mismatch leaves the session in the cache');
    void s3;

    assert.equal((await completeHandshake(ctx, { resume: s4 })).client.resumed, true);
    step('9. s4 resumed under the original sid_ctx again', { accept: 1, acceptGood: 1, hits: 1 });

    clock.advanceSeconds(101);
    assert.equal((await completeHandshake(ctx, { resume: s4 })).client.resumed, false);
    // s4 is removed (-1) and the new session added (+1): number does not move, nothing evicted.
    step('10. s4 offered 101 s later: expired (a timeout, as OpenSSL: not a miss), removed', { accept: 1, acceptGood: 1, timeouts: 1 });
    assert.equal(cache.get(s4.sessionId), undefined);

    const fresh = (await completeHandshake(ctx)).saved;
    step('11. full handshake: evicts the oldest', { accept: 1, acceptGood: 1, cacheFull: 1 });
    const emsFatal = await handshake(ctx, { resume: fresh, extendedMasterSecret: false });
    assert.equal(emsFatal.client.fatalAlert, AlertDescription.illegal_parameter);
    step('12. EMS session offered without EMS: fatal; accepted, neither a hit nor a miss', { accept: 1 });
  });

  it('counters of an SNI switch go to the virtual host that served the handshake', async () => {
    const B = clockedContext({ sessionIdContext: 'B' });
    const A = clockedContext({ sessionIdContext: 'A', serverNames: { 'b.example': B } });
    const made = await completeHandshake(A, { serverName: 'b.example' });
    await completeHandshake(A, { serverName: 'b.example', resume: made.saved });
    assert.deepEqual(counters(A), { accept: 0, acceptGood: 0, hits: 0, misses: 0, timeouts: 0, cacheFull: 0, number: 0, contextMismatches: 0 });
    assert.deepEqual(counters(B), { accept: 2, acceptGood: 2, hits: 1, misses: 0, timeouts: 0, cacheFull: 0, number: 1, contextMismatches: 0 });
  });
});

// ---------------------------------------------------------------------------------------

describe('damaged sessions and failing caches', () => {
  const good = makeSession();
  const goodDer = good.toDER();

  function assertDecodeError(bytes: Uint8Array, what: string): void {
    assert.throws(
      () => Session.fromDER(bytes),
      (e: unknown) => {
        assert.ok(e instanceof TlsDecodeError, `${what}: expected TlsDecodeError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        assert.ok(e.message.length > 10, `${what}: a clear message`);
        return true;
      },
      what,
    );
  }

  /** An SSL_SESSION SEQUENCE with chosen fields (what OpenSSL's i2d would write). */
  function rawSession(o: { asn1Version?: number; sidCtx?: Uint8Array } = {}): Uint8Array {
    return sequence(
      uint(o.asn1Version ?? 1),
      uint(0x0303),
      octetString(Uint8Array.of(0xc0, 0x2b)),
      octetString(good.sessionId),
      octetString(good.masterSecret),
      explicit(1, uint(T0)),
      explicit(2, uint(300)),
      explicit(4, octetString(o.sidCtx ?? utf8('app'))),
    );
  }

  it('the hand-built layout decodes (so the failures below are for the reason named)', () => {
    const s = Session.fromDER(rawSession({ sidCtx: new Uint8Array(32).fill(7) }));
    assert.deepEqual(s.sidCtx, new Uint8Array(32).fill(7));
    assert.deepEqual(Session.fromDER(goodDer).sidCtx, utf8('app'));
  });

  it('Session.fromDER rejects truncated input with TlsDecodeError, at every length', () => {
    for (let n = 0; n < goodDer.length; n++) assertDecodeError(goodDer.subarray(0, n), `truncated to ${n} bytes`);
  });

  it('Session.fromDER rejects a wrong ASN.1 version with TlsDecodeError', () => {
    assertDecodeError(rawSession({ asn1Version: 2 }), 'version 2');
    assertDecodeError(rawSession({ asn1Version: 0 }), 'version 0');
  });

  it('Session.fromDER rejects a sid_ctx over 32 bytes with TlsDecodeError', () => {
    assertDecodeError(rawSession({ sidCtx: new Uint8Array(33) }), '33-byte sid_ctx');
    assertDecodeError(rawSession({ sidCtx: new Uint8Array(200) }), '200-byte sid_ctx');
  });

  it('Session.fromDER rejects random bytes with TlsDecodeError, never another error', () => {
    let state = 0x12345678;
    const next = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 24;
    };
    for (let i = 0; i < 300; i++) {
      const bytes = Uint8Array.from({ length: 1 + (i % 120) }, next);
      if (i % 3 === 0) bytes[0] = 0x30; // look like a SEQUENCE, to get past the first check
      assertDecodeError(bytes, `random #${i}`);
    }
  });

  it('Session.fromPEM and importSession reject damaged input with TlsDecodeError; the cache is untouched', async () => {
    const ctx = clockedContext();
    await assert.rejects(ctx.importSession(goodDer.subarray(0, 20)), TlsDecodeError);
    await assert.rejects(ctx.importSession('-----BEGIN SSL SESSION PARAMETERS-----\nAAAA\n-----END SSL SESSION PARAMETERS-----\n'), TlsDecodeError);
    assert.throws(() => Session.fromPEM('not a PEM at all'), TlsDecodeError);
    assert.equal(ctx.sessionCache?.size, 0);
  });

  it('importing a session made under another sid_ctx succeeds, but it never resumes here (rule 2)', async () => {
    const ctx = clockedContext({ sessionIdContext: 'here' });
    const { session, saved } = handMadeSession({ sidCtx: utf8('elsewhere'), createdAt: T0 });
    const imported = await ctx.importSession(session.toPEM());
    assert.deepEqual(imported.sidCtx, utf8('elsewhere'));
    assert.equal(ctx.stats.number, 1);
    const r = await completeHandshake(ctx, { resume: saved });
    assert.equal(r.client.resumed, false);
    assert.equal(ctx.stats.contextMismatches, 1);
    // The same bytes imported under the right sid_ctx do resume (the control).
    const right = clockedContext({ sessionIdContext: 'elsewhere' });
    await right.importSession(session.toDER());
    assert.equal((await completeHandshake(right, { resume: saved })).client.resumed, true);
  });

  /** A SessionCache whose get misbehaves in the way given. */
  class BrokenCache implements SessionCache {
    readonly inner = new MemorySessionCache({ flushIntervalSeconds: 0 });
    gets = 0;
    constructor(private readonly mode: 'throw' | 'reject' | 'undefined-later' | 'set-rejects') {}
    get(id: Uint8Array): MaybePromise<Session | undefined> {
      this.gets++;
      switch (this.mode) {
        case 'throw':
          throw new Error('store down');
        case 'reject':
          return Promise.reject(new Error('store down'));
        case 'undefined-later':
          return new Promise((resolve) => setImmediate(() => resolve(undefined)));
        case 'set-rejects':
          return Promise.resolve(this.inner.get(id));
      }
    }
    set(session: Session): MaybePromise<void> {
      if (this.mode === 'set-rejects') return Promise.reject(new Error('store full'));
      this.inner.set(session);
    }
    delete(id: Uint8Array): MaybePromise<void> {
      this.inner.delete(id);
    }
    get size(): number {
      return this.inner.size;
    }
    get cacheFull(): number {
      return 0;
    }
  }

  for (const mode of ['throw', 'reject', 'undefined-later'] as const) {
    it(`a custom SessionCache whose get ${mode === 'throw' ? 'throws' : mode === 'reject' ? 'rejects' : 'answers nothing later'}: a miss, and a full handshake that completes`, async () => {
      const broken = new BrokenCache(mode);
      const ctx = clockedContext({ sessionIdContext: 'broken', sessionCache: broken });
      const offered = Uint8Array.from({ length: 32 }, (_, i) => i);
      const r = await completeHandshake(ctx, { sessionId: offered });
      assert.equal(broken.gets, 1);
      assert.equal(r.client.resumed, false);
      assert.equal(ctx.stats.misses, 1);
      assert.equal(ctx.stats.acceptGood, 1);
    });
  }

  it('a custom SessionCache whose set rejects loses the session, not the connection', async () => {
    const broken = new BrokenCache('set-rejects');
    const ctx = clockedContext({ sessionIdContext: 'broken', sessionCache: broken });
    const r = await completeHandshake(ctx);
    assert.equal(r.conn.handshakeComplete, true);
    assert.equal(ctx.stats.acceptGood, 1);
  });

  it('an async cache that returns a session of another context: a mismatch after the await', async () => {
    const inner = new MemorySessionCache({ flushIntervalSeconds: 0 });
    const asyncCache: SessionCache = {
      get: (id) => new Promise((resolve) => setImmediate(() => resolve(inner.get(id)))),
      set: (s) => new Promise((resolve) => setImmediate(() => resolve(inner.set(s)))),
      delete: (id) => inner.delete(id),
      get size() {
        return inner.size;
      },
      cacheFull: 0,
    };
    const A = clockedContext({ sessionIdContext: 'A', sessionCache: asyncCache });
    const B = clockedContext({ sessionIdContext: 'B', sessionCache: asyncCache });
    const made = await completeHandshake(A);
    assert.equal(inner.size, 1, 'stored through the async set');
    assert.equal((await completeHandshake(B, { resume: made.saved })).client.resumed, false);
    assert.equal(B.stats.contextMismatches, 1);
    assert.equal((await completeHandshake(A, { resume: made.saved })).client.resumed, true);
    assert.equal(hex(made.saved.sessionId).length, 64);
  });
});
