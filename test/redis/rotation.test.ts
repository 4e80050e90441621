/**
 * Ticket key rotation through Redis while clients keep resuming across processes:
 * two puretls processes share RedisTicketKeys with a short rotation; openssl s_client takes a
 * ticket from one and offers it to the other, over and over, through at least ten rotations.
 * Not one handshake may fail, every fresh ticket resumes on the other process (a new key is
 * published before it seals), tickets sealed under the previous keys still resume while they
 * are young, and every ticket older than its lifetime is refused.
 *
 * Timing: the keys rotate every 1.2 s, the processes poll every 100 ms and a new key waits
 * 500 ms (five polls) before it seals; the maximum key age is generous (8 s) so that a busy
 * machine does not push a process into its local-key fallback. The ticket lifetime (5 s) leaves
 * a ticket 1.5 to 2 s old seconds to spare on a loaded machine. The whole-second session
 * clock (OpenSSL's too) is why "older than its lifetime" is taken with a second to spare.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { RedisServer } from '../helpers/redis.js';
import { requirePeer } from '../helpers/peers.js';
import { FleetProcess, SessionFiles, assertCompleted, fleetHandshake, type FleetHandshake } from './fleet.js';
import { requireRedis, testSecret } from './helpers.js';

const ROTATION_S = 1.2;
const LIFETIME_S = 5;
const POLL_MS = 100;
const ACTIVATION_MS = 500;
const ROTATIONS = 10;

interface Issued {
  pem: string;
  at: number;
  key: string;
}

describe('puretls/redis: ticket keys rotate through Redis while clients resume across processes', function () {
  this.timeout(240_000);
  let redis: RedisServer;
  let files: SessionFiles;
  let app1: FleetProcess;
  let app2: FleetProcess;

  before(async function () {
    requireRedis(this);
    requirePeer(this, 'openssl', 'openssl');
    redis = await RedisServer.start();
    files = new SessionFiles();
    const config = {
      redis: { url: redis.url },
      secretHex: Buffer.from(testSecret()).toString('hex'),
      kind: 'puretls' as const,
      sessionIdContext: 'app',
      store: { timeoutMs: 1000 },
      tickets: { rotationSeconds: ROTATION_S, ticketLifetimeSeconds: LIFETIME_S, pollIntervalMs: POLL_MS, activationDelayMs: ACTIVATION_MS, maxKeyAgeSeconds: 8 },
    };
    [app1, app2] = await FleetProcess.startAll([{ ...config, name: 'app1' }, { ...config, name: 'app2' }]);
  });

  after(async () => {
    await Promise.all([app1?.exit(), app2?.exit()]);
    await redis?.dispose();
    files?.dispose();
  });

  it(`${ROTATIONS} rotations: zero failed handshakes, fresh and younger tickets resume across processes, every ticket older than its lifetime is refused`, async () => {
    const issued: Issued[] = [];
    const keyNames = new Set<string>();
    let handshakes = 0;
    let crossFresh = 0;
    let crossOlder = 0;
    let olderUnderRetiredKey = 0;
    const rotations = async (): Promise<number> => (await app1.stats()).tickets!.rotations + (await app2.stats()).tickets!.rotations;
    const run = async (port: number, sessIn?: string): Promise<FleetHandshake> => {
      const h = await fleetHandshake(files, port, sessIn === undefined ? {} : { sessIn });
      handshakes++;
      assertCompleted(h, `handshake ${handshakes}`);
      return h;
    };
    const started = performance.now();
    // The first key of the ring counts as created too: ROTATIONS more after it. On a busy
    // machine an iteration can outlast a key, so the loop also runs until tickets were
    // sealed under that many keys.
    for (let i = 0; (await rotations()) < ROTATIONS + 1 || keyNames.size < ROTATIONS; i++) {
      assert.ok(performance.now() - started < 120_000, `ten rotations within two minutes (${await rotations()} keys made, ${keyNames.size} seen in tickets)`);
      const [from, to] = i % 2 === 0 ? [app1, app2] : [app2, app1];
      const fresh = await run(from.port);
      assert.equal(fresh.reused, false);
      const key = fresh.ticketHex!.slice(0, 32);
      keyNames.add(key);
      issued.push({ pem: fresh.sessionPem!, at: Date.now(), key });
      const across = await run(to.port, fresh.sessionPem);
      assert.equal(across.reused, true, `a fresh ticket of ${from.name} (key ${key}) resumes on ${to.name}: ${JSON.stringify((await to.stats()).tickets)}`);
      crossFresh++;
      // A ticket made 1.5 to 2 s ago: often sealed under a key that no longer seals, still within its lifetime.
      const older = issued.find((t) => Date.now() - t.at >= 1500 && Date.now() - t.at < 2000);
      if (older) {
        const currentKey = (await to.stats()).currentTicketKey!.slice(0, 32);
        const r = await run(to.port, older.pem);
        assert.equal(r.reused, true, `a ticket ${Date.now() - older.at} ms old (key ${older.key}) resumes`);
        crossOlder++;
        if (older.key !== currentKey) olderUnderRetiredKey++;
      }
    }
    const total = await rotations();
    const elapsed = (performance.now() - started) / 1000;

    // Every ticket older than its lifetime (plus a second for the whole-second clock) is refused.
    const refusedBefore = await Promise.all([app1.stats(), app2.stats()]);
    const stale = issued.filter((t) => Date.now() - t.at > (LIFETIME_S + 1.5) * 1000);
    assert.ok(stale.length >= 5, `enough old tickets to offer (${stale.length})`);
    for (const [i, t] of stale.entries()) {
      const r = await run((i % 2 === 0 ? app1 : app2).port, t.pem);
      assert.equal(r.reused, false, `a ticket ${((Date.now() - t.at) / 1000).toFixed(1)} s old is refused`);
    }
    const refusedAfter = await Promise.all([app1.stats(), app2.stats()]);
    const refusals = refusedAfter.reduce((n, s, i) => n + s.context!.misses! + s.context!.timeouts! - refusedBefore[i]!.context!.misses! - refusedBefore[i]!.context!.timeouts!, 0);
    assert.equal(refusals, stale.length, 'each was offered and refused (its key gone, or the session expired)');

    const summary =
      `${total} keys created (${total - 1} rotations) in ${elapsed.toFixed(1)} s; ${handshakes} handshakes; ` +
      `${crossFresh} fresh tickets and ${crossOlder} older ones (${olderUnderRetiredKey} under a retired key) resumed across processes; ` +
      `${stale.length} tickets past their lifetime refused; ${keyNames.size} keys seen in tickets`;
    for (const s of refusedAfter) assert.equal(s.handshakes.errors, 0, `no failed handshake on the servers (${summary})`);
    for (const s of refusedAfter) assert.equal(s.tickets!.fallback, false, `no process fell back to local keys (${summary})`);
    assert.ok(keyNames.size >= ROTATIONS, `tickets were sealed under ${keyNames.size} different keys (${summary})`);
    assert.ok(olderUnderRetiredKey > 0, `some tickets resumed under a key that had stopped sealing (${summary})`);
  });
});
