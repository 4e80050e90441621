import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'mocha';
import { TlsError } from '../../src/errors.js';
import type { ServerOptions } from '../../src/node/options.js';
import { TlsSocket } from '../../src/node/socket.js';
import { startServer, testCertificate, type RunningServer } from '../helpers/fixtures.js';
import { tcpReading } from '../helpers/tcp-handle.js';

const servers: RunningServer[] = [];
const sockets: net.Socket[] = [];


interface Harness {
  port: number;
  server: RunningServer['server'];
  secure: TlsSocket[];
  clientErrors: Array<{ error: Error; socket: unknown }>;
  socket(n: number): Promise<TlsSocket>;
  clientError(n: number): Promise<{ error: Error; socket: unknown }>;
}

async function serve(options: ServerOptions = {}, onSecure: (s: TlsSocket) => void = () => undefined): Promise<Harness> {
  const secure: TlsSocket[] = [];
  const clientErrors: Array<{ error: Error; socket: unknown }> = [];
  let waiters: Array<() => void> = [];
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const running = await startServer(options, (socket) => {
    secure.push(socket);
    onSecure(socket);
    wake();
  });
  servers.push(running);
  running.server.on('tlsClientError', (error: Error, socket: unknown) => {
    clientErrors.push({ error, socket });
    wake();
  });
  const wait = async <T>(list: T[], n: number): Promise<T> => {
    while (list.length <= n) await new Promise<void>((resolve) => waiters.push(resolve));
    return list[n]!;
  };
  return {
    port: running.port,
    server: running.server,
    secure,
    clientErrors,
    socket: (n) => wait(secure, n),
    clientError: (n) => wait(clientErrors, n),
  };
}

function connect(port: number, options: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, ca: testCertificate().certPem, servername: 'localhost', maxVersion: 'TLSv1.2', ...options },
      () => {
        socket.off('error', reject);
        resolve(socket);
      },
    );
    sockets.push(socket);
    socket.once('error', reject);
  });
}

function rawConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    sockets.push(socket);
    socket.once('error', reject);
  });
}

/** Everything a raw TCP client receives until the server closes the connection. */
function collectUntilClose(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks))));
}

const text = (socket: net.Socket): Promise<string> => {
  let s = '';
  socket.on('data', (d: Buffer) => (s += d.toString()));
  return new Promise((resolve) => socket.on('end', () => resolve(s)));
};

