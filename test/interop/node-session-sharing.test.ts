/**
 * A node:tls server and a puretls server sharing sessions through node:tls's external cache
 * events (`newSession` / `resumeSession`), with a Map as the store (docs/SPEC-sid-ctx.md,
 * "Export and import", "External caches").
 *
 * Both servers have session tickets off (node:tls: SSL_OP_NO_TICKET; puretls: tickets: false)
 * so the client resumes by session ID and every resumption goes through the shared store.
 *
 * The client connects to 127.0.0.1 WITHOUT SNI: an OpenSSL (node:tls) server session carries
 * no host name (OpenSSL 3 does not store the SNI in a TLS 1.2 server session; the test
 * "node:tls server sessions carry no host name" below checks it), and puretls's rule 7
 * compares the SNI of the ClientHello with the session's. With SNI, sessions made by node:tls
 * could never resume on puretls, by design.
 */
import assert from 'node:assert/strict';
import { createHash, constants as cryptoConstants } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { afterEach, describe, it } from 'mocha';
import { explicit, octetString, sequence, uint } from '../../src/codec/der.js';
import { nodeDefaultSessionIdContext, type ServerOptions } from '../../src/node/options.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { Session } from '../../src/session/session.js';
import { listenOnLoopback, startServer, testCertificate, type RunningServer } from '../helpers/fixtures.js';

type Store = Map<string, Buffer>;

/** Both servers speak this suite (node:tls would otherwise prefer one puretls does not have). */
const SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';
const HELLO = 'hello';

interface AnyServer {
  name: string;
  port: number;
  /** isSessionReused() of each server-side socket, in order. */
  serverReused: boolean[];
  /** The data of each newSession event, in order. */
  newSessions: Buffer[];
  close(): Promise<void>;
}

interface PuretlsServer extends AnyServer {
  running: RunningServer;
}

const cleanups: Array<() => Promise<void>> = [];
/** Hooks a server's newSession/resumeSession events to the store, as node:tls documents. */
function shareThrough(server: tls.Server | RunningServer['server'], store: Store, newSessions: Buffer[]): void {
  server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
    newSessions.push(data);
    store.set(id.toString('hex'), data);
    done();
  });
  server.on('resumeSession', (id: Buffer, done: (err: Error | null, data?: Buffer | null) => void) => {
    done(null, store.get(id.toString('hex')) ?? null);
  });
}

async function nodeServer(store: Store, sessionIdContext?: string): Promise<AnyServer> {
  const cert = testCertificate();
  const server = tls.createServer({
    key: cert.keyPem,
    cert: cert.certPem,
    secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
    maxVersion: 'TLSv1.2',
    ciphers: SUITE,
    ...(sessionIdContext !== undefined ? { sessionIdContext } : {}),
  });
  const serverReused: boolean[] = [];
  const newSessions: Buffer[] = [];
  shareThrough(server, store, newSessions);
  server.on('secureConnection', (s: tls.TLSSocket) => {
    serverReused.push(s.isSessionReused());
    s.on('error', () => undefined);
    s.write(HELLO); // tells the client the server finished its side of the handshake
  });
  server.on('tlsClientError', () => undefined);
  const { port, close } = await listenOnLoopback(server);
  const result: AnyServer = { name: 'node:tls', port, serverReused, newSessions, close };
  cleanups.push(() => result.close());
  return result;
}

async function puretlsServer(store: Store | undefined, options: ServerOptions = {}): Promise<PuretlsServer> {
  const serverReused: boolean[] = [];
  const newSessions: Buffer[] = [];
  const running = await startServer({ tickets: false, ...options }, (s: TlsSocket) => {
    serverReused.push(s.isSessionReused());
    s.write(HELLO);
  });
  if (store) shareThrough(running.server, store, newSessions);
  const result: PuretlsServer = { name: 'puretls', port: running.port, serverReused, newSessions, running, close: () => running.close() };
  cleanups.push(() => result.close());
  return result;
}

interface ClientResult {
  reused: boolean;
  session: Buffer | undefined;
}

/** One node:tls client connection to 127.0.0.1 without SNI; resolves after the handshake. */
async function connect(port: number, session?: Buffer): Promise<ClientResult> {
  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    rejectUnauthorized: false,
    maxVersion: 'TLSv1.2',
    ...(session ? { session } : {}),
  });
  try {
    // The server writes once it has seen our Finished: after that, closing cannot cut its handshake short.
    const greeting = once(socket, 'data');
    await once(socket, 'secureConnect');
    assert.equal(socket.getProtocol(), 'TLSv1.2');
    const result = { reused: socket.isSessionReused(), session: socket.getSession() };
    assert.equal(String((await greeting)[0]), HELLO);
    return result;
  } finally {
    const closed = once(socket, 'close');
    socket.destroy();
    await closed;
  }
}

