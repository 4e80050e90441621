import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ServerConnection } from '../../src/connection.js';
import { TlsContext } from '../../src/context.js';
import { testCertificate } from '../helpers/fixtures.js';
import { TlsClient } from '../helpers/tls-client.js';

/**
 * The connection cuts records straight out of the caller's buffer, so it must copy whatever
 * it keeps (a partial record, a partial handshake message) before `receive` returns: a
 * socket is free to reuse its buffer, and Node Buffers' `slice` does not copy.
 */
describe('buffers handed to receive() are the caller\'s again when it returns', () => {
  const cert = testCertificate();

  /** Feeds `bytes` in chunks through one reused Buffer that is scribbled over after each call. */
  function feedThroughOneBuffer(server: ServerConnection, bytes: Uint8Array, chunk: number): void {
    const shared = Buffer.alloc(chunk + 3);
    for (let at = 0; at < bytes.length; at += chunk) {
      const part = bytes.subarray(at, Math.min(at + chunk, bytes.length));
      // An odd offset inside a Buffer, as sockets produce: not 4-byte aligned, and a view.
      const view = shared.subarray(1, 1 + part.length);
      view.set(part);
      server.receive(view);
      shared.fill(0xee);
    }
  }

  for (const chunk of [1, 7, 100, 4096]) {
    it(`completes a handshake and reads data fed ${chunk} bytes at a time through one reused Buffer`, () => {
      const server = new ServerConnection(new TlsContext({ key: cert.keyPem, cert: cert.certPem }));
      const client = new TlsClient({});
      feedThroughOneBuffer(server, client.start(), chunk);
      assert.equal(server.error, undefined, server.error?.message);
      client.receive(server.takeOutput()!);
      feedThroughOneBuffer(server, client.takeOutput()!, chunk);
      assert.equal(server.error, undefined);
      assert.ok(server.handshakeComplete);
      client.receive(server.takeOutput()!);
      const message = new TextEncoder().encode('hello '.repeat(3000));
      feedThroughOneBuffer(server, client.write(message), chunk);
      assert.equal(server.error, undefined);
      assert.deepEqual(Buffer.concat(server.takePlaintext()), Buffer.from(message));
    });
  }
});

/**
 * Records are built in views of a shared slab (codec/bytes.ts transientBytes); what
 * `takeOutput` returns must still be the caller's alone: a caller may transfer its
 * ArrayBuffer to a worker, which detaches it, or keep it as long as it likes.
 */
describe('what takeOutput() returns is the caller\'s own buffer', () => {
  const cert = testCertificate();

  function owned(b: Uint8Array): boolean {
    return b.byteOffset === 0 && b.buffer.byteLength === b.length;
  }

  it('for every flight and for records of every size, and transferring one leaves another connection intact', () => {
    const context = new TlsContext({ key: cert.keyPem, cert: cert.certPem });
    const [a, b] = [new ServerConnection(context), new ServerConnection(context)];
    const [clientA, clientB] = [new TlsClient({}), new TlsClient({})];
    a.receive(clientA.start());
    b.receive(clientB.start());
    const firstA = a.takeOutput()!;
    const firstB = b.takeOutput()!;
    assert.ok(owned(firstA) && owned(firstB));
    // Hand A's flight to a "worker": its ArrayBuffer is detached here.
    const moved = structuredClone(firstA, { transfer: [firstA.buffer as ArrayBuffer] });
    assert.equal(firstA.length, 0);
    clientA.receive(moved);
    clientB.receive(firstB);
    a.receive(clientA.takeOutput()!);
    b.receive(clientB.takeOutput()!);
    for (const [server, client] of [[a, clientA], [b, clientB]] as const) {
      assert.equal(server.error, undefined, server.error?.message);
      assert.ok(server.handshakeComplete);
      const last = server.takeOutput()!;
      assert.ok(owned(last));
      client.receive(last);
    }
    // Application data across the sizes transientBytes serves from a slab (65..4096 bytes a record).
    for (const n of [1, 40, 60, 100, 1000, 4000, 4100, 20_000]) {
      a.write(new Uint8Array(n).fill(n & 0xff));
      const out = a.takeOutput()!;
      assert.ok(owned(out), `${n} bytes written`);
      const copy = structuredClone(out, { transfer: [out.buffer as ArrayBuffer] });
      clientA.receive(copy);
      assert.deepEqual(Buffer.from(clientA.takePlaintext()), Buffer.alloc(n, n & 0xff));
    }
    assert.equal(a.error, undefined);
  });
});

/**
 * `takeOutput(allocate)`: an adapter's pooled allocation (the Node adapter passes
 * Buffer.allocUnsafe, whose pool is not zeroed) receives output of up to 4 KiB in place
 * of a fresh buffer, filled to its last byte; a single record over 4 KiB is already the
 * caller's own array and is returned as it is.
 */
describe('takeOutput(allocate) fills the buffer the caller allocates', () => {
  const cert = testCertificate();

  /** Views of one unzeroed pool, as Buffer.allocUnsafe carves them; records every request. */
  function scribbledPool() {
    const pool = new Uint8Array(1 << 16).fill(0xee);
    const given: Uint8Array[] = [];
    let used = 0;
    const allocate = (n: number): Uint8Array => {
      const view = pool.subarray(used, used + n);
      used += n + 3;
      given.push(view);
      return view;
    };
    return { allocate, given };
  }

  it('for both flights and for writes of every size, and the client reads them all', () => {
    const server = new ServerConnection(new TlsContext({ key: cert.keyPem, cert: cert.certPem }));
    const client = new TlsClient({});
    const { allocate, given } = scribbledPool();
    const take = (expectAllocated: boolean, what: string): Uint8Array => {
      const before = given.length;
      const out = server.takeOutput(allocate)!;
      assert.equal(given.length - before, expectAllocated ? 1 : 0, what);
      if (expectAllocated) assert.equal(out, given[given.length - 1], `${what}: the allocated buffer itself`);
      return out;
    };
    server.receive(client.start());
    client.receive(take(true, 'first flight'));
    server.receive(client.takeOutput()!);
    assert.equal(server.error, undefined, server.error?.message);
    client.receive(take(true, 'second flight'));
    assert.ok(client.handshakeComplete);
    // A record is n + 29 bytes (header, explicit nonce, tag); transientBytes makes those up to 4096.
    for (const [n, allocated] of [[1, true], [35, true], [36, true], [1000, true], [4067, true], [4068, false], [20_000, true]] as const) {
      server.write(new Uint8Array(n).fill(n & 0xff));
      client.receive(take(allocated, `${n} bytes written`));
      assert.deepEqual(Buffer.from(client.takePlaintext()), Buffer.alloc(n, n & 0xff), `${n} bytes written`);
    }
    assert.equal(server.takeOutput(allocate), undefined);
    assert.equal(server.error, undefined);
  });
});
