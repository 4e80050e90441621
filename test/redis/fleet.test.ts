/**
 * A fleet resumes each other's sessions, shown with separate processes and a real
 * client: two puretls processes with sessionIdContext 'app', one with 'other', and a
 * node:tls process attached to the same store with 'app', all sharing one redis-server (and,
 * below, a Redis Cluster of three masters). `openssl s_client -sess_out` takes a session
 * from one process and `-sess_in` offers it to the others.
 *
 * Tickets are puretls's (RedisTicketKeys, a per-context key derived from the shared one);
 * node:tls seals its own tickets another way (AES-CBC + HMAC under its own keys), so a
 * puretls ticket offered to node:tls costs a full handshake there, never a wrong session:
 * between node:tls and puretls, sessions travel by session ID.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'mocha';
import { RedisCluster, RedisServer, dumpRedis, redisCommand } from '../helpers/redis.js';
import { requirePeer } from '../helpers/peers.js';
import { FleetProcess, SessionFiles, assertCompleted, fleetHandshake, type FleetHandshake, type FleetServerConfig } from './fleet.js';
import { findSecret, requireRedis, testSecret } from './helpers.js';

const SESSION_PREFIX = 'puretls:session:';
/**
 * The resumption tests give the store a generous deadline (a busy machine must not turn a
 * slow answer into a full handshake); the fault test runs its own processes with the
 * defaults (50 ms), the deadline it shows.
 */
const PATIENT_STORE = { timeoutMs: 1000 };

interface Fleet {
  app1: FleetProcess;
  app2: FleetProcess;
  other: FleetProcess;
  node: FleetProcess;
}

async function startFleet(redis: FleetServerConfig['redis'], secretHex: string, extra: Partial<FleetServerConfig> = {}): Promise<Fleet> {
  const base = { redis, secretHex, ...extra };
  const tickets = extra.tickets ?? {};
  const [app1, app2, other, node] = await FleetProcess.startAll([
    { ...base, name: 'app1', kind: 'puretls', sessionIdContext: 'app', tickets },
    { ...base, name: 'app2', kind: 'puretls', sessionIdContext: 'app', tickets },
    { ...base, name: 'other', kind: 'puretls', sessionIdContext: 'other', tickets },
    { ...base, name: 'node', kind: 'node', sessionIdContext: 'app' },
  ]);
  return { app1: app1!, app2: app2!, other: other!, node: node! };
}

async function stopFleet(fleet: Fleet | undefined): Promise<void> {
  if (!fleet) return;
  await Promise.all(Object.values(fleet).map((p: FleetProcess) => p.exit()));
}

function assertNoneCrashed(fleet: Fleet): void {
  for (const p of Object.values(fleet) as FleetProcess[]) assert.ok(!p.crashed, `${p.name} crashed (${p.exitedWith})`);
}

/** Session ID (-no_ticket) from each 'app' process to every other process: resumed by the 'app' ones, never by 'other'. */
async function sessionIdMatrix(fleet: Fleet, files: SessionFiles): Promise<void> {
  const before = await fleet.other.stats();
  const nodeBefore = await fleet.node.stats();
  const all = [fleet.app1, fleet.app2, fleet.node, fleet.other];
  let offeredToOther = 0;
  for (const origin of [fleet.app1, fleet.app2, fleet.node]) {
    const first = await fleetHandshake(files, origin.port, { noTicket: true });
    assertCompleted(first, `new session on ${origin.name}`);
    assert.equal(first.reused, false);
    assert.ok(first.sessionPem && first.sessionId && first.sessionId.length === 64, `${origin.name} gave a session ID`);
    for (const target of all) {
      if (target === origin) continue;
      const again = await fleetHandshake(files, target.port, { noTicket: true, sessIn: first.sessionPem });
      assertCompleted(again, `${origin.name} -> ${target.name}`);
      const expected = target !== fleet.other;
      assert.equal(again.reused, expected, `a session of ${origin.name} offered to ${target.name} by ID: ${expected ? 'resumed' : 'a full handshake'}`);
      if (expected) assert.equal(again.sessionId, first.sessionId);
      if (target === fleet.other) offeredToOther++;
    }
  }
  // 'other' found every one of them in Redis and refused it by the sid_ctx rule.
  const after = await fleet.other.stats();
  assert.equal(after.context!.contextMismatches! - before.context!.contextMismatches!, offeredToOther);
  assert.equal(after.context!.hits, before.context!.hits);

  // And the other way: a session of 'other' is refused by the 'app' processes and by node:tls.
  const fromOther = await fleetHandshake(files, fleet.other.port, { noTicket: true });
  assertCompleted(fromOther, 'new session on other');
  const app2Before = await fleet.app2.stats();
  for (const target of [fleet.app2, fleet.node]) {
    const again = await fleetHandshake(files, target.port, { noTicket: true, sessIn: fromOther.sessionPem });
    assertCompleted(again, `other -> ${target.name}`);
    assert.equal(again.reused, false, `a session of 'other' on ${target.name}`);
  }
  assert.equal((await fleet.app2.stats()).context!.contextMismatches, app2Before.context!.contextMismatches! + 1);
  assert.equal((await fleet.node.stats()).attached.contextMismatches, nodeBefore.attached.contextMismatches + 1, 'attach refused it for node:tls');
}

