/**
 * The in-memory session cache (docs/SPEC-sid-ctx.md, "New sessions"): OpenSSL's default size,
 * oldest out first, expired sessions swept, a timer that never keeps a process alive, and
 * several contexts on one cache.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'mocha';
import { TlsContext } from '../../src/context.js';
import { DEFAULT_CACHE_SIZE, MemorySessionCache } from '../../src/session/memory-cache.js';
import type { Session } from '../../src/session/session.js';
import { connectOk } from '../helpers/handshake-harness.js';
import { Clock, T0, clockedContext, makeSession, utf8 } from '../helpers/sessions.js';

/** A session whose ID is `n` (4 bytes, big-endian, padded to 32), created at `createdAt`. */
function sessionNo(n: number, changes: Parameters<typeof makeSession>[0] = {}): Session {
  const id = new Uint8Array(32);
  new DataView(id.buffer).setUint32(28, n);
  return makeSession({ sessionId: id, ...changes });
}

const idOf = (n: number): Uint8Array => sessionNo(n).sessionId;

/** A cache with no periodic sweep and a clock the test moves. */
function cache(maxSize?: number, clock = new Clock()): MemorySessionCache {
  return new MemorySessionCache({ flushIntervalSeconds: 0, now: clock.now, ...(maxSize !== undefined ? { maxSize } : {}) });
}

/**
 * Counts how many steps any Map iterator takes while `fn` runs: a cache that scans its
 * entries on get/set/delete would take thousands here, an O(1) one at most one per eviction.
 */
function countMapIteration(fn: () => void): number {
  const proto = Map.prototype as unknown as Record<string | symbol, (...a: unknown[]) => Iterator<unknown>>;
  const names: Array<string | symbol> = ['keys', 'values', 'entries', Symbol.iterator];
  const originals = new Map(names.map((n) => [n, proto[n]!] as const));
  let steps = 0;
  for (const name of names) {
    const original = originals.get(name)!;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      const it = original.apply(this, args);
      const next = it.next.bind(it);
      it.next = (...a: [] | [undefined]) => {
        steps++;
        return next(...a);
      };
      return it;
    };
  }
  const originalForEach = Map.prototype.forEach;
  Map.prototype.forEach = function (this: Map<unknown, unknown>, cb, thisArg) {
    steps += this.size;
    return originalForEach.call(this, cb, thisArg);
  };
  try {
    fn();
  } finally {
    for (const name of names) proto[name] = originals.get(name)!;
    Map.prototype.forEach = originalForEach;
  }
  return steps;
}

