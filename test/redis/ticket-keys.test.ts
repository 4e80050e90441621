/**
 * RedisTicketKeys against a real redis-server, on a clock the tests move by hand (the
 * background poller runs on real time with a long interval; the tests call `refresh()`
 * where a process would poll): the ring is sealed at rest, a new key is published
 * decrypt-only before it seals, one process creates it under the lock, retired keys open
 * for one ticket lifetime, and an unreachable Redis leaves the keys held in use until they
 * are too old, then local keys.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'mocha';
import { defaultCryptoProvider } from '../../src/crypto/noble.js';
import { TlsConfigError } from '../../src/errors.js';
import { RedisTicketKeys, type RedisTicketKeysOptions } from '../../src/redis/ticket-keys.js';
import { Session } from '../../src/session/session.js';
import { TicketKeyring } from '../../src/session/tickets.js';
import { RedisServer, dumpRedis, redisCommand } from '../helpers/redis.js';
import { makeSession, utf8 } from '../helpers/sessions.js';
import { findSecret, requireRedis, testSecret } from './helpers.js';

const name = (key: Uint8Array): string => Buffer.from(key.subarray(0, 16)).toString('hex');

const ROTATION_S = 60;
const LIFETIME_S = 120;
const POLL_MS = 10_000;
const DELAY_MS = 20_000;
const MAX_AGE_S = 150;

/** makeSession's session as a ticket carries it (no session ID), made now. */
function session(): Session {
  return makeSession({
    sessionId: new Uint8Array(0),
    masterSecret: crypto.getRandomValues(new Uint8Array(48)),
    createdAt: Math.floor(Date.now() / 1000),
    serverName: undefined,
  });
}

