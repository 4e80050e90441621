import assert from 'node:assert/strict';
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { describe, it } from 'mocha';
import { TlsContext } from '../../src/context.js';
import { ServerConnection } from '../../src/connection.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import type { CryptoProvider, HashAlgorithm, KeyedMac } from '../../src/crypto/provider.js';
import { deriveTrafficKeys, extendedMasterSecret, masterSecret, prf, verifyData } from '../../src/handshake/key-schedule.js';
import { suiteById } from '../../src/protocol/suites.js';
import { testCertificate } from '../helpers/fixtures.js';
import { Group, HandshakeType, Suite, TlsClient, concat, fromHex, hex, seededRandom } from '../helpers/tls-client.js';
import { handshakeInMemory } from '../helpers/in-memory.js';

const crypto = new NobleCryptoProvider();
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** RFC 5246 §5 P_hash, written against Node's HMAC: the independent reference. */
function pHash(hash: 'sha256' | 'sha384', secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array {
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const hmac = (data: Uint8Array): Buffer => createHmac(hash, secret).update(data).digest();
  const out: Buffer[] = [];
  let a: Buffer = hmac(labelSeed);
  let n = 0;
  while (n < length) {
    const block = hmac(Buffer.concat([a, labelSeed]));
    out.push(block);
    n += block.length;
    a = hmac(a);
  }
  return new Uint8Array(Buffer.concat(out).subarray(0, length));
}

// The IETF TLS WG "Test vectors for TLS 1.2 PRF" (P_SHA256 and P_SHA384, label "test label").
const PRF_SHA256 = {
  secret: '9bbe436ba940f017b17652849a71db35',
  seed: 'a0ba9f936cda311827a6f796ffd5198c',
  output:
    'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a' +
    '6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab' +
    '4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701' +
    '87347b66',
};
const PRF_SHA384 = {
  secret: 'b80b733d6ceefcdc71566ea48e5567df',
  seed: 'cd665cf6a8447dd6ff8b27555edb7465',
  output:
    '7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd' +
    'e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd' +
    '8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425' +
    '9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6' +
    '91c8f3a26854308d5eaa3be85e0990703d73e56f',
};

describe('TLS 1.2 PRF (RFC 5246 §5)', () => {
  it('matches the published P_SHA256 vector byte for byte (100 bytes)', () => {
    const out = prf(crypto, 'sha256', fromHex(PRF_SHA256.secret), text('test label'), fromHex(PRF_SHA256.seed), 100);
    assert.equal(out.length, 100);
    assert.equal(hex(out), PRF_SHA256.output);
  });

  it('matches the published P_SHA384 vector byte for byte (148 bytes)', () => {
    const out = prf(crypto, 'sha384', fromHex(PRF_SHA384.secret), text('test label'), fromHex(PRF_SHA384.seed), 148);
    assert.equal(out.length, 148);
    assert.equal(hex(out), PRF_SHA384.output);
  });

  it('the reference P_hash used below also reproduces both published vectors', () => {
    assert.equal(hex(pHash('sha256', fromHex(PRF_SHA256.secret), 'test label', fromHex(PRF_SHA256.seed), 100)), PRF_SHA256.output);
    assert.equal(hex(pHash('sha384', fromHex(PRF_SHA384.secret), 'test label', fromHex(PRF_SHA384.seed), 148)), PRF_SHA384.output);
  });

  it('agrees with Node-HMAC P_hash at every length around the block boundaries, through macInto and through mac() alone', () => {
    const secret = fromHex('0102030405060708090a0b0c0d0e0f10111213');
    const seed = fromHex('a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0');
    for (const hash of ['sha256', 'sha384'] as const) {
      const keyed = crypto.hmac(hash, secret);
      assert.equal(typeof keyed.macInto, hash === 'sha256' ? 'function' : 'undefined', 'the pure HMAC-SHA-256 writes into the PRF\'s blocks');
      // A provider's HMAC without macInto: the PRF copies what mac() returns.
      const macOnly: KeyedMac = { outputLength: keyed.outputLength, mac: (...parts) => keyed.mac(...parts) };
      for (const length of [0, 1, 12, 31, 32, 33, 47, 48, 49, 63, 64, 65, 96, 97, 104, 136, 200]) {
        const expected = hex(pHash(hash, secret, 'key expansion', seed, length));
        assert.equal(hex(prf(crypto, hash, secret, text('key expansion'), seed, length)), expected, `${hash} ${length}`);
        assert.equal(hex(prf(crypto, hash, keyed, text('key expansion'), seed, length)), expected, `${hash} ${length}, keyed once`);
        assert.equal(hex(prf(crypto, hash, macOnly, text('key expansion'), seed, length)), expected, `${hash} ${length}, mac() only`);
      }
    }
  });

  it('an HMAC that fails in the middle of a PRF is still disposed when the PRF keyed it, and the next PRF is right', () => {
    const secret = fromHex(PRF_SHA256.secret);
    const seed = fromHex(PRF_SHA256.seed);
    let calls = 0;
    let disposed = false;
    const failing: CryptoProvider = Object.assign(Object.create(crypto) as CryptoProvider, {
      hmac(hash: HashAlgorithm, key: Uint8Array): KeyedMac {
        const inner = crypto.hmac(hash, key);
        return {
          outputLength: inner.outputLength,
          mac(...parts: Uint8Array[]): Uint8Array {
            if (++calls === 3) throw new Error('the third HMAC fails');
            return inner.mac(...parts);
          },
          dispose() {
            disposed = true;
            inner.dispose?.();
          },
        };
      },
    });
    assert.throws(() => prf(failing, 'sha256', secret, text('test label'), seed, 100), /third HMAC/);
    assert.ok(disposed, 'the HMAC keyed with the secret was disposed');
    assert.equal(hex(prf(crypto, 'sha256', secret, text('test label'), seed, 100)), PRF_SHA256.output);
  });

  it('an output is a prefix of any longer output, and the label, seed and secret all matter', () => {
    const secret = fromHex(PRF_SHA256.secret);
    const seed = fromHex(PRF_SHA256.seed);
    const long = prf(crypto, 'sha256', secret, text('test label'), seed, 100);
    assert.equal(hex(prf(crypto, 'sha256', secret, text('test label'), seed, 13)), hex(long.subarray(0, 13)));
    assert.notEqual(hex(prf(crypto, 'sha256', secret, text('test labem'), seed, 100)), hex(long));
    assert.notEqual(hex(prf(crypto, 'sha256', secret, text('test label'), fromHex('a1ba9f936cda311827a6f796ffd5198c'), 100)), hex(long));
    assert.notEqual(hex(prf(crypto, 'sha256', fromHex('9abe436ba940f017b17652849a71db35'), text('test label'), seed, 100)), hex(long));
  });
});

describe('TLS 1.2 key schedule against an independent computation', () => {
  const pre = fromHex('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff');
  const clientRandom = fromHex('c0'.repeat(32));
  const serverRandom = fromHex('5e'.repeat(32));
  const sessionHash = fromHex(createHash('sha256').update('handshake messages').digest('hex'));

  it('master secret: PRF(pre, "master secret", client_random || server_random), 48 bytes', () => {
    const ms = masterSecret(crypto, 'sha256', pre, clientRandom, serverRandom);
    assert.equal(hex(ms), hex(pHash('sha256', pre, 'master secret', concat(clientRandom, serverRandom), 48)));
    // The order of the randoms matters (a swap is a classic bug).
    assert.notEqual(hex(ms), hex(pHash('sha256', pre, 'master secret', concat(serverRandom, clientRandom), 48)));
  });

  it('extended master secret (RFC 7627 §4): PRF(pre, "extended master secret", session_hash), 48 bytes', () => {
    for (const hash of ['sha256', 'sha384'] as const) {
      const ems = extendedMasterSecret(crypto, hash, pre, sessionHash);
      assert.equal(ems.length, 48);
      assert.equal(hex(ems), hex(pHash(hash, pre, 'extended master secret', sessionHash, 48)));
    }
  });

  it('key block (RFC 5246 §6.3): seed is server_random || client_random; keys then IVs, client first', () => {
    const master = fromHex('ab'.repeat(48));
    for (const id of [Suite.AES128_GCM, Suite.AES256_GCM, Suite.CHACHA20]) {
      const suite = suiteById(id)!;
      const k = suite.keyLength;
      const iv = suite.fixedIvLength;
      const block = pHash(suite.hash, master, 'key expansion', concat(serverRandom, clientRandom), 2 * (k + iv));
      const keys = deriveTrafficKeys(crypto, suite, master, clientRandom, serverRandom);
      assert.equal(hex(keys.clientKey), hex(block.subarray(0, k)), suite.name);
      assert.equal(hex(keys.serverKey), hex(block.subarray(k, 2 * k)), suite.name);
      assert.equal(hex(keys.clientIv), hex(block.subarray(2 * k, 2 * k + iv)), suite.name);
      assert.equal(hex(keys.serverIv), hex(block.subarray(2 * k + iv)), suite.name);
    }
  });

  it('verify_data (RFC 5246 §7.4.9): 12 bytes of PRF(master, "client finished" / "server finished", hash)', () => {
    const master = fromHex('cd'.repeat(48));
    assert.equal(hex(verifyData(crypto, 'sha256', master, 'client', sessionHash)), hex(pHash('sha256', master, 'client finished', sessionHash, 12)));
    assert.equal(hex(verifyData(crypto, 'sha384', master, 'server', sessionHash)), hex(pHash('sha384', master, 'server finished', sessionHash, 12)));
  });

  it('a real handshake: the X25519 secret, EMS and both Finished messages recomputed with node:crypto', () => {
    const cert = testCertificate('P-256');
    let keylog = '';
    const context = new TlsContext({ key: cert.keyPem, cert: cert.certPem, groups: 'X25519', crypto: new NobleCryptoProvider({ randomBytes: seededRandom('prf-server') }) });
    const server = new ServerConnection(context, { onKeylog: (line) => (keylog = line) });
    const client = new TlsClient({ rng: seededRandom('prf-client'), cipherSuites: [Suite.AES128_GCM] });
    handshakeInMemory(client, server);
    assert.ok(client.handshakeComplete && server.handshakeComplete);
    assert.equal(client.ephemeral!.group, Group.x25519);

    // ECDHE, with Node's X25519.
    const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
    const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(client.ephemeral!.secret), x: b64(client.ephemeral!.publicKey) }, format: 'jwk' });
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(client.serverKeyExchange!.publicKey) }, format: 'jwk' });
    const pre = new Uint8Array(diffieHellman({ privateKey, publicKey }));
    assert.equal(hex(pre), hex(client.preMasterSecret!));

    // EMS over SHA-256(ClientHello .. ClientKeyExchange), compared with what the server logged.
    const messages = client.transcriptMessages;
    const ckeIndex = messages.findIndex((m) => m[0] === HandshakeType.client_key_exchange);
    const sessionHashReal = createHash('sha256').update(concat(...messages.slice(0, ckeIndex + 1))).digest();
    const master = pHash('sha256', pre, 'extended master secret', sessionHashReal, 48);
    const [label, random, loggedMaster] = keylog.split(' ');
    assert.equal(label, 'CLIENT_RANDOM');
    assert.equal(random, hex(client.clientRandom));
    assert.equal(loggedMaster, hex(master));

    // Both Finished messages: the client's as sent, the server's as received.
    const clientFinishedIndex = messages.findIndex((m) => m[0] === HandshakeType.finished);
    const clientFinished = messages[clientFinishedIndex]!;
    const hashBefore = (n: number): Buffer => createHash('sha256').update(concat(...messages.slice(0, n))).digest();
    assert.equal(hex(clientFinished.subarray(4)), hex(pHash('sha256', master, 'client finished', hashBefore(clientFinishedIndex), 12)));
    const serverFinished = client.messages.find((m) => m.type === HandshakeType.finished)!.raw;
    assert.equal(serverFinished.length, 16);
    assert.equal(hex(serverFinished.subarray(4)), hex(pHash('sha256', master, 'server finished', hashBefore(clientFinishedIndex + 1), 12)));
  });
});
