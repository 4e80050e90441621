/**
 * RedisSessionStore against a real redis-server started on a free port: what goes into
 * Redis (sealed, bound to its session ID and sid_ctx, with the session's remaining lifetime
 * as TTL), what comes back (every rule of the resumption decision applies), and what a
 * failing Redis does to a handshake (a miss, within the deadline; a circuit breaker; one
 * log line per outage).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'mocha';
import { TlsContext } from '../../src/context.js';
import { TlsConfigError } from '../../src/errors.js';
import { ENTRY_VERSION, MAX_ENTRY_TTL_MS, RedisSessionStore, type RedisSessionStoreOptions } from '../../src/redis/session-store.js';
import { Session, type SessionFields } from '../../src/session/session.js';
import { testCertificate } from '../helpers/fixtures.js';
import { RedisServer, dumpRedis, redisCommand } from '../helpers/redis.js';
import { makeSession } from '../helpers/sessions.js';
import { hex } from '../helpers/tls-client.js';
import { findSecret, handshakeWithStore, requireRedis, testSecret } from './helpers.js';

/** makeSession's session with its own ID and secret, made now (Redis keeps it for its remaining lifetime). */
function sample(changes: Partial<SessionFields> = {}): Session {
  return makeSession({
    sessionId: crypto.getRandomValues(new Uint8Array(32)),
    masterSecret: crypto.getRandomValues(new Uint8Array(48)),
    createdAt: Math.floor(Date.now() / 1000),
    serverName: undefined,
    ...changes,
  });
}

