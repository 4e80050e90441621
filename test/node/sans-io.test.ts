import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, it } from 'mocha';
import { ServerConnection } from '../../src/connection.js';
import { TlsContext } from '../../src/context.js';
import { testCertificate } from '../helpers/fixtures.js';

/**
 * A ServerConnection driven by hand: what the client writes lands in `toServer`, what the
 * server produces is queued in `toClient` and then pushed to the client's side of an
 * in-memory Duplex. No socket anywhere: tls.connect runs over that Duplex.
 */
class InMemoryLink {
  readonly toServer: Buffer[] = [];
  readonly toClient: Buffer[] = [];
  readonly plaintext: Buffer[] = [];
  bytesToServer = 0;
  bytesToClient = 0;
  clientEnded = false;
  readonly clientSide: Duplex;
  private scheduled = false;
  private waiters: Array<{ condition: () => boolean; resolve: () => void }> = [];

  constructor(readonly connection: ServerConnection) {
    connection.onWake = () => this.schedule();
    const link = this;
    this.clientSide = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        link.toServer.push(chunk);
        link.bytesToServer += chunk.length;
        link.schedule();
        callback();
      },
      final(callback) {
        link.clientEnded = true;
        callback();
      },
    });
  }

  /** Runs the server a step later, as a network would. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.step();
    });
  }

  /** Feeds the server what the client sent, and hands the client what the server produced. */
  step(): void {
    const c = this.connection;
    for (let chunk = this.toServer.shift(); chunk; chunk = this.toServer.shift()) c.receive(chunk);
    for (const p of c.takePlaintext()) this.plaintext.push(Buffer.from(p));
    for (let out = c.takeOutput(); out; out = c.takeOutput()) this.toClient.push(Buffer.from(out));
    for (let out = this.toClient.shift(); out; out = this.toClient.shift()) {
      this.bytesToClient += out.length;
      this.clientSide.push(out);
    }
    this.waiters = this.waiters.filter((w) => {
      if (!w.condition()) return true;
      w.resolve();
      return false;
    });
  }

  /** The server writes application data (and it is delivered). */
  serverWrite(data: string): void {
    this.connection.write(Buffer.from(data));
    this.step();
  }

  serverClose(): void {
    this.connection.close();
    this.step();
  }

  /** Resolves once `condition` holds after a step of the server (no polling: steps come from the client's writes). */
  waitFor(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ condition, resolve }));
  }

  receivedText(): string {
    return Buffer.concat(this.plaintext).toString();
  }
}

const clients: tls.TLSSocket[] = [];

function connectOver(link: InMemoryLink, options: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const client = tls.connect({ socket: link.clientSide, ca: testCertificate().certPem, servername: 'localhost', ...options }, () =>
      resolve(client),
    );
    clients.push(client);
    client.once('error', reject);
  });
}

describe('sans-IO core: ServerConnection without node:net', function () {
  this.timeout(30_000);

  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy();
  });

  const cert = testCertificate();

  it('serves tls.connect over an in-memory Duplex: handshake, data both ways, close_notify', async () => {
    const context = new TlsContext({ key: cert.keyPem, cert: cert.certPem, alpnProtocols: ['x-test'] });
    const link = new InMemoryLink(new ServerConnection(context));
    const client = await connectOver(link, { ALPNProtocols: ['x-test'] });
    const c = link.connection;

    assert.equal(client.authorized, true);
    assert.equal(client.getProtocol(), 'TLSv1.2');
    assert.equal(c.handshakeComplete, true);
    assert.equal(c.protocol, 'TLSv1.2');
    assert.deepEqual(c.cipher, { name: client.getCipher().name, standardName: client.getCipher().standardName, version: 'TLSv1.2' });
    assert.equal(c.serverName, 'localhost');
    assert.equal(c.alpnProtocol, 'x-test');
    assert.equal(client.alpnProtocol, 'x-test');
    assert.ok(link.bytesToServer > 0 && link.bytesToClient > 0);

    client.write('ping over memory');
    await link.waitFor(() => link.receivedText().length >= 'ping over memory'.length);
    assert.equal(link.receivedText(), 'ping over memory');

    const reply = once(client, 'data');
    link.serverWrite('pong over memory');
    assert.equal(String((await reply)[0]), 'pong over memory');

    // Our close_notify ends the client's reading; then the client closes its side.
    const clientEnd = once(client, 'end');
    link.serverClose();
    assert.equal(c.sentCloseNotify, true);
    assert.equal(c.closed, false, 'half-closed: the client may still write');
    await clientEnd;
    client.end();
    await link.waitFor(() => c.receivedCloseNotify);
    assert.equal(c.closed, true);
    assert.equal(c.error, undefined);
  });

  it('resumes a session over a fresh in-memory link with the same context', async () => {
    const context = new TlsContext({ key: cert.keyPem, cert: cert.certPem });
    const first = new InMemoryLink(new ServerConnection(context));
    const a = await connectOver(first, { maxVersion: 'TLSv1.2' });
    const session = a.getSession();
    assert.equal(first.connection.isSessionReused, false);

    const second = new InMemoryLink(new ServerConnection(context));
    const b = await connectOver(second, { maxVersion: 'TLSv1.2', session });
    assert.equal(b.isSessionReused(), true);
    // In an abbreviated handshake the client finishes first; our side completes on its Finished.
    await second.waitFor(() => second.connection.handshakeComplete);
    assert.equal(second.connection.isSessionReused, true);
    // The same session (by ticket, node's default: the ID is the one the client offered).
    assert.deepEqual(second.connection.session?.masterSecret, first.connection.session?.masterSecret);
  });

  it('reports a peer error as state, never by throwing: garbage in, a fatal alert out', () => {
    const connection = new ServerConnection(new TlsContext({ key: cert.keyPem, cert: cert.certPem }));
    assert.doesNotThrow(() => connection.receive(Buffer.from('GET / HTTP/1.1\r\n\r\n')));
    assert.ok(connection.error, 'the connection failed');
    assert.equal(connection.closed, true);
    const out = Buffer.from(connection.takeOutput() ?? new Uint8Array(0));
    assert.deepEqual([...out.subarray(0, 1)], [21], 'an alert record');
    assert.deepEqual([...out.subarray(5)], [2, connection.error.alert]);
    assert.doesNotThrow(() => connection.receive(Buffer.from([22, 3, 3, 0, 1, 1])), 'input after a failure is ignored');
  });

  it('the core modules import nothing from Node (no node:net, node:tls, node:stream...)', () => {
    // Walks the compiled import graph from the core's entry points.
    const here = dirname(fileURLToPath(import.meta.url));
    const srcDir = resolve(here, '../../src');
    const entries = ['connection.js', 'context.js'].map((f) => resolve(srcDir, f));
    const seen = new Set<string>();
    const builtins: string[] = [];
    const queue = [...entries];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const code = readFileSync(file, 'utf8');
      for (const m of code.matchAll(/(?:^|[\s;])(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm)) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
        else if (spec.startsWith('node:') || /^(net|tls|stream|fs|http|https|crypto|dgram|child_process)$/.test(spec)) {
          builtins.push(`${file.slice(srcDir.length + 1)} imports ${spec}`);
        }
      }
    }
    assert.ok(seen.size > 10, `walked ${seen.size} modules`);
    assert.ok(![...seen].some((f) => f.includes(`${'/'}node${'/'}`)), 'the core does not reach into src/node');
    assert.deepEqual(builtins, []);
  });
});
