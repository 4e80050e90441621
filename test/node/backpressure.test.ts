import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { afterEach, describe, it } from 'mocha';
import type { TlsSocket } from '../../src/node/socket.js';
import { startServer, testCertificate, type RunningServer } from '../helpers/fixtures.js';
import { seededRandom } from '../helpers/openssl.js';
import { tcpQueued, tcpReading } from '../helpers/tcp-handle.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Far more than what any buffering on the way (ours, Node's, the kernel's) could hold. */
const BOUND = 1 * MiB;

const servers: RunningServer[] = [];
const clients: tls.TLSSocket[] = [];


function pattern(length: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += 4) out.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
  return out;
}

/** Polls (every few ms) until `condition` holds; the wait is for a state, never an assertion about time. */
async function until(condition: () => boolean, what: string, giveUp: () => string | undefined = () => undefined): Promise<void> {
  while (!condition()) {
    const failure = giveUp();
    if (failure) throw new Error(`${failure} before ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function connect(port: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, ca: testCertificate().certPem, servername: 'localhost', maxVersion: 'TLSv1.2' },
      () => resolve(socket),
    );
    clients.push(socket);
    socket.once('error', reject);
  });
}

/** Our socket's own drain; also stops waiting if the socket dies, so a test fails loudly. */
function drainOrClose(socket: TlsSocket): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

describe('node: backpressure through TlsSocket', function () {
  this.timeout(60_000);

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('64 MiB to a client that pauses: write() returns false, drain comes, buffers stay bounded', async () => {
    const TOTAL = 64 * MiB;
    const CHUNK = 64 * KiB;
    const block = pattern(MiB, 11);
    const expected = createHash('sha256');
    for (let i = 0; i < TOTAL / MiB; i++) expected.update(block);

    const stats = {
      written: 0,
      falseReturns: 0,
      drains: 0,
      maxTlsBuffered: 0,
      maxTcpBuffered: 0,
      waitingForDrain: false,
      writtenWhenBlocked: -1,
      done: false,
    };
    let serverSocket: TlsSocket | undefined;
    const h = await startServer({}, (socket) => {
      serverSocket = socket;
      socket.resume();
      socket.on('drain', () => stats.drains++);
      void (async () => {
        while (stats.written < TOTAL) {
          const offset = stats.written % MiB;
          const ok = socket.write(block.subarray(offset, offset + CHUNK));
          stats.written += CHUNK;
          stats.maxTlsBuffered = Math.max(stats.maxTlsBuffered, socket.writableLength);
          stats.maxTcpBuffered = Math.max(stats.maxTcpBuffered, tcpQueued(socket));
          if (!ok) {
            stats.falseReturns++;
            stats.waitingForDrain = true;
            await drainOrClose(socket);
            stats.waitingForDrain = false;
            if (socket.destroyed) return;
          }
        }
        socket.end();
        stats.done = true;
      })();
    });
    servers.push(h);

    const client = await connect(h.port);
    client.pause();
    const received = createHash('sha256');
    let receivedBytes = 0;
    client.on('data', (d: Buffer) => {
      received.update(d);
      receivedBytes += d.length;
    });

    // The client reads nothing: the server must come to a stop, blocked on the TCP socket.
    await until(
      () => stats.waitingForDrain && serverSocket !== undefined && tcpQueued(serverSocket) > 0,
      'the server blocked',
      () => (stats.done ? 'the server wrote all 64 MiB to a client that reads nothing' : undefined),
    );
    stats.writtenWhenBlocked = stats.written;
    assert.ok(stats.writtenWhenBlocked < TOTAL / 2, `the server got ${stats.writtenWhenBlocked} bytes out to a paused client`);

    const ended = once(client, 'end');
    client.resume();
    await ended;

    assert.equal(receivedBytes, TOTAL);
    assert.equal(received.digest('hex'), expected.digest('hex'));
    assert.ok(stats.falseReturns > 0, 'write() returned false');
    assert.ok(stats.drains > 0, 'drain came');
    // One chunk over the high-water mark at most; a socket that buffered instead of pushing back would hold megabytes.
    assert.ok(stats.maxTlsBuffered <= BOUND, `TlsSocket.writableLength reached ${stats.maxTlsBuffered}`);
    assert.ok(stats.maxTcpBuffered <= BOUND, `libuv's write queue reached ${stats.maxTcpBuffered} bytes`);
  });

  it("'drain' follows a write() that returned false, once our own buffer is empty and the handle has taken the records", async () => {
    const CHUNK = 64 * KiB;
    const block = Buffer.alloc(CHUNK, 0x5a);
    const LIMIT = 64 * MiB;
    const stats = { written: 0, falseReturns: 0, drains: 0, drainsWithPendingWrites: 0, waitingForDrain: false, blocked: false, after: 0, done: false };
    let serverSocket: TlsSocket | undefined;
    const h = await startServer({}, (socket) => {
      serverSocket = socket;
      socket.resume();
      socket.on('drain', () => {
        stats.drains++;
        // A Writable emits 'drain' when its buffer has emptied: never with writes pending.
        if (socket.writableLength > 0) stats.drainsWithPendingWrites++;
      });
      void (async () => {
        // Until the client (paused) has made us block on TCP, then 1 MiB more.
        while ((!stats.blocked || stats.after < MiB) && stats.written < LIMIT) {
          const ok = socket.write(block);
          stats.written += CHUNK;
          if (stats.blocked) stats.after += CHUNK;
          if (!ok) {
            stats.falseReturns++;
            stats.waitingForDrain = true;
            await drainOrClose(socket);
            stats.waitingForDrain = false;
            if (socket.destroyed) return;
          }
        }
        socket.end();
        stats.done = true;
      })();
    });
    servers.push(h);
    const client = await connect(h.port);
    client.pause();
    let receivedBytes = 0;
    client.on('data', (d: Buffer) => (receivedBytes += d.length));
    await until(
      () => stats.waitingForDrain && serverSocket !== undefined && tcpQueued(serverSocket) > 0,
      'the server blocked',
      () => (stats.done ? 'the server wrote 64 MiB to a client that reads nothing' : undefined),
    );
    stats.blocked = true;
    const ended = once(client, 'end');
    client.resume();
    await ended;
    assert.equal(receivedBytes, stats.written);
    assert.ok(stats.falseReturns > 0);
    assert.equal(stats.drainsWithPendingWrites, 0, `${stats.drainsWithPendingWrites} of ${stats.drains} 'drain' events came with writes still pending`);
    assert.equal(stats.drains, stats.falseReturns, 'one drain per write() that returned false');
  });

  it("a lot to a paused TlsSocket: pause() stops reading the TCP socket; nothing is lost", async () => {
    const TOTAL = 32 * MiB;
    const CHUNK = 64 * KiB;
    const block = pattern(MiB, 12);
    const expected = createHash('sha256');
    for (let i = 0; i < TOTAL / MiB; i++) expected.update(block);

    let serverSocket: TlsSocket | undefined;
    const h = await startServer({}, (socket) => {
      serverSocket = socket;
      socket.pause();
    });
    servers.push(h);
    const client = await connect(h.port);
    const clientStats = { written: 0, acknowledged: 0, waiting: false, finished: false };
    void (async () => {
      while (clientStats.written < TOTAL) {
        const offset = clientStats.written % MiB;
        const ok = client.write(block.subarray(offset, offset + CHUNK), () => {
          clientStats.acknowledged += CHUNK;
        });
        clientStats.written += CHUNK;
        if (!ok) {
          clientStats.waiting = true;
          await once(client, 'drain');
          clientStats.waiting = false;
        }
      }
      client.end(() => {
        clientStats.finished = true;
      });
    })();

    await until(() => serverSocket !== undefined, 'the handshake');
    const server = serverSocket!;
    // Paused and not consumed: libuv must stop reading from the kernel.
    await until(
      () => server.isPaused() && !tcpReading(server) && clientStats.waiting,
      'the server stopped reading TCP',
      () => (clientStats.finished ? 'the client got all of its data out to a paused server' : undefined),
    );
    const bufferedPlaintext = server.readableLength;
    const bytesReadWhenStopped = server.bytesRead;
    assert.ok(bufferedPlaintext <= BOUND, `the paused TlsSocket buffered ${bufferedPlaintext} bytes`);
    assert.ok(bytesReadWhenStopped < TOTAL / 2, `the server read ${bytesReadWhenStopped} bytes of TCP while paused`);
    assert.ok(clientStats.acknowledged < TOTAL);

    const hash = createHash('sha256');
    let length = 0;
    server.on('data', (d: Buffer) => {
      hash.update(d);
      length += d.length;
    });
    const ended = once(server, 'end');
    server.resume();
    await ended;
    assert.equal(length, TOTAL);
    assert.equal(hash.digest('hex'), expected.digest('hex'));
  });
});
