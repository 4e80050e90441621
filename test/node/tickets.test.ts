import assert from 'node:assert/strict';
import { once } from 'node:events';
import tls from 'node:tls';
import { afterEach, describe, it } from 'mocha';
import { TlsContext } from '../../src/context.js';
import { SSL_OP_NO_TICKET, type ServerOptions } from '../../src/node/options.js';
import { testCertificate } from '../helpers/fixtures.js';
import { Ext, TcpTlsClient, type ClientOptions, type SavedSession } from '../helpers/tls-client.js';
import { TAMPERED_TICKETS } from '../helpers/ticket-variants.js';
import { closeAllTicketServers, startTicketServer, type HandshakeRecord, type TicketServer } from '../helpers/ticket-server.js';

const openClients = new Set<tls.TLSSocket | TcpTlsClient>();

interface NodeRun {
  reused: boolean;
  session: Buffer;
  ticket: Buffer | undefined;
  server: HandshakeRecord;
  echoed: string;
}

/**
 * A node:tls client (OpenSSL underneath, offering tickets by default) that connects, sends
 * a line, reads the echo, and closes; returns what both sides saw.
 */
async function nodeClient(server: TicketServer, options: tls.ConnectionOptions = {}): Promise<NodeRun> {
  const before = server.handshakes.length;
  const socket = tls.connect({
    host: '127.0.0.1',
    port: server.port,
    ca: testCertificate().certPem,
    maxVersion: 'TLSv1.2',
    ...options,
  });
  openClients.add(socket);
  try {
    await once(socket, 'secureConnect');
    socket.write('ping\n');
    const [data] = (await once(socket, 'data')) as [Buffer];
    const session = socket.getSession();
    assert.ok(session, 'the client has a session');
    const run = {
      reused: socket.isSessionReused(),
      session,
      ticket: socket.getTLSTicket(),
      echoed: data.toString(),
    };
    socket.end();
    await once(socket, 'close');
    const [record] = (await server.waitForHandshakes(before + 1)).slice(before);
    return { ...run, server: record! };
  } finally {
    socket.destroy();
    openClients.delete(socket);
  }
}

/** The scriptable test client over TCP: a handshake, an echo round trip, then close. */
async function testClient(server: TicketServer, options: ClientOptions = {}): Promise<{ client: TcpTlsClient; server: HandshakeRecord }> {
  const before = server.handshakes.length;
  const client = await TcpTlsClient.connect(server.port, { sessionTicket: new Uint8Array(0), ...options });
  openClients.add(client);
  try {
    await client.handshake();
    const echo = await client.roundTrip(new TextEncoder().encode('hello'));
    assert.equal(Buffer.from(echo).toString(), 'hello');
    assert.deepEqual(client.tls.alerts, [], 'no alert from the server');
    const [record] = (await server.waitForHandshakes(before + 1)).slice(before);
    return { client, server: record! };
  } finally {
    client.destroy();
    openClients.delete(client);
  }
}

const serve = (options: ServerOptions = {}): Promise<TicketServer> => startTicketServer(options);
const keyName = (b: Uint8Array): string => Buffer.from(b.subarray(0, 16)).toString('hex');
function fixedKeys(seed: number): Buffer {
  return Buffer.from(Array.from({ length: 48 }, (_, i) => (seed * 41 + i * 7 + 3) & 0xff));
}