/** Waits until the server has seen `n` secure connections (its listener may run after the client's). */
async function serverSaw(server: AnyServer, n: number): Promise<void> {
  for (let i = 0; i < 1000 && server.serverReused.length < n; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(server.serverReused.length, n, `${server.name} saw ${server.serverReused.length} secure connections, expected ${n}`);
}

describe('node:tls and puretls sharing sessions through newSession/resumeSession', function () {
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  this.timeout(30_000);

  it('node:tls server sessions carry no host name (why the clients here send no SNI)', async () => {
    const store: Store = new Map();
    const node = await nodeServer(store, 'shared-ctx');
    const socket = tls.connect({ host: '127.0.0.1', port: node.port, servername: 'localhost', rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
    await once(socket, 'secureConnect');
    socket.destroy();
    await once(socket, 'close');
    assert.equal(node.newSessions.length, 1);
    assert.equal(Session.fromDER(node.newSessions[0]!).serverName, undefined);
  });

  for (const direction of ['node:tls -> puretls', 'puretls -> node:tls'] as const) {
    describe(direction, () => {
      async function servers(sidCtxNode: string | undefined, sidCtxPuretls: string | undefined) {
        const store: Store = new Map();
        const node = await nodeServer(store, sidCtxNode);
        const pure = await puretlsServer(store, sidCtxPuretls !== undefined ? { sessionIdContext: sidCtxPuretls } : {});
        return direction === 'node:tls -> puretls' ? { first: node, second: pure, pure, store } : { first: pure, second: node, pure, store };
      }

      it('with the same sessionIdContext, a client resumes across the two (isSessionReused on both sides)', async () => {
        const { first, second, pure, store } = await servers('fleet-1', 'fleet-1');
        const full = await connect(first.port);
        assert.equal(full.reused, false);
        assert.ok(full.session, 'the client has a session');
        await serverSaw(first, 1);
        assert.equal(store.size, 1, `${first.name} put its session in the store`);
        assert.deepEqual(Session.fromDER([...store.values()][0]!).sidCtx, new TextEncoder().encode('fleet-1'));

        const resumed = await connect(second.port, full.session);
        await serverSaw(second, 1);
        assert.equal(resumed.reused, true, 'the client resumed');
        assert.deepEqual(second.serverReused, [true], `${second.name} resumed`);
        if (second === pure) assert.equal(pure.running.server.context.stats.hits, 1);
        assert.equal(store.size, 1, 'no new session was made');
      });

      it('with different sessionIdContexts, it does not resume (and puretls counts the mismatch)', async () => {
        const { first, second, pure, store } = await servers('node-ctx', 'puretls-ctx');
        const full = await connect(first.port);
        await serverSaw(first, 1);
        assert.equal(store.size, 1);
        const again = await connect(second.port, full.session);
        await serverSaw(second, 1);
        assert.equal(again.reused, false, 'a full handshake');
        assert.deepEqual(second.serverReused, [false]);
        assert.equal(store.size, 2, `${second.name} made a new session`);
        if (second === pure) {
          assert.equal(pure.running.server.context.stats.contextMismatches, 1);
          assert.equal(pure.running.server.context.stats.hits, 0);
        }
        // The session still resumes where it was made.
        const back = await connect(first.port, full.session);
        assert.equal(back.reused, true);
      });
    });
  }

  it("node:tls's default sessionIdContext (SHA-1 of argv, 32 hex digits) is puretls's createServer default: two default servers share sessions", async () => {
    const expected = createHash('sha1').update(process.argv.join(' ')).digest('hex').slice(0, 32);
    assert.equal(nodeDefaultSessionIdContext(), expected);
    const store: Store = new Map();
    const node = await nodeServer(store);
    const pure = await puretlsServer(store);
    assert.deepEqual(pure.running.server.context.sessionIdContext, new TextEncoder().encode(expected));

    const fromNode = await connect(node.port);
    assert.equal(node.newSessions.length, 1);
    assert.deepEqual(Session.fromDER(node.newSessions[0]!).sidCtx, new TextEncoder().encode(expected), "node:tls's session carries its default sid_ctx");
    const onPure = await connect(pure.port, fromNode.session);
    assert.equal(onPure.reused, true, 'node:tls -> puretls');

    const fromPure = await connect(pure.port);
    assert.equal(pure.newSessions.length, 1);
    assert.deepEqual(Session.fromDER(pure.newSessions[0]!).sidCtx, new TextEncoder().encode(expected));
    const onNode = await connect(node.port, fromPure.session);
    assert.equal(onNode.reused, true, 'puretls -> node:tls');
    await serverSaw(pure, 2);
    await serverSaw(node, 2);
    assert.deepEqual(pure.serverReused, [true, false]);
    assert.deepEqual(node.serverReused, [false, true]);
  });

  it('puretls socket.getSession() is the same session its newSession event stored', async () => {
    const store: Store = new Map();
    let exported: Buffer | undefined;
    const pure = await puretlsServer(store, { sessionIdContext: 'export' });
    pure.running.server.on('secureConnection', (s: TlsSocket) => {
      exported = s.getSession();
    });
    await connect(pure.port);
    await serverSaw(pure, 1);
    assert.ok(exported);
    assert.deepEqual(exported, pure.newSessions[0]);
  });

  describe('a bad entry from a resumeSession listener is a miss: a full handshake, never a crash', () => {
    const good = (): Session =>
      new Session({
        version: 0x0303,
        cipherSuite: 0xc02b,
        sessionId: new Uint8Array(32).fill(9),
        masterSecret: new Uint8Array(48).fill(1),
        sidCtx: new TextEncoder().encode('bad-entries'),
        createdAt: Math.floor(Date.now() / 1000),
        timeout: 300,
        extendedMasterSecret: true,
      });
    /** An SSL_SESSION as OpenSSL's i2d writes it, with a chosen ASN.1 version and sid_ctx. */
    const raw = (asn1Version: number, sidCtx: Uint8Array): Buffer =>
      Buffer.from(
        sequence(
          uint(asn1Version),
          uint(0x0303),
          octetString(Uint8Array.of(0xc0, 0x2b)),
          octetString(new Uint8Array(32).fill(9)),
          octetString(new Uint8Array(48).fill(1)),
          explicit(1, uint(Math.floor(Date.now() / 1000))),
          explicit(2, uint(300)),
          explicit(4, octetString(sidCtx)),
        ),
      );
    const sid = new TextEncoder().encode('bad-entries');
    const entries: Array<{ name: string; answer: (done: (err: Error | null, data?: Buffer | null) => void) => void }> = [
      { name: 'truncated bytes', answer: (done) => done(null, Buffer.from(good().toDER()).subarray(0, 40)) },
      { name: 'a wrong ASN.1 version', answer: (done) => done(null, raw(2, sid)) },
      { name: 'a sid_ctx over 32 bytes', answer: (done) => done(null, raw(1, new Uint8Array(33).fill(0x41))) },
      { name: 'random bytes', answer: (done) => done(null, Buffer.from(Array.from({ length: 90 }, (_, i) => (i * 151 + 7) & 0xff))) },
      { name: 'an error', answer: (done) => done(new Error('store down')) },
      { name: 'a listener that throws', answer: () => { throw new Error('listener bug'); } },
      { name: 'an answer given twice (second one ignored)', answer: (done) => { done(null, null); done(null, Buffer.from(good().toDER())); } },
    ];

    it('(control: the same hand-built entry with version 1 and a 32-byte sid_ctx decodes)', () => {
      assert.equal(Session.fromDER(raw(1, new Uint8Array(32))).sidCtx.length, 32);
      assert.deepEqual(Session.fromDER(raw(1, sid)).sidCtx, sid);
    });

    for (const entry of entries) {
      it(entry.name, async () => {
        const pure = await puretlsServer(undefined, { sessionIdContext: 'bad-entries' });
        const errors: Error[] = [];
        pure.running.server.on('tlsClientError', (e: Error) => errors.push(e));
        let asked = 0;
        pure.running.server.on('resumeSession', (_id: Buffer, done: (err: Error | null, data?: Buffer | null) => void) => {
          asked++;
          entry.answer(done);
        });
        pure.running.server.on('newSession', (_id: Buffer, _data: Buffer, done: () => void) => done());
        // A session to offer: any TLS 1.2 session the client holds will do.
        const first = await connect(pure.port);
        const offered = await connect(pure.port, first.session);
        await serverSaw(pure, 2);
        assert.equal(asked, 1, 'the listener was asked once');
        assert.equal(offered.reused, false);
        assert.deepEqual(pure.serverReused, [false, false], 'both were full handshakes that completed');
        assert.deepEqual(errors, []);
        assert.equal(pure.running.server.context.stats.misses, 1);
        assert.equal(pure.running.server.context.stats.acceptGood, 2);
      });
    }
  });
});