/** Tickets from each 'app' process: resumed by the other 'app' process; not opened by 'other' or node:tls. */
async function ticketMatrix(fleet: Fleet, files: SessionFiles): Promise<void> {
  for (const [origin, peer] of [
    [fleet.app1, fleet.app2],
    [fleet.app2, fleet.app1],
  ] as const) {
    const first = await fleetHandshake(files, origin.port);
    assertCompleted(first, `ticket from ${origin.name}`);
    assert.ok(first.ticketHex && first.ticketHex.length > 64, 'a ticket was issued');
    const peerBefore = (await peer.stats()).handshakes.ticket;
    const again = await fleetHandshake(files, peer.port, { sessIn: first.sessionPem });
    assertCompleted(again, `${origin.name} -> ${peer.name} by ticket`);
    assert.equal(again.reused, true, `the ticket of ${origin.name} resumes on ${peer.name}`);
    assert.equal((await peer.stats()).handshakes.ticket, peerBefore + 1, 'by ticket, not by session ID');

    const otherBefore = (await fleet.other.stats()).context!;
    const elsewhere = await fleetHandshake(files, fleet.other.port, { sessIn: first.sessionPem });
    assertCompleted(elsewhere, `${origin.name} -> other by ticket`);
    assert.equal(elsewhere.reused, false);
    const otherAfter = (await fleet.other.stats()).context!;
    assert.equal(otherAfter.misses, otherBefore.misses! + 1, 'the ticket does not even open in another context');
    const onNode = await fleetHandshake(files, fleet.node.port, { sessIn: first.sessionPem });
    assertCompleted(onNode, `${origin.name} -> node by ticket`);
    assert.equal(onNode.reused, false, 'node:tls cannot open a puretls ticket');
  }
}

