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
