import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'mocha';
import type { ServerOptions } from '../../src/node/options.js';
import { runSClient, type SClientResult } from '../helpers/s-client.js';
import { closeAllTicketServers, startTicketServer, type HandshakeRecord, type TicketServer } from '../helpers/ticket-server.js';
import { editSession, sessionBlocks, sessionIdOfSession, ticketOfSession, type SessionBlock } from '../helpers/s-client-sessions.js';

/** Fixed ticket keys (node:tls format: 16-byte name, 32 bytes of secret). */
function keys(seed: number): Buffer {
  return Buffer.from(Array.from({ length: 48 }, (_, i) => (seed * 97 + i * 29 + 5) & 0xff));
}

const hexUpper = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

let scratch: string;
let fileCounter = 0;

interface Run {
  result: SClientResult;
  blocks: SessionBlock[];
  /** What the server recorded for the handshakes of this run. */
  server: HandshakeRecord[];
  /** The session s_client wrote with -sess_out. */
  sessionPem: string;
}

/**
 * Runs `s_client -tls1_2` to completion (it is killed by pid if it hangs), optionally
 * offering `sessIn`, and waits until the server has recorded all of its handshakes.
 */
async function sClient(server: TicketServer, options: { args?: string[]; sessIn?: string } = {}): Promise<Run> {
  const args = ['-tls1_2', ...(options.args ?? [])];
  if (options.sessIn !== undefined) {
    const file = join(scratch, `sess-${fileCounter++}.pem`);
    writeFileSync(file, options.sessIn);
    args.push('-sess_in', file);
  }
  const before = server.handshakes.length;
  const result = await runSClient(server.port, { args, sessOut: true });
  const blocks = sessionBlocks(result.stdout.toString('latin1'));
  assert.equal(result.code, 0, `s_client failed: ${result.stderr}`);
  assert.deepEqual(result.alerts, [], 's_client must not see an alert');
  assert.ok(blocks.length >= 1, `no handshake in s_client's output: ${result.stdout.toString('latin1')}`);
  const seen = await server.waitForHandshakes(before + blocks.length);
  assert.deepEqual(server.clientErrors, []);
  return { result, blocks, server: seen.slice(before), sessionPem: result.sessionPem ?? '' };
}

async function serve(options: ServerOptions = {}): Promise<TicketServer> {
  return startTicketServer(options);
}

