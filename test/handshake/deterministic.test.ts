import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ServerConnection } from '../../src/connection.js';
import { TlsContext } from '../../src/context.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import { testCertificate } from '../helpers/fixtures.js';
import { Suite, TlsClient, hex, seededRandom, type ClientOptions } from '../helpers/tls-client.js';

/** A server whose randomness (server random, session id, ephemeral key) comes from `seed`. */
function seededServer(seed: string, groups = 'X25519'): ServerConnection {
  const cert = testCertificate('P-256');
  const crypto = new NobleCryptoProvider({ randomBytes: seededRandom(seed) });
  return new ServerConnection(new TlsContext({ key: cert.keyPem, cert: cert.certPem, crypto, groups, tickets: false }));
}

/** One handshake, recording what each side sent. */
function record(seed: string, options: ClientOptions, groups?: string): { hello: Uint8Array; serverFlight: Uint8Array; clientFlight: Uint8Array; serverFinal: Uint8Array } {
  const client = new TlsClient({ ...options, rng: seededRandom(`client ${seed}`), autoRespond: false });
  const server = seededServer(`server ${seed}`, groups);
  const hello = client.start();
  server.receive(hello);
  const serverFlight = server.takeOutput()!;
  client.receive(serverFlight);
  const clientFlight = client.secondFlight();
  server.receive(clientFlight);
  const serverFinal = server.takeOutput()!;
  client.receive(serverFinal);
  assert.ok(client.handshakeComplete && server.handshakeComplete);
  return { hello, serverFlight, clientFlight, serverFinal };
}

describe('deterministic mode (seeded randomness on both sides)', () => {
  for (const [name, groups, options] of [
    ['X25519, AES-128-GCM', 'X25519', { cipherSuites: [Suite.AES128_GCM] }],
    ['P-256, ChaCha20-Poly1305', 'P-256', { cipherSuites: [Suite.CHACHA20] }],
    ['P-384, AES-256-GCM, SNI and ALPN', 'P-384', { cipherSuites: [Suite.AES256_GCM], serverName: 'bench.example', alpn: ['http/1.1'] }],
  ] as const) {
    it(`${name}: both flights are reproduced byte for byte`, () => {
      const a = record(name, options, groups);
      const b = record(name, options, groups);
      assert.equal(hex(a.hello), hex(b.hello));
      assert.equal(hex(a.serverFlight), hex(b.serverFlight));
      assert.equal(hex(a.clientFlight), hex(b.clientFlight));
      assert.equal(hex(a.serverFinal), hex(b.serverFinal));
      // And a different seed really changes them (the seed is not ignored).
      const c = record(`${name} other`, options, groups);
      assert.notEqual(hex(a.hello), hex(c.hello));
      assert.notEqual(hex(a.clientFlight), hex(c.clientFlight));
    });
  }

  it('a recorded client flight replayed against a freshly seeded server completes the handshake', () => {
    const recorded = record('replay', { cipherSuites: [Suite.AES128_GCM] });
    for (let i = 0; i < 3; i++) {
      const server = seededServer('server replay');
      server.receive(recorded.hello);
      assert.equal(hex(server.takeOutput()!), hex(recorded.serverFlight));
      server.receive(recorded.clientFlight);
      assert.equal(server.error, undefined);
      assert.ok(server.handshakeComplete);
      assert.equal(hex(server.takeOutput()!), hex(recorded.serverFinal));
    }
  });

  it('the recorded flight fails against a server seeded differently (it really depends on the server random)', () => {
    const recorded = record('replay', { cipherSuites: [Suite.AES128_GCM] });
    const server = seededServer('some other server');
    server.receive(recorded.hello);
    server.takeOutput();
    server.receive(recorded.clientFlight);
    assert.ok(server.error);
    assert.equal(server.handshakeComplete, false);
  });
});