describe('node: TlsSocket endings and failures', function () {
  this.timeout(30_000);

  afterEach(async () => {
    for (const c of sockets.splice(0)) c.destroy();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  describe('end() and destroy()', () => {
    /**
     * Every buffer the server socket handed to its TCP handle, write by write: our records
     * go through net.Socket's `_writeGeneric` (internal; what we look at, not what we rely on).
     */
    function spyWrites(s: TlsSocket): Buffer[][] {
      const calls: Buffer[][] = [];
      const socket = s as unknown as { _writeGeneric: (writev: boolean, data: unknown, ...rest: unknown[]) => unknown };
      const writeGeneric = socket._writeGeneric.bind(s);
      socket._writeGeneric = (writev, data, ...rest) => {
        calls.push(writev ? (data as Array<{ chunk: Buffer }>).map((c) => c.chunk) : [data as Buffer]);
        return writeGeneric(writev, data, ...rest);
      };
      return calls;
    }
    /** The content types of the records in `b`. */
    const recordTypes = (b: Buffer): number[] => {
      const types: number[] = [];
      for (let at = 0; at + 5 <= b.length; at += 5 + b.readUInt16BE(at + 3)) types.push(b[at]!);
      return types;
    };

    it('end(data): the data and close_notify go out in one socket write, after writes still queued; the callback runs', async () => {
      let writes: Buffer[][] = [];
      let ended = false;
      const h = await serve({}, (s) => {
        writes = spyWrites(s);
        s.write('first ');
        s.end(Buffer.from('6c617374', 'hex'), () => (ended = true));
      });
      const client = await connect(h.port);
      assert.equal(await text(client), 'first last');
      await once(await h.socket(0), 'close');
      assert.equal(ended, true, "end()'s callback ran");
      const withData = writes.filter((w) => w.length > 0);
      assert.deepEqual(withData.map((w) => recordTypes(Buffer.concat(w))), [[23], [23, 21]], 'the last write carries the data record and close_notify');
    });

    it("end('text', 'hex') and end(string): the encoding is honoured; end() with no data sends close_notify alone", async () => {
      const received: string[] = [];
      for (const finish of [(s: TlsSocket) => s.end('6869', 'hex'), (s: TlsSocket) => s.end('hi'), (s: TlsSocket) => s.end()]) {
        const h = await serve({}, finish);
        const client = await connect(h.port);
        received.push(await text(client));
      }
      assert.deepEqual(received, ['hi', 'hi', '']);
      // end() with no data: what the TCP socket is given is one alert record (close_notify), nothing else.
      let writes: Buffer[][] = [];
      const h = await serve({}, (s) => {
        writes = spyWrites(s);
        s.end();
      });
      assert.equal(await text(await connect(h.port)), '');
      await once(await h.socket(0), 'close');
      const withData = writes.filter((w) => w.length > 0);
      assert.deepEqual(withData.map((w) => recordTypes(Buffer.concat(w))), [[21]], 'one write, of one alert record');
    });

    it("a client's end() ends the server socket too (allowHalfOpen false by default): close_notify both ways", async () => {
      const h = await serve({}, (s) => s.resume());
      const client = await connect(h.port);
      const server = await h.socket(0);
      const events: string[] = [];
      for (const e of ['end', 'finish', 'close']) server.on(e, () => events.push(`server ${e}`));
      const clientEnded = once(client, 'end');
      const bothClosed = Promise.all([once(client, 'close'), once(server, 'close')]);
      client.end();
      await clientEnded;
      await bothClosed;
      assert.deepEqual(events, ['server end', 'server finish', 'server close']);
      assert.equal(server.connection.receivedCloseNotify, true);
      assert.equal(server.connection.sentCloseNotify, true, 'the server answered with its own close_notify');
      assert.equal(server.destroyed, true);
    });

    it("a client's end() closes a server socket that the application never reads (as net.Socket)", async () => {
      const h = await serve({}, () => undefined); // no 'data' listener, no resume(): nobody reads
      const client = await connect(h.port);
      const server = await h.socket(0);
      const serverClosed = once(server, 'close');
      const clientClosed = once(client, 'close');
      client.end();
      await Promise.all([serverClosed, clientClosed]);
      assert.equal(server.connection.sentCloseNotify, true, 'the server ended its side: close_notify');
    });

    it('with allowHalfOpen: true the server may go on writing after the client ended', async () => {
      const h = await serve({ allowHalfOpen: true }, (s) => {
        s.resume();
        s.on('end', () => {
          s.write('still here after your end');
          s.end(' -- bye');
        });
      });
      const client = await connect(h.port);
      const got = text(client);
      client.end();
      assert.equal(await got, 'still here after your end -- bye');
      const server = await h.socket(0);
      if (!server.destroyed) await once(server, 'close');
    });

    it("the server's end() delivers its data, then the client sees end and the server closes", async () => {
      const h = await serve({}, (s) => {
        s.resume();
        s.end('goodbye');
      });
      const client = await connect(h.port);
      const server = await h.socket(0);
      const serverClosed = server.destroyed ? Promise.resolve() : once(server, 'close');
      assert.equal(await text(client), 'goodbye');
      await serverClosed;
      assert.equal(server.connection.sentCloseNotify, true);
      assert.equal(server.connection.receivedCloseNotify, true, 'the node client answered close_notify');
    });

    it("the server's destroy() closes both sides at once", async () => {
      const h = await serve();
      const client = await connect(h.port);
      const server = await h.socket(0);
      client.on('error', () => undefined);
      const closed = Promise.all([once(client, 'close'), once(server, 'close')]);
      server.destroy();
      await closed;
      assert.equal(server.destroyed, true);
      assert.equal(server.socket.destroyed, true, 'the TCP socket is gone too');
    });

    it("destroying the accepted TCP socket (a server tracking its 'connection's) closes the TLS socket, and server.close() completes", async () => {
      const h = await serve();
      const accepted: net.Socket[] = [];
      h.server.on('connection', (raw: net.Socket) => accepted.push(raw));
      const client = await connect(h.port);
      client.on('error', () => undefined);
      const server = await h.socket(0);
      assert.equal(accepted.length, 1);
      const closed = Promise.all([once(server, 'close'), once(accepted[0]!, 'close'), once(client, 'close')]);
      accepted[0]!.destroy();
      await closed;
      assert.equal(server.destroyed, true);
      const count = await new Promise<number>((resolve, reject) => h.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
      assert.equal(count, 0, 'the server counts no connection');
      await new Promise<void>((resolve, reject) => h.server.close((err) => (err ? reject(err) : resolve())));
    });

    it('one stream per connection: the TLS socket reads the TCP handle itself, and the accepted socket emits no data', async () => {
      const h = await serve({}, (s) => s.on('data', (d: Buffer) => s.end(d)));
      const accepted: net.Socket[] = [];
      const rawData: Buffer[] = [];
      h.server.on('connection', (raw: net.Socket) => {
        accepted.push(raw);
        raw.on('data', (d: Buffer) => rawData.push(d));
      });
      const client = await connect(h.port);
      const echoed = text(client);
      client.write('ping');
      assert.equal(await echoed, 'ping');
      const server = await h.socket(0);
      assert.ok(server instanceof net.Socket, 'a net.Socket, as node:tls\'s TLSSocket');
      assert.ok(server.bytesRead > 0 && server.bytesWritten > 0, 'it counts the ciphertext it moved');
      assert.deepEqual(rawData, [], 'the accepted socket saw none of it');
      await once(server, 'close');
      assert.equal(accepted[0]!.destroyed, true, 'and is released when the TLS socket closes');
    });

    it('destroy(error) emits that error on the server socket, then close', async () => {
      const h = await serve();
      const client = await connect(h.port);
      client.on('error', () => undefined);
      const server = await h.socket(0);
      const boom = new Error('boom');
      const events: unknown[] = [];
      server.on('error', (e: Error) => events.push(e));
      const closed = new Promise<void>((resolve) => server.on('close', () => resolve()));
      server.destroy(boom);
      await closed;
      assert.deepEqual(events, [boom]);
      await once(client, 'close');
    });

    it("the client's destroy() closes the server socket", async () => {
      const h = await serve({}, (s) => s.resume());
      const client = await connect(h.port);
      const server = await h.socket(0);
      const closed = once(server, 'close');
      client.destroy();
      await closed;
      assert.equal(server.destroyed, true);
    });
  });

  describe('waiting on the application', () => {
    it('stops reading the TCP socket while an SNICallback has not answered, then goes on', async () => {
      let answer: (() => void) | undefined;
      const raw: net.Socket[] = [];
      const h = await serve({
        SNICallback: (_name, cb) => {
          answer = () => cb(null);
        },
      });
      h.server.on('connection', (s: net.Socket) => raw.push(s));
      const client = connect(h.port);
      const deadline = Date.now() + 10_000;
      while (!answer && Date.now() < deadline) await sleep(5);
      assert.ok(answer, 'the SNICallback was called');
      assert.equal(tcpReading(raw[0]!), false, 'no reading while the callback is out');
      answer();
      const socket = await client;
      sockets.push(socket);
      assert.equal(tcpReading(raw[0]!), true, 'reading again');
      assert.equal((await h.socket(0)).servername, 'localhost');
    });
  });

  describe('failed handshakes', () => {
    it('handshakeTimeout: a TCP client that says nothing gets ERR_TLS_HANDSHAKE_TIMEOUT and is disconnected', async () => {
      const h = await serve({ handshakeTimeout: 200 });
      const raw = await rawConnect(h.port);
      const received = collectUntilClose(raw);
      const { error, socket } = await h.clientError(0);
      assert.equal((error as Error & { code?: string }).code, 'ERR_TLS_HANDSHAKE_TIMEOUT');
      assert.ok(socket instanceof TlsSocket, 'tlsClientError gives the socket');
      assert.equal((await received).length, 0, 'nothing was sent to a client that never said hello');
      assert.equal(h.secure.length, 0);
    });

    it('handshakeTimeout does not touch an established connection', async () => {
      const h = await serve({ handshakeTimeout: 100 }, (s) => s.on('data', (d: Buffer) => s.write(d)));
      const client = await connect(h.port);
      // Timers of one process fire in order: the server's 100 ms timer (armed before the
      // handshake) is long due when this one fires.
      await sleep(300);
      const echoed = once(client, 'data');
      client.write('still alive');
      assert.equal(String((await echoed)[0]), 'still alive');
      assert.deepEqual(h.clientErrors, []);
      assert.equal((await h.socket(0)).destroyed, false);
    });

    it('garbage instead of a ClientHello: tlsClientError and a fatal alert', async () => {
      const h = await serve();
      const raw = await rawConnect(h.port);
      const received = collectUntilClose(raw);
      raw.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      const { error, socket } = await h.clientError(0);
      assert.ok(error instanceof TlsError, String(error));
      assert.equal(error.fromPeer, false);
      assert.ok(socket instanceof TlsSocket);
      const bytes = await received;
      assert.equal(bytes.length, 7, `one alert record, got ${bytes.toString('hex')}`);
      assert.equal(bytes[0], 21, 'content type alert');
      assert.equal(bytes[3], 0);
      assert.equal(bytes[4], 2, 'two bytes of alert');
      assert.equal(bytes[5], 2, 'fatal');
      assert.equal(bytes[6], error.alert);
      assert.equal(h.secure.length, 0);
    });

    it('a client that hangs up mid-handshake: tlsClientError ECONNRESET', async () => {
      const h = await serve();
      const raw = await rawConnect(h.port);
      raw.end();
      const { error } = await h.clientError(0);
      assert.equal((error as Error & { code?: string }).code, 'ECONNRESET');
      assert.equal(h.secure.length, 0);
    });

    it('keeps serving after all of that; secureConnection only for the good handshake', async () => {
      const h = await serve({ handshakeTimeout: 200 }, (s) => s.on('data', (d: Buffer) => s.write(d)));
      const silent = await rawConnect(h.port);
      const silentClosed = collectUntilClose(silent);
      const garbage = await rawConnect(h.port);
      const garbageClosed = collectUntilClose(garbage);
      garbage.write(Buffer.alloc(64, 0xff));
      const hangup = await rawConnect(h.port);
      hangup.end();
      await Promise.all([silentClosed, garbageClosed, h.clientError(2)]);
      assert.equal(h.clientErrors.length, 3);

      const client = await connect(h.port);
      const echoed = once(client, 'data');
      client.write('hello again');
      assert.equal(String((await echoed)[0]), 'hello again');
      assert.equal(h.secure.length, 1);
      assert.equal(h.clientErrors.length, 3);
    });
  });
});