describe('puretls/redis RedisTicketKeys (real redis-server)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  const secret = testSecret();
  const clock = { t: Date.now() };
  const made: RedisTicketKeys[] = [];
  let prefixCount = 0;
  let prefix = '';

  before(async function () {
    requireRedis(this);
    redis = await RedisServer.start();
  });
  after(async () => {
    await redis?.dispose();
  });
  afterEach(async () => {
    while (made.length) await made.pop()!.close();
    if (!redis.running) await redis.restart();
    prefix = `tk${prefixCount++}`;
  });
  prefix = `tk${prefixCount++}`;

  /** One process's keys, on the shared hand-moved clock. */
  function keys(options: Partial<RedisTicketKeysOptions> = {}): RedisTicketKeys {
    const k = new RedisTicketKeys({
      url: redis.url,
      secret,
      prefix,
      rotationSeconds: ROTATION_S,
      ticketLifetimeSeconds: LIFETIME_S,
      pollIntervalMs: POLL_MS,
      activationDelayMs: DELAY_MS,
      maxKeyAgeSeconds: MAX_AGE_S,
      now: () => clock.t,
      log: () => undefined,
      ...options,
    });
    made.push(k);
    return k;
  }

  /** A process's keyring over the source (what createServer builds from `ticketKeys`). */
  function ring(source: RedisTicketKeys): TicketKeyring {
    return new TicketKeyring({ crypto: defaultCryptoProvider, now: () => clock.t, lifetimeSeconds: 300, source });
  }

  it('refuses settings that would let a process meet a key it has not read', () => {
    const bad = (o: Partial<RedisTicketKeysOptions>): void =>
      assert.throws(() => new RedisTicketKeys({ url: redis.url, secret, rotationSeconds: 60, pollIntervalMs: 1000, ...o }), TlsConfigError);
    bad({ activationDelayMs: 1500 }); // less than two polls
    bad({ activationDelayMs: 60_000 }); // not shorter than the rotation
    bad({ maxKeyAgeSeconds: 61 }); // no time to rotate
    bad({ ticketLifetimeSeconds: 8 * 24 * 3600 });
    bad({ prefix: 'a{b}' });
  });

  it('processes starting together share one key; the ring is sealed in Redis and the lock is released', async () => {
    const a = keys();
    const b = keys();
    assert.deepEqual(await Promise.all([a.ready, b.ready]), [true, true]);
    assert.equal(a.stats.currentKeyName, b.stats.currentKeyName);
    assert.equal(a.stats.rotations + b.stats.rotations, 1, 'one process made the first key');
    const dump = await dumpRedis([redis.url]);
    assert.ok(dump.has(a.ringKey));
    assert.ok(!dump.has(a.lockKey), 'the lock went with the write');
    const current = a.ticketKeys().current;
    assert.deepEqual(findSecret(dump, current.subarray(16)), [], 'the key secret is nowhere in Redis');
    assert.deepEqual(findSecret(dump, current), []);
  });

  it('rotation: one process creates the next key under the lock, published decrypt-only; it seals only after the delay everywhere; the old key opens one lifetime more', async () => {
    const a = keys();
    const b = keys();
    await Promise.all([a.ready, b.ready]);
    const [ra, rb] = [ring(a), ring(b)];
    const k1 = name(a.ticketKeys().current);
    const byK1 = ra.seal(session());

    clock.t += ROTATION_S * 1000; // due
    await Promise.all([a.refresh(), b.refresh()]);
    assert.equal(a.stats.rotations + b.stats.rotations, 2, 'exactly one more key for the two of them');
    // The one that found the lock taken reads the new key at its next poll (well within the delay).
    await Promise.all([a.refresh(), b.refresh()]);
    assert.equal(a.stats.rotations + b.stats.rotations, 2, 'and no other');
    for (const k of [a, b]) {
      const set = k.ticketKeys();
      assert.equal(name(set.current), k1, 'the new key does not seal yet');
      assert.equal(set.decryptOnly.length, 1, 'it is held decrypt-only');
    }
    const k2 = name(a.ticketKeys().decryptOnly[0]!);
    assert.equal(name(b.ticketKeys().decryptOnly[0]!), k2);

    clock.t += DELAY_MS;
    assert.equal(name(a.ticketKeys().current), k2);
    assert.equal(name(b.ticketKeys().current), k2);
    const byK2 = rb.seal(session());
    assert.equal(ra.open(byK1, utf8('app'))?.renew, true, 'a ticket of the retired key still opens (and is renewed)');
    assert.equal(ra.open(byK2, utf8('app'))?.renew, false);

    clock.t += LIFETIME_S * 1000 + 1000; // past the retired key's window (no new rotation polled)
    assert.equal(ra.open(byK1, utf8('app')), undefined, 'one lifetime after it stopped sealing, it opens nothing');
    assert.equal(a.ticketKeys().decryptOnly.length, 0);
    assert.ok(ra.open(byK2, utf8('app')));
  });

  it('Redis unreachable: the keys held go on; past their maximum age a local key seals; back, the shared keys take over', async () => {
    const lines: string[] = [];
    const a = keys({ log: (m) => lines.push(m) });
    const b = keys();
    await Promise.all([a.ready, b.ready]);
    const [ra, rb] = [ring(a), ring(b)];
    const shared = name(a.ticketKeys().current);
    await redis.stop();

    clock.t += ROTATION_S * 1000; // due, but Redis is gone
    await a.refresh();
    assert.ok(a.stats.errors > 0);
    assert.equal(name(a.ticketKeys().current), shared, 'the key held still seals');
    assert.equal(a.stats.fallback, false);

    clock.t += (MAX_AGE_S - ROTATION_S) * 1000 + 1000; // the shared key is now too old to seal
    const local = a.ticketKeys().current;
    assert.notEqual(name(local), shared);
    assert.equal(a.stats.fallback, true);
    const byLocal = ra.seal(session());
    assert.ok(ra.open(byLocal, utf8('app')), 'its own tickets resume');
    assert.equal(rb.open(byLocal, utf8('app')), undefined, 'another process cannot open them (resumption degrades, security does not)');
    assert.equal(lines.filter((l) => l.includes('local key')).length, 1, lines.join(' | '));

    await redis.restart(); // empty: the ring is gone
    // As the poller would: read until the client has reconnected (it backs off up to 2 s).
    for (let i = 0; i < 100 && !(await dumpRedis([redis.url])).has(a.ringKey); i++) {
      await a.refresh();
      await sleep(50);
    }
    assert.ok((await dumpRedis([redis.url])).has(a.ringKey), 'the ring was written again from the keys held');
    assert.equal(a.stats.fallback, true, 'the new key is still decrypt-only');
    await b.refresh();
    clock.t += DELAY_MS;
    assert.equal(a.stats.fallback, false);
    assert.equal(name(a.ticketKeys().current), name(b.ticketKeys().current), 'both seal under the new shared key');
    assert.ok(ra.open(byLocal, utf8('app')), 'the local key still opens its tickets');
    assert.ok(lines.some((l) => l.includes('shared keys again')));
  });

  it('a ring that does not open (garbage, or another secret) is counted, never overwritten; previousSecrets reads it', async () => {
    const a = keys();
    await a.ready;
    const held = name(a.ticketKeys().current);
    const original = (await dumpRedis([redis.url])).get(a.ringKey)!;

    const stranger = keys({ secret: testSecret() });
    assert.equal(await stranger.ready, false, 'it cannot use the ring');
    assert.ok(stranger.stats.rejected > 0);
    assert.deepEqual((await dumpRedis([redis.url])).get(a.ringKey), original, 'and left it alone');

    const rolling = keys({ secret: testSecret(), previousSecrets: [secret] });
    assert.equal(await rolling.ready, true);
    assert.equal(name(rolling.ticketKeys().current), held);

    await redisCommand(redis.url, ['SET', a.ringKey, 'garbage']);
    clock.t += ROTATION_S * 1000;
    await a.refresh();
    assert.ok(a.stats.rejected > 0);
    assert.equal((await dumpRedis([redis.url])).get(a.ringKey)!.toString(), 'garbage');
    assert.equal(name(a.ticketKeys().current), held, 'the key held goes on');
  });
});