describe('MemorySessionCache', () => {
  it("holds OpenSSL's SSL_SESSION_CACHE_MAX_SIZE_DEFAULT (20480) sessions by default", () => {
    assert.equal(DEFAULT_CACHE_SIZE, 20480);
    const c = new MemorySessionCache({ flushIntervalSeconds: 0 });
    assert.equal(c.maxSize, 20480);
    for (let i = 0; i < 20480; i++) c.set(sessionNo(i));
    assert.equal(c.size, 20480);
    assert.equal(c.cacheFull, 0, 'no eviction up to 20480');
    c.set(sessionNo(20480));
    assert.equal(c.size, 20480);
    assert.equal(c.cacheFull, 1);
    assert.equal(c.get(idOf(0)), undefined, 'the oldest went');
    assert.ok(c.get(idOf(1)) && c.get(idOf(20480)));
  });

  it('the default cache of a TlsContext is a MemorySessionCache of 20480', () => {
    const ctx = new TlsContext({ tickets: false });
    assert.ok(ctx.sessionCache instanceof MemorySessionCache);
    assert.equal(ctx.sessionCache.maxSize, 20480);
    ctx.sessionCache.close();
  });

  it('rejects a size that is not a positive integer', () => {
    for (const maxSize of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new MemorySessionCache({ maxSize, flushIntervalSeconds: 0 }), RangeError, String(maxSize));
    }
  });

  it('looks sessions up by the bytes of their ID, not by object identity', () => {
    const c = cache();
    const s = sessionNo(7);
    c.set(s);
    assert.deepEqual(c.get(Uint8Array.from(s.sessionId)), s);
    assert.deepEqual(c.get(Buffer.from(s.sessionId)), s);
    assert.equal(c.get(idOf(8)), undefined);
    // IDs that differ only in length are different IDs.
    const short = makeSession({ sessionId: Uint8Array.of(0, 0, 0, 7) });
    c.set(short);
    assert.deepEqual(c.get(Uint8Array.of(0, 0, 0, 7)), short);
    assert.deepEqual(c.get(idOf(7)), s);
    c.delete(Uint8Array.from(s.sessionId));
    assert.equal(c.get(idOf(7)), undefined);
    assert.equal(c.size, 1);
    c.delete(idOf(12345)); // deleting a stranger is harmless
    assert.equal(c.size, 1);
  });

  it('when full, the oldest goes first and each eviction counts in cacheFull', () => {
    const c = cache(3);
    for (const n of [1, 2, 3]) c.set(sessionNo(n));
    assert.equal(c.cacheFull, 0);
    c.set(sessionNo(4));
    assert.deepEqual([1, 2, 3, 4].map((n) => c.get(idOf(n)) !== undefined), [false, true, true, true]);
    assert.equal(c.cacheFull, 1);
    c.set(sessionNo(5));
    c.set(sessionNo(6));
    assert.deepEqual([2, 3, 4, 5, 6].map((n) => c.get(idOf(n)) !== undefined), [false, false, true, true, true]);
    assert.equal(c.cacheFull, 3);
    assert.equal(c.size, 3);
  });

  it('replacing a session under the same ID is not an eviction, and makes it the youngest', () => {
    const c = cache(3);
    for (const n of [1, 2, 3]) c.set(sessionNo(n));
    const again = sessionNo(1, { timeout: 999 });
    c.set(again);
    assert.equal(c.size, 3);
    assert.equal(c.cacheFull, 0);
    assert.deepEqual(c.get(idOf(1)), again);
    c.set(sessionNo(4)); // now 2 is the oldest
    assert.equal(c.get(idOf(2)), undefined);
    assert.deepEqual(c.get(idOf(1)), again);
  });

  describe('master secrets of sessions that leave the cache are wiped', () => {
    /**
     * What the cache itself holds for `id`, master secret included (a private field: what a
     * heap dump would show): the session packed in one buffer. It must hold the secret while
     * cached, so that "zeros" afterwards means the secret was wiped, not that it was elsewhere.
     */
    const heldSecret = (c: MemorySessionCache, id: Uint8Array): Uint8Array | undefined => {
      const packed = (c as unknown as { sessions: Map<string, Uint8Array> }).sessions.get(String.fromCharCode(...id));
      const secret = packed && c.get(id)?.masterSecret;
      if (packed && secret) assert.ok(Buffer.from(packed).includes(Buffer.from(secret)), 'the packed entry holds the master secret');
      return packed;
    };
    const zero = (b: Uint8Array): boolean => b.every((x) => x === 0);
    const secretOf = (n: number): Uint8Array => new Uint8Array(48).fill(n);

    it('the cache keeps its own copy and hands out copies: wiping one never touches a session a connection holds', () => {
      const c = cache();
      const s = sessionNo(1, { masterSecret: secretOf(1) });
      c.set(s);
      const held = heldSecret(c, idOf(1))!;
      assert.notEqual(held, s.masterSecret);
      const out = c.get(idOf(1))!;
      assert.notEqual(out.masterSecret, held);
      c.delete(idOf(1));
      assert.ok(zero(held), 'deleted: the cache\'s copy is zeros');
      assert.deepEqual([s.masterSecret, out.masterSecret].map(zero), [false, false], 'the given session and the one handed out are intact');
    });

    it('evicted (cache full), replaced, expired (met or swept) and cleared: each master secret is zeros', () => {
      const clock = new Clock();
      const c = cache(2, clock);
      c.set(sessionNo(1, { masterSecret: secretOf(1) }));
      const evicted = heldSecret(c, idOf(1))!;
      c.set(sessionNo(2, { masterSecret: secretOf(2), timeout: 10 }));
      const expiring = heldSecret(c, idOf(2))!;
      c.set(sessionNo(3, { masterSecret: secretOf(3) }));
      assert.ok(zero(evicted), 'evicted');
      const replaced = heldSecret(c, idOf(3))!;
      c.set(sessionNo(3, { masterSecret: secretOf(4) }));
      assert.ok(zero(replaced), 'replaced under the same ID');
      clock.advanceSeconds(11);
      assert.equal(c.flushExpired(), 1);
      assert.ok(zero(expiring), 'swept after expiry');
      const last = heldSecret(c, idOf(3))!;
      assert.ok(!zero(last));
      c.clear();
      assert.ok(zero(last), 'cleared');
    });

    it('an expired session met by a resumption attempt is removed, and its master secret wiped', () => {
      const clock = new Clock();
      const c = cache(10, clock);
      const context = clockedContext({ sessionCache: c, tickets: false, sessionTimeout: 10, sessionIdContext: 'app' }, clock);
      const saved = connectOk(context).client.session!;
      const held = heldSecret(c, saved.sessionId)!;
      assert.ok(!zero(held));
      clock.advanceSeconds(11);
      assert.equal(connectOk(context, { resume: saved }).client.resumed, false);
      assert.equal(context.stats.timeouts, 1);
      assert.ok(zero(held), 'the expired session\'s master secret is zeros');
    });
  });

  it('get, set, delete and eviction are O(1): no scan of the entries, even when full', () => {
    const c = cache(20480);
    for (let i = 0; i < 20480; i++) c.set(sessionNo(i));
    const ops = 2000;
    const steps = countMapIteration(() => {
      for (let i = 0; i < ops; i++) {
        c.set(sessionNo(100_000 + i)); // each evicts one
        c.get(idOf(100_000 + i));
        c.get(idOf(i)); // evicted: a miss
        c.delete(idOf(50_000 + i)); // never there
      }
    });
    assert.equal(c.cacheFull, ops);
    assert.ok(steps <= ops, `${steps} iterator steps for ${ops * 4} operations on a full cache of 20480`);
  });

  describe('flushExpired (injected clock)', () => {
    it('removes sessions with now > created + timeout, keeps the one exactly at the boundary, returns the count', () => {
      const clock = new Clock(T0 * 1000);
      const c = cache(undefined, clock);
      c.set(sessionNo(1, { createdAt: T0 - 400, timeout: 300 })); // expired at T0 - 100
      c.set(sessionNo(2, { createdAt: T0 - 301, timeout: 300 })); // expired one second ago
      c.set(sessionNo(3, { createdAt: T0 - 300, timeout: 300 })); // exactly at the boundary: alive
      c.set(sessionNo(4, { createdAt: T0, timeout: 300 }));
      assert.equal(c.flushExpired(), 2);
      assert.deepEqual([1, 2, 3, 4].map((n) => c.get(idOf(n)) !== undefined), [false, false, true, true]);
      assert.equal(c.flushExpired(), 0, 'nothing more to do');
      clock.ms += 999; // same second: still at the boundary
      assert.equal(c.flushExpired(), 0);
      clock.ms += 1; // one second past: 3 goes
      assert.equal(c.flushExpired(), 1);
      assert.deepEqual([3, 4].map((n) => c.get(idOf(n)) !== undefined), [false, true]);
      clock.advanceSeconds(300);
      assert.equal(c.flushExpired(), 1);
      assert.equal(c.size, 0);
      assert.equal(c.cacheFull, 0, 'expiry is not an eviction for lack of room');
    });

    it('the sweep the timer runs (flushExpired()) also removes an expired session stored after a longer-lived one (contexts with different timeouts on one cache)', () => {
      // SPEC: "expired sessions are removed when met and by a periodic flush". With several
      // contexts on one cache, insertion order is not expiry order.
      const clock = new Clock(T0 * 1000);
      const shared = cache(undefined, clock);
      const longLived = new TlsContext({ sessionCache: shared, sessionTimeout: 7200, now: clock.now, tickets: false });
      const shortLived = new TlsContext({ sessionCache: shared, sessionTimeout: 60, now: clock.now, tickets: false });
      shared.set(sessionNo(1, { createdAt: T0, timeout: longLived.sessionTimeout }));
      shared.set(sessionNo(2, { createdAt: T0, timeout: shortLived.sessionTimeout }));
      clock.advanceSeconds(61);
      const removed = shared.flushExpired();
      assert.ok(
        shared.get(idOf(2)) === undefined,
        'the expired 60-second session is still in the cache after the periodic sweep (it stopped at the live 7200-second one)',
      );
      assert.equal(removed, 1);
      assert.ok(shared.get(idOf(1)), 'the live one stays');
    });

    it('flushExpired() removes every expired session wherever it is', () => {
      const clock = new Clock(T0 * 1000);
      const c = cache(undefined, clock);
      c.set(sessionNo(1, { createdAt: T0, timeout: 7200 }));
      c.set(sessionNo(2, { createdAt: T0, timeout: 60 }));
      c.set(sessionNo(3, { createdAt: T0 - 1000, timeout: 60 })); // imported, old
      clock.advanceSeconds(61);
      assert.equal(c.flushExpired(), 2);
      assert.deepEqual([1, 2, 3].map((n) => c.get(idOf(n)) !== undefined), [true, false, false]);
    });
  });

  describe('the periodic flush timer', () => {
    const modulePath = fileURLToPath(new URL('../../src/session/memory-cache.js', import.meta.url));
    const run = (code: string, timeout: number) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', code], { timeout, encoding: 'utf8', killSignal: 'SIGKILL' });

    it("is unref'd: a process holding only caches (1 s and default 60 s sweeps) exits on its own", () => {
      const code = [
        `import { MemorySessionCache } from ${JSON.stringify(`file://${modulePath}`)};`,
        'globalThis.keep = [new MemorySessionCache(), new MemorySessionCache({ flushIntervalSeconds: 1 })];',
        "console.log('made', globalThis.keep.length);",
      ].join('\n');
      // The timeout is only a safety net against a hang; a ref'd 1 s timer would keep the
      // child alive for ever, so it would be killed (signal set, status null).
      const r = run(code, 10_000);
      assert.equal(r.error, undefined, String(r.error));
      assert.equal(r.signal, null, `the child had to be killed: a cache kept the process alive (stderr: ${r.stderr})`);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'made 2');
    });

    it('control: the same check catches a timer that is not unref\'d', () => {
      const r = run('setInterval(() => {}, 1000); console.log("made")', 1500);
      assert.equal(r.signal, 'SIGKILL', 'a ref\'d interval keeps the process alive');
    });

    it('close() stops the sweep and is idempotent', () => {
      const c = new MemorySessionCache({ flushIntervalSeconds: 1 });
      c.close();
      c.close();
    });
  });

  describe('several contexts sharing one cache', () => {
    it('see the same sessions, the same number and the same cacheFull', () => {
      const shared = cache(2);
      const a = new TlsContext({ sessionCache: shared, sessionIdContext: 'A', tickets: false });
      const b = new TlsContext({ sessionCache: shared, sessionIdContext: 'B', tickets: false });
      assert.equal(a.sessionCache, b.sessionCache);
      shared.set(sessionNo(1, { sidCtx: utf8('A') }));
      shared.set(sessionNo(2, { sidCtx: utf8('B') }));
      assert.equal(a.stats.number, 2);
      assert.equal(b.stats.number, 2);
      shared.set(sessionNo(3, { sidCtx: utf8('A') }));
      assert.equal(a.stats.cacheFull, 1);
      assert.equal(b.stats.cacheFull, 1);
      assert.equal(a.stats.toJSON().number, 2);
      // A session keeps its own sid_ctx whichever context looks it up.
      assert.deepEqual(b.sessionCache?.get(idOf(3)), sessionNo(3, { sidCtx: utf8('A') }));
    });

    it('a context without a cache reports number 0 and cacheFull 0', () => {
      const ctx = new TlsContext({ sessionCache: false, tickets: false });
      assert.equal(ctx.sessionCache, undefined);
      assert.equal(ctx.stats.number, 0);
      assert.equal(ctx.stats.cacheFull, 0);
    });
  });
});