describe('puretls/redis RedisSessionStore (real redis-server)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  const secret = testSecret();
  const stores: RedisSessionStore[] = [];
  let prefixCount = 0;

  before(async function () {
    requireRedis(this);
    redis = await RedisServer.start();
  });

  after(async () => {
    await redis?.dispose();
  });

  afterEach(async () => {
    while (stores.length) await stores.pop()!.close();
    redis.thaw();
    if (!redis.running) await redis.restart();
  });

  /** A store on its own prefix (tests do not see each other's entries). */
  async function store(options: Partial<RedisSessionStoreOptions> = {}): Promise<RedisSessionStore> {
    // A generous deadline unless a test is about the deadline: a busy machine must not turn a slow answer into a miss.
    const s = new RedisSessionStore({ url: redis.url, secret, prefix: `t${prefixCount++}:`, timeoutMs: 1000, log: () => undefined, ...options });
    stores.push(s);
    await s.connected;
    return s;
  }

  function context(s: RedisSessionStore, sidCtx: string): TlsContext {
    const cert = testCertificate();
    return new TlsContext({ key: cert.keyPem, cert: cert.certPem, sessionIdContext: sidCtx, sessionCache: s, tickets: false });
  }

  describe('options', () => {
    it('refuses a secret that is not 32 random bytes, and url with client', () => {
      const bad = (options: Record<string, unknown>, code: string): void =>
        assert.throws(() => new RedisSessionStore({ url: 'redis://127.0.0.1:1', ...options } as RedisSessionStoreOptions), (e: unknown) => e instanceof TlsConfigError && e.reason === code);
      bad({ secret: new Uint8Array(16) }, 'ERR_INVALID_SECRET');
      bad({ secret: 'x'.repeat(32) }, 'ERR_INVALID_SECRET');
      bad({ secret: new Uint8Array(32) }, 'ERR_INVALID_SECRET');
      bad({ secret, client: {} }, 'ERR_INVALID_ARG');
      bad({ secret, timeoutMs: 0 }, 'ERR_INVALID_ARG_VALUE');
    });
  });

  describe('entries', () => {
    it('a session goes in sealed and comes back whole; the master secret appears nowhere in Redis', async () => {
      const s = await store();
      const session = sample({ serverName: 'example.test', alpn: 'h2' });
      await s.set(session);
      const back = await s.get(session.sessionId);
      assert.ok(back);
      assert.deepEqual(back.toDER(), session.toDER());
      assert.equal(s.storeStats.hits, 1);

      const dump = await dumpRedis([redis.url]);
      const key = `${s.prefix}${hex(session.sessionId)}`;
      const value = dump.get(key);
      assert.ok(value, 'the entry is under prefix + hex(session ID)');
      const entry = Buffer.from(value.toString('latin1'), 'base64');
      assert.equal(entry[0], ENTRY_VERSION);
      assert.equal(entry[1], 3);
      assert.equal(entry.subarray(2, 5).toString(), 'app', 'the sid_ctx is in the clear');
      assert.deepEqual(findSecret(dump, session.masterSecret), []);
      assert.ok(!entry.includes(Buffer.from(session.toDER().subarray(0, 20))), 'no DER in the clear');
    });

    it('TTL is the session’s remaining lifetime, at most 24 h; expired and non-EMS sessions are not written', async () => {
      const s = await store();
      const now = Math.floor(Date.now() / 1000);
      const fresh = sample({ createdAt: now - 100, timeout: 300 });
      const long = sample({ timeout: 3 * 24 * 3600 });
      const expired = sample({ createdAt: now - 400, timeout: 300 });
      const noEms = sample({ extendedMasterSecret: false });
      for (const x of [fresh, long, expired, noEms]) await s.set(x);
      const pttl = async (x: Session): Promise<number> => Number(await redisCommand(redis.url, ['PTTL', `${s.prefix}${hex(x.sessionId)}`]));
      const f = await pttl(fresh);
      assert.ok(f > 195_000 && f <= 201_000, `remaining lifetime about 200 s, got ${f} ms`);
      const l = await pttl(long);
      assert.ok(l > MAX_ENTRY_TTL_MS - 60_000 && l <= MAX_ENTRY_TTL_MS, `capped at 24 h, got ${l} ms`);
      assert.equal(await pttl(expired), -2, 'expired: not written');
      assert.equal(await pttl(noEms), -2, 'without EMS: not written');
      await s.delete(fresh.sessionId);
      assert.equal(await pttl(fresh), -2, 'deleted');
    });

    it('an entry overwritten with garbage, copied under another session ID, or moved to another sid_ctx does not open', async () => {
      const s = await store();
      const a = sample();
      const b = sample();
      const c = sample();
      for (const x of [a, b, c]) await s.set(x);
      const key = (x: Session): string => `${s.prefix}${hex(x.sessionId)}`;
      const dump = await dumpRedis([redis.url]);
      // Garbage, valid base64 and not.
      await redisCommand(redis.url, ['SET', key(a), Buffer.from('not a session at all').toString('base64')]);
      assert.equal(await s.get(a.sessionId), undefined);
      await redisCommand(redis.url, ['SET', key(a), '%%%%']);
      assert.equal(await s.get(a.sessionId), undefined);
      // b's entry copied under c's session ID.
      await redisCommand(redis.url, ['SET', key(c), dump.get(key(b))!.toString('latin1')]);
      assert.equal(await s.get(c.sessionId), undefined);
      // b's entry moved to another context: the sid_ctx bytes in the clear changed ('app' -> 'apq').
      const moved = Buffer.from(dump.get(key(b))!.toString('latin1'), 'base64');
      moved[4] = 'q'.charCodeAt(0);
      await redisCommand(redis.url, ['SET', key(b), moved.toString('base64')]);
      assert.equal(await s.get(b.sessionId), undefined);
      assert.equal(s.storeStats.rejected, 4);
      assert.equal(s.storeStats.hits, 0);
      assert.equal(s.storeStats.errors, 0);
    });

    it('another fleet’s secret does not open an entry; previousSecrets does (changing the secret)', async () => {
      const s = await store();
      const session = sample();
      await s.set(session);
      const newSecret = testSecret();
      const stranger = await store({ secret: newSecret, prefix: s.prefix });
      assert.equal(await stranger.get(session.sessionId), undefined);
      assert.equal(stranger.storeStats.rejected, 1);
      const rolling = await store({ secret: newSecret, previousSecrets: [secret], prefix: s.prefix });
      assert.deepEqual((await rolling.get(session.sessionId))?.masterSecret, session.masterSecret);
      // What the rolling store writes, under the new secret, the old-secret store cannot read.
      const next = sample();
      await rolling.set(next);
      assert.equal(await s.get(next.sessionId), undefined);
    });
  });

  describe('through the resumption decision', () => {
    it('contexts with the same sid_ctx resume each other’s sessions; another sid_ctx gets a full handshake, counted as a context mismatch', async () => {
      const s = await store();
      const app1 = context(s, 'app');
      const app2 = context(s, 'app');
      const other = context(s, 'other');
      const first = await handshakeWithStore(app1);
      const saved = first.client.session!;
      assert.equal(saved.sessionId.length, 32);

      const again = await handshakeWithStore(app2, { resume: saved });
      assert.equal(again.server.negotiated!.resumedBy, 'session-id');
      assert.equal(app2.stats.hits, 1);

      const elsewhere = await handshakeWithStore(other, { resume: saved });
      assert.equal(elsewhere.server.negotiated!.resumed, false);
      assert.equal(other.stats.contextMismatches, 1, 'rule 2 refused what Redis gave back');
      assert.equal(other.stats.misses, 0, 'it was found, not missed');
      assert.equal(s.storeStats.hits, 2);
      assert.equal(app2.stats.store, s.storeStats, 'the context shows the store counters');
    });

    it('an expired session that Redis still holds is refused by the decision (and counted as a timeout)', async () => {
      let clock = Date.now();
      const cert = testCertificate();
      const s = await store({ now: () => clock });
      const ctx = new TlsContext({ key: cert.keyPem, cert: cert.certPem, sessionIdContext: 'app', sessionCache: s, tickets: false, sessionTimeout: 60, now: () => clock });
      const first = await handshakeWithStore(ctx);
      clock += 62_000; // Redis keeps it (TTL in real time), the clock says it expired
      const later = await handshakeWithStore(ctx, { resume: first.client.session! });
      assert.equal(later.server.negotiated!.resumed, false);
      assert.equal(ctx.stats.timeouts, 1);
      assert.equal(Number(await redisCommand(redis.url, ['EXISTS', `${s.prefix}${hex(first.client.session!.sessionId)}`])), 0, 'and deleted');
    });

    it('a fatal alert deletes the session from Redis (RFC 5246 §7.2.2)', async () => {
      const s = await store();
      const ctx = context(s, 'app');
      const { client, server } = await handshakeWithStore(ctx);
      const key = `${s.prefix}${hex(client.session!.sessionId)}`;
      assert.equal(Number(await redisCommand(redis.url, ['EXISTS', key])), 1);
      server.receive(client.alertRecord(2, 80)); // fatal internal_error
      assert.ok(server.error);
      for (let i = 0; i < 100 && Number(await redisCommand(redis.url, ['EXISTS', key])) === 1; i++) await sleep(20);
      assert.equal(Number(await redisCommand(redis.url, ['EXISTS', key])), 0);
    });
  });

  describe('failure is a miss, never an outage', () => {
    it('Redis frozen: a lookup is a miss within the deadline; after the threshold the breaker stops asking; it recovers by itself', async () => {
      const lines: string[] = [];
      const s = await store({ timeoutMs: 50, breakerThreshold: 3, breakerCooldownMs: 300, log: (m) => lines.push(m) });
      const session = sample();
      await s.set(session);
      redis.freeze();
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        assert.equal(await s.get(session.sessionId), undefined);
        times.push(performance.now() - t0);
      }
      assert.equal(s.storeStats.timeouts, 3);
      assert.equal(s.storeStats.breaker, 'open');
      // Open: Redis is not asked at all (counted, not timed).
      for (let i = 0; i < 20; i++) assert.equal(await s.get(session.sessionId), undefined);
      assert.equal(s.storeStats.shortCircuited, 20);
      await s.set(sample());
      assert.equal(s.storeStats.writeFailures, 1, 'a write the breaker skipped is counted');
      // A frozen Redis never answers: each lookup came back because of the 50 ms deadline. The
      // bound is very generous (a loaded machine); it only shows the lookups did not wait on Redis.
      for (const t of times) assert.ok(t < 10_000, `a lookup against a frozen Redis took ${t.toFixed(0)} ms`);

      redis.thaw();
      let back: Session | undefined;
      for (let i = 0; i < 100 && !back; i++) {
        await sleep(50);
        back = await s.get(session.sessionId);
      }
      assert.ok(back, 'found again once Redis answers');
      assert.equal(s.storeStats.breaker, 'closed');
      assert.equal(lines.filter((l) => l.includes('unavailable')).length, 1, `one line for the outage: ${lines.join(' | ')}`);
      assert.equal(lines.filter((l) => l.includes('answers again')).length, 1, 'one line when it is back');
    });

    it('Redis killed: lookups are misses at once, writes are counted as failed (logged once); restarted, the store recovers by itself', async () => {
      const lines: string[] = [];
      const s = await store({ breakerCooldownMs: 200, log: (m) => lines.push(m) });
      const cert = testCertificate();
      const ctx = new TlsContext({ key: cert.keyPem, cert: cert.certPem, sessionIdContext: 'app', sessionCache: s, tickets: false });
      const first = await handshakeWithStore(ctx);
      await redis.stop();
      for (let i = 0; i < 10; i++) {
        const h = await handshakeWithStore(ctx, { resume: first.client.session! });
        assert.equal(h.server.negotiated!.resumed, false, 'a full handshake, not a failed one');
      }
      const st = s.storeStats;
      assert.ok(st.errors >= 3, `errors counted (${st.errors})`);
      assert.ok(st.writeFailures >= 10, `every lost write counted (${st.writeFailures})`);
      assert.equal(ctx.stats.acceptGood, 11);
      assert.equal(lines.filter((l) => l.includes('unavailable')).length, 1, `logged once: ${lines.join(' | ')}`);

      await redis.restart();
      let resumed = false;
      for (let i = 0; i < 100 && !resumed; i++) {
        await sleep(100);
        const fresh = await handshakeWithStore(ctx);
        const again = await handshakeWithStore(ctx, { resume: fresh.client.session! });
        resumed = again.server.negotiated!.resumed;
      }
      assert.ok(resumed, 'resumption through Redis came back without a restart of ours');
      assert.equal(s.storeStats.breaker, 'closed');
    });
  });
});
