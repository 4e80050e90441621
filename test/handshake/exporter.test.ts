/**
 * What the connection exposes of the handshake, in memory against the scriptable client:
 * RFC 5705 keying material, computed here independently with node:crypto's HMAC from the
 * client's master secret and randoms; both Finished messages as the client sent and
 * received them; and the master secret the exporter keeps, wiped when the connection ends.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'mocha';
import { ServerConnection } from '../../src/connection.js';
import { TlsConfigError } from '../../src/errors.js';
import { TlsContext } from '../../src/context.js';
import { testCertificate } from '../helpers/fixtures.js';
import { handshakeInMemory } from '../helpers/in-memory.js';
import { TlsClient, concat, seededRandom, Suite } from '../helpers/tls-client.js';

/** The TLS 1.2 PRF (RFC 5246 §5) on node:crypto, written here apart from ours. */
function prf(hash: 'sha256' | 'sha384', secret: Uint8Array, label: string, seed: Uint8Array, length: number): Buffer {
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out: Buffer[] = [];
  let a: Buffer = labelSeed;
  let total = 0;
  while (total < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(labelSeed).digest();
    out.push(block);
    total += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** RFC 5705 §4: the seed is both randoms, then (only with a context) its length and the context. */
function expectedExport(client: TlsClient, hash: 'sha256' | 'sha384', label: string, context: Uint8Array | undefined, length: number): Buffer {
  const parts = [client.clientRandom, client.serverHello!.random];
  if (context) parts.push(Uint8Array.of(context.length >> 8, context.length & 0xff), context);
  return prf(hash, client.masterSecret!, label, concat(...parts), length);
}

function connected(suite: number = Suite.AES128_GCM): { client: TlsClient; server: ServerConnection } {
  const cert = testCertificate();
  const server = new ServerConnection(new TlsContext({ key: cert.keyPem, cert: cert.certPem }));
  const client = new TlsClient({ rng: seededRandom(`exporter ${suite}`), cipherSuites: [suite] });
  handshakeInMemory(client, server);
  assert.ok(server.handshakeComplete && client.handshakeComplete);
  return { client, server };
}

/** The verify_data of the Finished message each side sent, from the client's transcript. */
function finishedBodies(client: TlsClient): { fromClient: Uint8Array; fromServer: Uint8Array } {
  const fromServer = client.messages.filter((m) => m.type === 20).at(-1)!.raw.subarray(4);
  const fromClient = client.transcriptMessages.filter((m) => m[0] === 20 && !client.messages.some((s) => s.raw === m)).at(-1)!.subarray(4);
  return { fromClient, fromServer };
}

describe('the connection: exporters and Finished data (RFC 5705, RFC 5929)', () => {
  for (const [suite, hash] of [
    [Suite.AES128_GCM, 'sha256'],
    [Suite.AES256_GCM, 'sha384'],
    [Suite.CHACHA20, 'sha256'],
  ] as const) {
    it(`suite 0x${suite.toString(16)}: exportKeyingMaterial equals RFC 5705 computed with node:crypto (${hash} PRF), with, without and with an empty context`, () => {
      const { client, server } = connected(suite);
      for (const [label, context, length] of [
        ['EXPERIMENTAL-a', undefined, 32],
        ['EXPERIMENTAL-a', new Uint8Array(0), 32],
        ['EXPERIMENTAL-a', Uint8Array.of(1, 2, 3), 100],
        ['EXTRACTOR-dtls_srtp', undefined, 60],
      ] as const) {
        assert.deepEqual(Buffer.from(server.exportKeyingMaterial(length, label, context)), expectedExport(client, hash, label, context, length));
      }
    });
  }

  it('finished and peerFinished: the verify_data we sent and the client sent', () => {
    const { client, server } = connected();
    const { fromClient, fromServer } = finishedBodies(client);
    assert.deepEqual(server.finished, fromServer);
    assert.deepEqual(server.peerFinished, fromClient);
    assert.equal(server.finished!.length, 12);
  });

  it('refusals: before the handshake, a reserved label, a context over 65,535 bytes', () => {
    const cert = testCertificate();
    const fresh = new ServerConnection(new TlsContext({ key: cert.keyPem, cert: cert.certPem }));
    assert.throws(() => fresh.exportKeyingMaterial(16, 'x'), (e: unknown) => e instanceof TlsConfigError && e.code === 'ERR_TLS_INVALID_STATE');
    const { server } = connected();
    for (const label of ['client finished', 'server finished', 'master secret', 'extended master secret', 'key expansion']) {
      assert.throws(() => server.exportKeyingMaterial(16, label), { code: 'ERR_SSL_TLS_ILLEGAL_EXPORTER_LABEL' });
    }
    assert.throws(() => server.exportKeyingMaterial(16, 'x', new Uint8Array(65_536)), { reason: 'ERR_EXPORTER_CONTEXT_TOO_LONG' });
    assert.equal(server.exportKeyingMaterial(16, 'x', new Uint8Array(65_535)).length, 16);
  });

  it("the exporter's master secret is the connection's own copy, wiped by dispose(); exporting afterwards is refused", () => {
    const { client, server } = connected();
    const kept = server.negotiated!.masterSecret;
    assert.deepEqual(kept, client.masterSecret);
    assert.notEqual(kept, server.session!.masterSecret, 'not the session\'s array: the session lives on in the cache');
    server.dispose();
    assert.ok(kept.every((b) => b === 0), 'wiped');
    assert.ok(server.session!.masterSecret.some((b) => b !== 0), 'the session itself is untouched (it may resume)');
    assert.throws(() => server.exportKeyingMaterial(16, 'x'), { code: 'ERR_TLS_INVALID_STATE' });
  });

  it('release(): what dispose() does, and the negotiated parameters are let go (the getters answer as before a handshake)', () => {
    const { server } = connected();
    const kept = server.negotiated!.masterSecret;
    assert.ok(server.session && server.cipher && server.finished, 'negotiated before');
    server.release();
    assert.ok(kept.every((b) => b === 0), 'wiped, as by dispose()');
    assert.deepEqual(
      [server.negotiated, server.session, server.cipher, server.protocol, server.finished, server.peerFinished, server.serverName, server.peerVerification],
      [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined],
    );
    assert.equal(server.isSessionReused, false);
    assert.deepEqual(server.peerCertificateChain, []);
    assert.deepEqual(server.takePlaintext(), []);
    assert.throws(() => server.exportKeyingMaterial(16, 'x'), { code: 'ERR_TLS_INVALID_STATE' });
  });

  it('a fatal error after the handshake wipes it too', () => {
    const { client, server } = connected();
    const kept = server.negotiated!.masterSecret;
    const record = client.write(new Uint8Array(4));
    record[record.length - 1]! ^= 1;
    server.receive(record);
    assert.ok(server.error);
    assert.ok(kept.every((b) => b === 0));
  });
});