describe('puretls/redis: a fleet of processes resumes each other’s sessions (one redis-server)', function () {
  this.timeout(240_000);
  let redis: RedisServer;
  let fleet: Fleet;
  let files: SessionFiles;
  const secretHex = Buffer.from(testSecret()).toString('hex');

  before(async function () {
    requireRedis(this);
    requirePeer(this, 'openssl', 'openssl');
    redis = await RedisServer.start();
    files = new SessionFiles();
    fleet = await startFleet({ url: redis.url }, secretHex, { store: PATIENT_STORE });
  });

  after(async () => {
    await stopFleet(fleet);
    await redis?.dispose();
    files?.dispose();
  });

  it('session ID (-no_ticket): resumes across the app processes and the node:tls one, never into other (counted as context mismatches)', async () => {
    await sessionIdMatrix(fleet, files);
  });

  it('ticket: resumes across the app processes; it does not open in other (per-context key) nor in node:tls (its own ticket format)', async () => {
    await ticketMatrix(fleet, files);
  });

  it('at rest: the master secret of resumed sessions (from the client’s key log) appears nowhere in a dump of every Redis value, in binary or hex', async () => {
    const keylog = files.path('keys.log');
    const secrets: Array<{ what: string; secret: Buffer; sessionId?: string }> = [];
    const lastSecret = (): Buffer => {
      const lines = readFileSync(keylog, 'latin1').trim().split('\n');
      const m = /^CLIENT_RANDOM [0-9a-f]{64} ([0-9a-f]{96})$/i.exec(lines[lines.length - 1]!);
      assert.ok(m, 'a key log line');
      return Buffer.from(m[1]!, 'hex');
    };
    for (const [what, origin, target, noTicket] of [
      ['session ID, puretls to puretls', fleet.app1, fleet.app2, true],
      ['session ID, node:tls to puretls', fleet.node, fleet.app1, true],
      ['session ID, puretls to node:tls', fleet.app2, fleet.node, true],
      ['ticket, puretls to puretls', fleet.app1, fleet.app2, false],
    ] as const) {
      const first = await fleetHandshake(files, origin.port, { noTicket, keylog });
      const made = lastSecret();
      const again = await fleetHandshake(files, target.port, { noTicket, sessIn: first.sessionPem!, keylog });
      assert.equal(again.reused, true, what);
      const resumed = lastSecret();
      assert.deepEqual(resumed, made, 'a resumption keeps the master secret');
      secrets.push({ what, secret: resumed, ...(noTicket ? { sessionId: first.sessionId!.toLowerCase() } : {}) });
    }
    const dump = await dumpRedis([redis.url]);
    for (const { what, secret, sessionId } of secrets) {
      if (sessionId) assert.ok(dump.has(SESSION_PREFIX + sessionId), `${what}: its entry is in the dump`);
      assert.deepEqual(findSecret(dump, secret), [], `${what}: the master secret is not in Redis`);
      // The search itself finds a secret that is there, in binary and in hex.
      assert.equal(findSecret(new Map([['x', Buffer.concat([Buffer.from('..'), secret])], ['y', Buffer.from(secret.toString('hex'))]]), secret).length, 2);
    }
    assert.ok([...dump.keys()].some((k) => k.endsWith(':ring')), 'the ticket key ring is in the dump');
    const ticketKey = Buffer.from((await fleet.app1.stats()).currentTicketKey!, 'hex');
    assert.equal(ticketKey.length, 48);
    assert.deepEqual(findSecret(dump, ticketKey.subarray(16)), [], 'nor is the secret of the shared ticket key');
  });

  it('an entry overwritten with garbage or copied under another session ID: a full handshake (the entry is rejected)', async () => {
    const a = await fleetHandshake(files, fleet.app1.port, { noTicket: true });
    const b = await fleetHandshake(files, fleet.app1.port, { noTicket: true });
    const key = (h: FleetHandshake): string => SESSION_PREFIX + h.sessionId!.toLowerCase();
    const valueOfA = String(await redisCommand(redis.url, ['GET', key(a)]));
    const before = await fleet.app2.stats();
    const nodeBefore = await fleet.node.stats();

    await redisCommand(redis.url, ['SET', key(b), valueOfA]); // a's entry under b's session ID
    for (const target of [fleet.app2, fleet.node]) {
      const h = await fleetHandshake(files, target.port, { noTicket: true, sessIn: b.sessionPem });
      assertCompleted(h, `copied entry on ${target.name}`);
      assert.equal(h.reused, false, `copied entry on ${target.name}`);
    }
    await redisCommand(redis.url, ['SET', key(a), Buffer.from('garbage, but base64').toString('base64')]);
    const g = await fleetHandshake(files, fleet.app2.port, { noTicket: true, sessIn: a.sessionPem });
    assertCompleted(g, 'garbage entry');
    assert.equal(g.reused, false);

    const after = await fleet.app2.stats();
    assert.equal(after.store.rejected, before.store.rejected + 2);
    assert.equal((await fleet.node.stats()).store.rejected, nodeBefore.store.rejected + 1);
    assert.equal(after.handshakes.errors, 0);
    // The fleet is none the worse: a fresh session resumes across processes.
    const c = await fleetHandshake(files, fleet.app1.port, { noTicket: true });
    assert.equal((await fleetHandshake(files, fleet.app2.port, { noTicket: true, sessIn: c.sessionPem })).reused, true);
  });

  it('faults: Redis frozen, then killed, mid-run: every handshake completes (full) within a bound, no process crashes; restarted, resumption across processes returns by itself', async () => {
    // Processes of their own, with the store's defaults: a 50 ms deadline, the breaker after 3 failures.
    const [app1, app2, node, other] = await FleetProcess.startAll([
      { redis: { url: redis.url }, secretHex, name: 'app1 (defaults)', kind: 'puretls', sessionIdContext: 'app', tickets: {} },
      { redis: { url: redis.url }, secretHex, name: 'app2 (defaults)', kind: 'puretls', sessionIdContext: 'app', tickets: {} },
      { redis: { url: redis.url }, secretHex, name: 'node (defaults)', kind: 'node', sessionIdContext: 'app' },
      { redis: { url: redis.url }, secretHex, name: 'other (defaults)', kind: 'puretls', sessionIdContext: 'other', tickets: {} },
    ]);
    const mine: Fleet = { app1: app1!, app2: app2!, node: node!, other: other! };
    try {
      await faults(mine);
    } finally {
      await stopFleet(mine);
    }
  });

  async function faults(fleet: Fleet): Promise<void> {
    const baseline: number[] = [];
    const s0 = await fleetHandshake(files, fleet.app1.port, { noTicket: true });
    const t0 = await fleetHandshake(files, fleet.app1.port);
    for (let i = 0; i < 3; i++) {
      const h = await fleetHandshake(files, fleet.app2.port, { noTicket: true, sessIn: s0.sessionPem });
      assertCompleted(h, 'with Redis up');
      baseline.push(h.ms);
    }

    const during: number[] = [];
    const run = async (phase: string): Promise<void> => {
      for (let i = 0; i < 4; i++) {
        for (const target of [fleet.app2, fleet.node, fleet.other]) {
          const h = await fleetHandshake(files, target.port, { noTicket: true, sessIn: s0.sessionPem });
          assertCompleted(h, `${phase}: offered to ${target.name}`);
          assert.equal(h.reused, false, `${phase}: nothing can come back from Redis`);
          during.push(h.ms);
        }
        const fresh = await fleetHandshake(files, fleet.app1.port, { noTicket: true });
        assertCompleted(fresh, `${phase}: a new session`);
        during.push(fresh.ms);
        // Tickets do not need Redis in the handshake: the keys held go on.
        const byTicket = await fleetHandshake(files, fleet.app2.port, { sessIn: t0.sessionPem });
        assert.equal(byTicket.reused, true, `${phase}: a ticket still resumes across processes`);
      }
    };
    redis.freeze();
    await run('Redis frozen');
    await redis.stop();
    await run('Redis killed');
    assertNoneCrashed(fleet);

    // Bounded by the deadline: a frozen Redis never answers, so without the deadline these
    // would hang. The bound is very generous (s_client's whole run, a process start included,
    // on a loaded machine); it is no measure of speed.
    const max = Math.max(...during);
    const median = during.sort((x, y) => x - y)[during.length >> 1]!;
    const figures = `s_client runs: ${baseline.map((x) => x.toFixed(0)).join('/')} ms with Redis up; median ${median.toFixed(0)} ms, max ${max.toFixed(0)} ms with Redis frozen or down (${during.length} runs)`;
    assert.ok(max < 20_000, `a handshake took ${max.toFixed(0)} ms while Redis was down (${figures})`);

    for (const p of [fleet.app2, fleet.node]) {
      const st = await p.stats();
      assert.ok(st.store.timeouts > 0, `${p.name}: lookups timed out while Redis was frozen`);
      assert.ok(st.store.shortCircuited > 0, `${p.name}: the breaker stopped asking`);
      assert.equal(st.handshakes.errors, 0, `${p.name}: no failed handshake`);
      assert.equal(st.log.filter((l) => l.includes('session store unavailable')).length, 1, `${p.name}: one log line for the outage: ${st.log.join(' | ')}`);
    }
    const app1 = await fleet.app1.stats();
    assert.ok(app1.store.writeFailures > 0, 'lost writes are counted');

    await redis.restart();
    const back = performance.now();
    let resumed = false;
    while (!resumed && performance.now() - back < 30_000) {
      const fresh = await fleetHandshake(files, fleet.app1.port, { noTicket: true });
      const again = await fleetHandshake(files, fleet.app2.port, { noTicket: true, sessIn: fresh.sessionPem });
      resumed = again.reused === true;
      if (!resumed) await sleep(200);
    }
    assert.ok(resumed, `resumption across processes came back by itself (not within ${((performance.now() - back) / 1000).toFixed(1)} s of Redis restarting)`);
    let nodeBack = false;
    for (let i = 0; i < 10 && !nodeBack; i++) {
      const fromNode = await fleetHandshake(files, fleet.node.port, { noTicket: true });
      nodeBack = (await fleetHandshake(files, fleet.app2.port, { noTicket: true, sessIn: fromNode.sessionPem })).reused === true;
    }
    assert.ok(nodeBack, 'node:tls sessions resume on puretls again too');
    assertNoneCrashed(fleet);
  }
});