describe('session tickets: node embedding', function () {
  this.timeout(30_000);

  afterEach(async () => {
    for (const c of openClients) c.destroy();
    openClients.clear();
    await closeAllTicketServers();
  });

  describe('a node:tls client', () => {
    it('resumes with `session` from its previous connection, by ticket (isSessionReused on both sides)', async () => {
      const server = await serve();
      const first = await nodeClient(server);
      assert.equal(first.reused, false);
      assert.equal(first.server.resumed, false);
      assert.equal(first.server.ticketIssued, true);
      assert.ok(first.ticket && first.ticket.length > 0, 'the client got a ticket');
      assert.equal(keyName(first.ticket), keyName(server.running.server.getTicketKeys()));

      const second = await nodeClient(server, { session: first.session });
      assert.equal(second.reused, true, 'client: isSessionReused()');
      assert.equal(second.server.socketReused, true, 'server: isSessionReused()');
      assert.equal(second.server.resumedBy, 'ticket');
      assert.equal(second.echoed, 'ping\n');
    });

    it('against secureOptions: SSL_OP_NO_TICKET resumes by session ID, and gets no ticket', async () => {
      const server = await serve({ secureOptions: SSL_OP_NO_TICKET });
      const first = await nodeClient(server);
      assert.equal(first.ticket, undefined);
      assert.equal(first.server.ticketIssued, false);
      const second = await nodeClient(server, { session: first.session });
      assert.equal(second.reused, true);
      assert.equal(second.server.socketReused, true);
      assert.equal(second.server.resumedBy, 'session-id');
      assert.equal(second.ticket, undefined);
    });

    it('against tickets: false, sessionCache: false never resumes', async () => {
      const server = await serve({ tickets: false, sessionCache: false });
      let session: Buffer | undefined;
      for (let i = 0; i < 3; i++) {
        const run = await nodeClient(server, session ? { session } : {});
        assert.equal(run.reused, false, `connection ${i}`);
        assert.equal(run.server.resumed, false);
        assert.equal(run.ticket, undefined);
        assert.equal(run.server.sessionId.length, 0, 'no session ID without a cache');
        session = run.session;
      }
      assert.equal(server.running.server.context.stats.hits, 0);
    });

    it('resumes on a restarted server given the first one\'s getTicketKeys(), and not on one with fresh keys', async () => {
      const first = await serve();
      const keys = first.running.server.getTicketKeys();
      assert.equal(keys.length, 48);
      const made = await nodeClient(first);
      await first.close();

      const same = await serve({ ticketKeys: keys });
      const resumed = await nodeClient(same, { session: made.session });
      assert.equal(resumed.reused, true);
      assert.equal(resumed.server.resumedBy, 'ticket');
      await same.close();

      const fresh = await serve();
      const full = await nodeClient(fresh, { session: made.session });
      assert.equal(full.reused, false);
      assert.equal(full.server.resumed, false);
      assert.equal(keyName(full.ticket!), keyName(fresh.running.server.getTicketKeys()));
    });
  });

  describe('server.setTicketKeys on an injected clock', () => {
    it('tickets under the former keys resume (and are renewed under the new ones) until a session lifetime has passed', async () => {
      const T0 = 1_700_000_000_000;
      const clock = { t: T0 };
      const cert = testCertificate();
      const context = new TlsContext({
        key: cert.keyPem,
        cert: cert.certPem,
        sessionTimeout: 600,
        ticketKeys: fixedKeys(1),
        now: () => clock.t,
      });
      const server = await serve({ context });
      const first = await testClient(server);
      const old = first.client.tls.session!;
      assert.equal(keyName(old.ticket!), keyName(fixedKeys(1)));

      clock.t = T0 + 100_000;
      server.running.server.setTicketKeys(fixedKeys(2));
      assert.deepEqual(server.running.server.getTicketKeys(), fixedKeys(2));

      clock.t = T0 + 300_000;
      const again = await testClient(server, { resume: old });
      assert.equal(again.server.resumedBy, 'ticket');
      const renewed = again.client.tls.newSessionTicket!.ticket;
      assert.equal(keyName(renewed), keyName(fixedKeys(2)), 'renewed under the current key');

      clock.t = T0 + 600_999;
      assert.equal((await testClient(server, { resume: old })).server.resumedBy, 'ticket', 'still within the lifetime');

      clock.t = T0 + 601_000;
      const late = await testClient(server, { resume: old });
      assert.equal(late.server.resumed, false, 'a lifetime later the old ticket no longer resumes');
      assert.equal(late.client.tls.resumed, false);
      assert.equal(keyName(late.client.tls.newSessionTicket!.ticket), keyName(fixedKeys(2)));
      assert.equal(context.stats.timeouts, 1);
    });

    it('rejects keys of the wrong length and keeps the old ones', async () => {
      const server = await serve({ ticketKeys: fixedKeys(5) });
      assert.throws(() => server.running.server.setTicketKeys(Buffer.alloc(32)), { reason: 'ERR_INVALID_TICKET_KEYS' });
      assert.deepEqual(server.running.server.getTicketKeys(), fixedKeys(5));
      const run = await testClient(server);
      assert.equal(keyName(run.client.tls.newSessionTicket!.ticket), keyName(fixedKeys(5)));
    });
  });

  describe('tickets and the session-ID cache, together or apart', () => {
    const cases: ReadonlyArray<{ name: string; options: ServerOptions; idLength: number; ticket: boolean; resumedBy: 'ticket' | 'session-id' | undefined }> = [
      { name: 'tickets on, cache on', options: {}, idLength: 32, ticket: true, resumedBy: 'ticket' },
      { name: 'tickets on, sessionCache: false', options: { sessionCache: false }, idLength: 0, ticket: true, resumedBy: 'ticket' },
      { name: 'tickets: false, cache on', options: { tickets: false }, idLength: 32, ticket: false, resumedBy: 'session-id' },
      { name: 'SSL_OP_NO_TICKET, cache on', options: { secureOptions: SSL_OP_NO_TICKET }, idLength: 32, ticket: false, resumedBy: 'session-id' },
      { name: 'both off', options: { tickets: false, sessionCache: false }, idLength: 0, ticket: false, resumedBy: undefined },
    ];
    for (const c of cases) {
      it(`${c.name}: ServerHello session ID of ${c.idLength} bytes, ${c.ticket ? 'a' : 'no'} ticket, resumes by ${c.resumedBy ?? 'nothing'}`, async () => {
        const server = await serve(c.options);
        const first = await testClient(server);
        const hello = first.client.tls.serverHello!;
        assert.equal(hello.sessionId.length, c.idLength);
        assert.equal((hello.extensionList ?? []).some((e) => e.type === Ext.session_ticket), c.ticket, 'session_ticket in ServerHello');
        assert.equal(first.client.tls.newSessionTicket !== undefined, c.ticket, 'NewSessionTicket');
        assert.equal(first.server.ticketIssued, c.ticket);

        const saved: SavedSession = first.client.tls.session!;
        // With nothing to resume by, offer a made-up session ID: still nothing resumes.
        const resume = c.resumedBy === undefined ? { ...saved, sessionId: new Uint8Array(32).fill(7) } : saved;
        const second = await testClient(server, { resume });
        assert.equal(second.server.resumedBy, c.resumedBy);
        assert.equal(second.client.tls.resumed, c.resumedBy !== undefined);
      });
    }
  });

  describe('tampered tickets over TCP', () => {
    it('each gives a full handshake that carries data, never a tlsClientError; a normal client is served after each', async () => {
      const server = await serve();
      const genuine = (await testClient(server)).client.tls.session!;
      assert.equal(genuine.sessionId.length, 32);
      for (const v of TAMPERED_TICKETS) {
        const run = await testClient(server, { resume: { ...genuine, ticket: v.make(genuine.ticket!) } });
        assert.equal(run.server.resumed, false, v.name);
        assert.equal(run.client.tls.resumed, false, v.name);
        assert.equal(run.server.ticketIssued, true, v.name);
        assert.ok(run.client.tls.newSessionTicket!.ticket.length > 0, v.name);

        const normal = await testClient(server);
        assert.equal(normal.server.resumed, false);
        const resumed = await testClient(server, { resume: genuine });
        assert.equal(resumed.server.resumedBy, 'ticket', `genuine ticket after: ${v.name}`);
      }
      assert.deepEqual(server.clientErrors, []);
      // And node:tls's own client is still served.
      assert.equal((await nodeClient(server)).echoed, 'ping\n');
    });

    it('an empty ticket with the cached session ID resumes by session ID and is given a ticket', async () => {
      const server = await serve();
      const genuine = (await testClient(server)).client.tls.session!;
      const run = await testClient(server, { resume: { ...genuine, ticket: new Uint8Array(0) } });
      assert.equal(run.server.resumedBy, 'session-id');
      assert.ok(run.client.tls.newSessionTicket!.ticket.length > 0);
    });
  });
});