describe('session tickets: openssl s_client', function () {
  this.timeout(30_000);

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'puretls-tickets-'));
  });

  after(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  afterEach(async () => {
    await closeAllTicketServers();
  });

  describe('-reconnect', () => {
    it('resumes every reconnection by ticket; the full handshake issues the one ticket (lifetime hint = the session timeout), kept while its key is current', async () => {
      const server = await serve({ sessionTimeout: 1234 });
      const run = await sClient(server, { args: ['-reconnect'] });
      assert.deepEqual(
        run.blocks.map((b) => b.reused),
        [false, true, true, true, true, true],
      );
      assert.deepEqual(
        run.server.map((h) => h.resumedBy),
        [undefined, 'ticket', 'ticket', 'ticket', 'ticket', 'ticket'],
      );
      assert.deepEqual(
        run.server.map((h) => h.ticketIssued),
        [true, false, false, false, false, false],
        'only the full handshake issues a ticket: under the current key, OpenSSL does not renew one either',
      );
      for (const b of run.blocks) {
        assert.equal(b.lifetimeHint, 1234);
        assert.ok(b.ticket && b.ticket.length > 0);
      }
      // Every resumption offered, and kept, the one ticket the full handshake issued.
      const tickets = new Set(run.blocks.map((b) => hexUpper(b.ticket!)));
      assert.equal(tickets.size, 1);
      const stats = server.running.server.context.stats;
      assert.equal(stats.hits, 5);
      assert.equal(stats.acceptGood, 6);
    });

    it('with -no_ticket resumes by session ID, and no ticket is issued', async () => {
      const server = await serve({ sessionTimeout: 1234 });
      const run = await sClient(server, { args: ['-reconnect', '-no_ticket'] });
      assert.deepEqual(
        run.blocks.map((b) => b.reused),
        [false, true, true, true, true, true],
      );
      assert.deepEqual(
        run.server.map((h) => h.resumedBy),
        [undefined, 'session-id', 'session-id', 'session-id', 'session-id', 'session-id'],
      );
      assert.ok(run.server.every((h) => !h.ticketIssued));
      const serverId = hexUpper(run.server[0]!.sessionId);
      assert.equal(serverId.length, 64, 'the full handshake made a 32-byte session ID');
      for (const b of run.blocks) {
        assert.equal(b.lifetimeHint, undefined);
        assert.equal(b.ticket, undefined);
        assert.equal(b.sessionId, serverId, 'the client resumes the session ID the server made');
      }
    });
  });

  describe('-sess_out / -sess_in across a server restart', () => {
    it('a new server with the same ticketKeys resumes the ticket', async () => {
      const first = await serve({ ticketKeys: keys(1) });
      const made = await sClient(first);
      assert.equal(made.blocks[0]!.reused, false);
      const ticket = ticketOfSession(made.sessionPem);
      assert.ok(ticket, 's_client stored a ticket');
      assert.deepEqual(ticket.subarray(0, 16), new Uint8Array(keys(1).subarray(0, 16)), 'the ticket names the configured key');
      await first.close();

      const second = await serve({ ticketKeys: keys(1) });
      const resumed = await sClient(second, { sessIn: made.sessionPem });
      assert.equal(resumed.blocks[0]!.reused, true, resumed.result.stdout.toString('latin1'));
      assert.equal(resumed.server[0]!.resumedBy, 'ticket');
      assert.equal(second.running.server.context.stats.hits, 1);
    });

    it('a new server with other ticketKeys does a full handshake and issues a ticket under its own key', async () => {
      const first = await serve({ ticketKeys: keys(1) });
      const made = await sClient(first);
      await first.close();

      const second = await serve({ ticketKeys: keys(2) });
      const run = await sClient(second, { sessIn: made.sessionPem });
      assert.equal(run.blocks[0]!.reused, false);
      assert.equal(run.server[0]!.resumed, false);
      assert.equal(run.server[0]!.ticketIssued, true);
      const fresh = ticketOfSession(run.sessionPem)!;
      assert.deepEqual(fresh.subarray(0, 16), new Uint8Array(second.running.server.getTicketKeys().subarray(0, 16)));
      const stats = second.running.server.context.stats;
      assert.equal(stats.hits, 0);
      assert.equal(stats.misses, 1);
      assert.equal(stats.contextMismatches, 0);
    });

    it('a new server with tickets: false ignores the ticket; its (per-process) cache is empty, so the handshake is full', async () => {
      const first = await serve({ ticketKeys: keys(1) });
      const made = await sClient(first);
      await first.close();

      const second = await serve({ tickets: false });
      const run = await sClient(second, { sessIn: made.sessionPem });
      assert.equal(run.blocks[0]!.reused, false);
      assert.equal(run.server[0]!.resumed, false);
      assert.equal(run.server[0]!.ticketIssued, false);
      assert.equal(run.blocks[0]!.lifetimeHint, undefined, 'no NewSessionTicket from a server with tickets off');
      assert.equal(ticketOfSession(run.sessionPem), undefined);
      // ... but the session it made instead resumes by session ID.
      const again = await sClient(second, { sessIn: run.sessionPem });
      assert.equal(again.blocks[0]!.reused, true);
      assert.equal(again.server[0]!.resumedBy, 'session-id');
    });
  });

  describe('sessionIdContext and shared ticket keys', () => {
    it('a ticket made under another sessionIdContext is not resumed (full handshake, a fresh ticket, counted as a mismatch)', async () => {
      const a = await serve({ sessionIdContext: 'app-a', ticketKeys: keys(3) });
      const b = await serve({ sessionIdContext: 'app-b', ticketKeys: keys(3) });
      const made = await sClient(a);
      const ticketA = ticketOfSession(made.sessionPem)!;

      const run = await sClient(b, { sessIn: made.sessionPem });
      assert.equal(run.blocks[0]!.reused, false);
      assert.equal(run.server[0]!.resumed, false);
      assert.equal(run.server[0]!.ticketIssued, true);
      const ticketB = ticketOfSession(run.sessionPem)!;
      assert.ok(ticketB.length > 0);
      assert.notDeepEqual(ticketB, ticketA, 'a fresh ticket, not the offered one');
      const stats = b.running.server.context.stats;
      assert.equal(stats.contextMismatches, 1);
      assert.equal(stats.hits, 0);

      // The fresh ticket belongs to B's context and resumes there.
      const back = await sClient(b, { sessIn: run.sessionPem });
      assert.equal(back.blocks[0]!.reused, true);
      assert.equal(back.server[0]!.resumedBy, 'ticket');
      assert.equal(stats.contextMismatches, 1);
    });

    it('a ticket made under the same sessionIdContext by another server with the same keys resumes', async () => {
      const a = await serve({ sessionIdContext: 'app-a', ticketKeys: keys(3) });
      const c = await serve({ sessionIdContext: 'app-a', ticketKeys: keys(3) });
      const made = await sClient(a);
      const run = await sClient(c, { sessIn: made.sessionPem });
      assert.equal(run.blocks[0]!.reused, true);
      assert.equal(run.server[0]!.resumedBy, 'ticket');
      assert.equal(c.running.server.context.stats.contextMismatches, 0);
    });
  });

  describe('tampered tickets in the session s_client offers', () => {
    const flip = (t: Uint8Array, i: number): Uint8Array => {
      const out = t.slice();
      out[i < 0 ? t.length + i : i]! ^= 0x10;
      return out;
    };
    const variants: ReadonlyArray<{ name: string; make: (t: Uint8Array) => Uint8Array }> = [
      { name: 'a bit flipped in the key name', make: (t) => flip(t, 3) },
      { name: 'a bit flipped in the nonce', make: (t) => flip(t, 20) },
      { name: 'a bit flipped in the ciphertext', make: (t) => flip(t, 40) },
      { name: 'a bit flipped in the tag', make: (t) => flip(t, -1) },
      { name: 'truncated by one byte', make: (t) => t.subarray(0, t.length - 1) },
      { name: 'truncated to its key name', make: (t) => t.subarray(0, 16) },
      { name: 'a wrong key name', make: (t) => Uint8Array.from(t, (v, i) => (i < 16 ? v ^ 0xff : v)) },
      { name: 'garbage', make: (t) => Uint8Array.from({ length: t.length + 7 }, (_, i) => (i * 73 + 11) & 0xff) },
    ];

    it('each gives a full handshake with a fresh ticket, never an alert; the genuine ticket still resumes after each', async () => {
      const server = await serve({ ticketKeys: keys(4) });
      const made = await sClient(server);
      const genuine = ticketOfSession(made.sessionPem)!;
      assert.ok(genuine.length > 44);
      for (const v of variants) {
        const tampered = editSession(made.sessionPem, { ticket: v.make(genuine) });
        assert.notDeepEqual(ticketOfSession(tampered), genuine);
        const run = await sClient(server, { sessIn: tampered });
        assert.equal(run.blocks[0]!.reused, false, `${v.name}: must not resume`);
        assert.equal(run.server[0]!.resumed, false, v.name);
        assert.equal(run.server[0]!.ticketIssued, true, `${v.name}: a fresh ticket is issued`);
        assert.equal(run.blocks[0]!.lifetimeHint, 300, v.name);

        const normal = await sClient(server, { sessIn: made.sessionPem });
        assert.equal(normal.blocks[0]!.reused, true, `after ${v.name}: the genuine ticket resumes`);
        assert.equal(normal.server[0]!.resumedBy, 'ticket');
      }
      const stats = server.running.server.context.stats;
      assert.equal(stats.hits, variants.length);
      assert.equal(stats.contextMismatches, 0);
      assert.deepEqual(server.clientErrors, []);
    });

    it('an empty ticket with the cached session ID resumes by session ID and gets a fresh ticket (RFC 5077 §3.4)', async () => {
      const server = await serve({ sessionTimeout: 900 });
      const made = await sClient(server);
      const cachedId = made.server[0]!.sessionId;
      assert.equal(cachedId.length, 32);
      // OpenSSL's client replaced the session ID by SHA-256(ticket); give it the server's one back.
      assert.notDeepEqual(sessionIdOfSession(made.sessionPem), cachedId);
      for (const ticket of [new Uint8Array(0), undefined]) {
        const offered = editSession(made.sessionPem, { ticket, sessionId: cachedId });
        const run = await sClient(server, { sessIn: offered });
        const what = ticket ? 'empty ticket field' : 'no ticket field';
        assert.equal(run.blocks[0]!.reused, true, `${what}: ${run.result.stdout.toString('latin1')}`);
        assert.equal(run.server[0]!.resumedBy, 'session-id', what);
        assert.equal(run.server[0]!.ticketIssued, true, what);
        assert.equal(run.blocks[0]!.lifetimeHint, 900, what);
        // s_client writes -sess_out only for new sessions, so the fresh ticket comes from its dump.
        const fresh = run.blocks[0]!.ticket;
        assert.ok(fresh && fresh.length > 0, `${what}: a ticket was issued`);
        // And that ticket resumes.
        const again = await sClient(server, { sessIn: editSession(made.sessionPem, { ticket: fresh }) });
        assert.equal(again.server[0]!.resumedBy, 'ticket', what);
      }
    });

    it('a tampered ticket is not rescued by a valid session ID: the ID is not looked up when the ticket fails', async () => {
      const server = await serve({});
      const made = await sClient(server);
      const cachedId = made.server[0]!.sessionId;
      const genuine = ticketOfSession(made.sessionPem)!;
      const offered = editSession(made.sessionPem, { ticket: flip(genuine, -2), sessionId: cachedId });
      const run = await sClient(server, { sessIn: offered });
      assert.equal(run.blocks[0]!.reused, false);
      assert.equal(run.server[0]!.resumed, false);
      // The same session ID with no ticket does resume: the miss above was the ticket rule.
      const control = await sClient(server, { sessIn: editSession(made.sessionPem, { ticket: undefined, sessionId: cachedId }) });
      assert.equal(control.server[0]!.resumedBy, 'session-id');
    });
  });

  describe('tickets and the session-ID cache, together or apart (s_client -reconnect)', () => {
    const cases = [
      { tickets: true, cache: true, plain: 'ticket', noTicket: 'session-id' },
      { tickets: true, cache: false, plain: 'ticket', noTicket: undefined },
      { tickets: false, cache: true, plain: 'session-id', noTicket: 'session-id' },
      { tickets: false, cache: false, plain: undefined, noTicket: undefined },
    ] as const;
    for (const c of cases) {
      it(`tickets ${c.tickets ? 'on' : 'off'}, cache ${c.cache ? 'on' : 'off'}: resumes by ${c.plain ?? 'nothing'} (by ${c.noTicket ?? 'nothing'} with -no_ticket)`, async () => {
        const server = await serve({ ...(c.tickets ? {} : { tickets: false }), ...(c.cache ? {} : { sessionCache: false }) });
        const runs: Array<[string[], 'ticket' | 'session-id' | undefined]> = [
          [['-reconnect'], c.plain],
          [['-reconnect', '-no_ticket'], c.noTicket],
        ];
        for (const [args, expected] of runs) {
          const run = await sClient(server, { args });
          assert.equal(run.blocks.length, 6);
          assert.deepEqual(
            run.server.map((h) => h.resumedBy),
            [undefined, ...Array<typeof expected>(5).fill(expected)],
            args.join(' '),
          );
          assert.deepEqual(
            run.blocks.map((b) => b.reused),
            [false, ...Array<boolean>(5).fill(expected !== undefined)],
          );
          const ticketExpected = c.tickets && !args.includes('-no_ticket');
          // A full handshake issues the ticket; a resumption by that ticket keeps it (its key is current).
          assert.deepEqual(
            run.server.map((h) => h.ticketIssued),
            [ticketExpected, ...Array<boolean>(5).fill(ticketExpected && expected !== 'ticket')],
          );
          assert.ok(run.blocks.every((b) => (b.lifetimeHint !== undefined) === ticketExpected));
          if (!ticketExpected) {
            // With no ticket, s_client shows the server's own session ID: 32 bytes with the cache, none without.
            assert.equal(run.blocks[0]!.sessionId, c.cache ? hexUpper(run.server[0]!.sessionId) : '');
            assert.equal(run.server[0]!.sessionId.length, c.cache ? 32 : 0);
          }
        }
      });
    }
  });
});