describe('puretls/redis: the same fleet on a Redis Cluster of three masters', function () {
  this.timeout(240_000);
  let cluster: RedisCluster;
  let fleet: Fleet;
  let files: SessionFiles;

  before(async function () {
    requireRedis(this);
    requirePeer(this, 'openssl', 'openssl');
    cluster = await RedisCluster.start(3);
    files = new SessionFiles();
    fleet = await startFleet({ cluster: cluster.urls }, Buffer.from(testSecret()).toString('hex'), { store: PATIENT_STORE });
  });

  after(async () => {
    await stopFleet(fleet);
    await cluster?.dispose();
    files?.dispose();
  });

  it('session ID and ticket resume across processes as on one Redis; sessions spread over the masters', async () => {
    await sessionIdMatrix(fleet, files);
    await ticketMatrix(fleet, files);
    for (let i = 0; i < 6; i++) await fleetHandshake(files, fleet.app1.port, { noTicket: true });
    const perNode = await cluster.keysPerNode();
    assert.ok(perNode.filter((n) => n > 0).length >= 2, `keys on several masters: ${perNode.join(', ')}`);
    const dump = await dumpRedis(cluster.urls);
    assert.ok([...dump.keys()].some((k) => k.endsWith(':ring')), 'the ticket key ring is there');
    assertNoneCrashed(fleet);
  });
});
