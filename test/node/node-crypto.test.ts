import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import tls from 'node:tls';
import { after, describe, it } from 'mocha';
import { p256, p384 } from '@noble/curves/nist.js';
import { TlsContext } from '../../src/context.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import type { AeadAlgorithm, CryptoProvider, EcdheGroup, EcdsaCurve, HashAlgorithm, SignatureHash } from '../../src/crypto/provider.js';
import { NodeCryptoProvider } from '../../src/node/node-crypto.js';
import { loadAnyPrivateKey } from '../../src/pki/keys.js';
import { generateKeyPairSync } from 'node:crypto';
import type { TlsSocket } from '../../src/node/socket.js';
import { startServer, testCertificate, type RunningServer } from '../helpers/fixtures.js';
import { Suite, TlsClient, flipBit, hex, seededRandom } from '../helpers/tls-client.js';
import { ServerConnection } from '../../src/connection.js';

/**
 * The node:crypto provider (src/node/node-crypto.ts) checked against the noble provider on
 * the same inputs: equal outputs where the operation is deterministic, each one's output
 * accepted by the other where it is not (ECDSA), and a real node:tls client completing
 * handshakes with a server that uses it.
 */

/** Plain Uint8Arrays: a Buffer's slice is a view, and flipBit copies with slice. */
const randomBytes = (n: number): Uint8Array => new Uint8Array(nodeRandomBytes(n));

const noble = new NobleCryptoProvider();
const node = new NodeCryptoProvider();
/** Hashes and HMACs through node:crypto's createHash / createHmac (the default keeps them on noble). */
const nodeOpenSslHashing = new NodeCryptoProvider({ hashing: 'openssl' });
const PROVIDERS: Array<[string, CryptoProvider]> = [
  ['noble', noble],
  ['node:crypto', node],
  ["node:crypto, hashing: 'openssl'", nodeOpenSslHashing],
];
/** Every AES-GCM record through OpenSSL (the default sends those of up to 256 bytes to gcm.ts). */
const nodeOpenSslRecords = new NodeCryptoProvider({ smallRecords: 'openssl' });
/** The node:crypto provider's two ways of sealing small AES-GCM records, each checked against noble. */
const NODE_RECORDS: Array<[string, CryptoProvider]> = [
  ['default small records', node],
  ["smallRecords: 'openssl'", nodeOpenSslRecords],
];
/** The node:crypto provider's two ways of hashing, each checked against noble. */
const NODE_HASHING: Array<[string, CryptoProvider]> = [
  ['default hashing', node],
  ["hashing: 'openssl'", nodeOpenSslHashing],
];

describe('NodeCryptoProvider against the noble provider', () => {
  it('randomBytes: the lengths asked for, different every time, the caller\'s own plain Uint8Array', () => {
    for (const n of [0, 1, 28, 32, 4096, 5000]) {
      const a = node.randomBytes(n);
      const b = node.randomBytes(n);
      assert.equal(a.length, n);
      assert.equal(Object.getPrototypeOf(a), Uint8Array.prototype);
      if (n >= 16) assert.notEqual(hex(a), hex(b));
    }
  });

  it("hashing and smallRecords: anything but 'javascript' or 'openssl' is refused when the provider is made", () => {
    assert.throws(() => new NodeCryptoProvider({ hashing: 'md5' as never }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => new NodeCryptoProvider({ smallRecords: 'wasm' as never }), { code: 'ERR_INVALID_ARG_VALUE' });
  });

  it('AES-GCM split by record size: no KeyObject until the first record over 256 bytes; the waiting key copy is wiped then, or at dispose', () => {
    interface Split {
      large: unknown;
      pendingKey: Uint8Array | undefined;
    }
    for (const algorithm of ['aes-128-gcm', 'aes-256-gcm'] as const) {
      const key = randomBytes(algorithm === 'aes-128-gcm' ? 16 : 32);
      const expected = noble.aead(algorithm, key);
      const split = node.aead(algorithm, key);
      const inside = split as unknown as Split;
      const pending = inside.pendingKey!;
      assert.equal(hex(pending), hex(key), `${algorithm}: the key waits`);
      for (const n of [0, 16, 255, 256]) {
        const nonce = randomBytes(12);
        const plaintext = randomBytes(n);
        const sealed = split.seal(nonce, randomBytes(0), plaintext);
        assert.equal(hex(sealed), hex(expected.seal(nonce, randomBytes(0), plaintext)), `${algorithm}: ${n} bytes`);
        assert.equal(hex(split.open(nonce, randomBytes(0), sealed)!), hex(plaintext));
      }
      assert.equal(inside.large, undefined, `${algorithm}: records of up to 256 bytes make no KeyObject`);
      const nonce = randomBytes(12);
      const long = randomBytes(257);
      assert.equal(hex(split.seal(nonce, randomBytes(0), long)), hex(expected.seal(nonce, randomBytes(0), long)), `${algorithm}: 257 bytes`);
      assert.notEqual(inside.large, undefined, `${algorithm}: a record of 257 bytes goes to OpenSSL`);
      assert.equal(inside.pendingKey, undefined);
      assert.ok(pending.every((b) => b === 0), `${algorithm}: the waiting copy is wiped once the KeyObject holds the key`);

      const unused = node.aead(algorithm, key);
      const unusedPending = (unused as unknown as Split).pendingKey!;
      unused.dispose?.();
      assert.ok(unusedPending.every((b) => b === 0), `${algorithm}: dispose wipes a key copy that never became a KeyObject`);
      for (const n of [1, 300]) assert.throws(() => unused.seal(randomBytes(12), randomBytes(0), randomBytes(n)), /used after dispose/, `${algorithm}: ${n} bytes after dispose`);
    }
    // ChaCha20-Poly1305 and smallRecords: 'openssl' are OpenSSL's for every record.
    assert.equal((node.aead('chacha20-poly1305', randomBytes(32)) as unknown as Split).pendingKey, undefined);
    assert.equal((nodeOpenSslRecords.aead('aes-128-gcm', randomBytes(16)) as unknown as Split).pendingKey, undefined);
  });

  for (const [how, provider] of NODE_HASHING) it(`running hashes (${how}): the same digests between updates, and clones that run on alone`, () => {
    for (const algorithm of ['sha256', 'sha384'] as const satisfies readonly HashAlgorithm[]) {
      const a = noble.hash(algorithm);
      const b = provider.hash(algorithm);
      for (let i = 0; i < 20; i++) {
        const data = randomBytes(i * 13);
        a.update(data);
        b.update(data);
        assert.equal(hex(b.digest()), hex(a.digest()), `${algorithm} after ${i}`);
        const fa = a.clone();
        const fb = b.clone();
        fa.update(data);
        fb.update(data);
        assert.equal(hex(fb.digest()), hex(fa.digest()), `${algorithm} clone ${i}`);
      }
    }
  });

  for (const [how, provider] of NODE_HASHING) it(`HMAC (${how}): the same MACs for keys shorter and longer than the block, and several parts`, () => {
    for (const algorithm of ['sha256', 'sha384'] as const satisfies readonly HashAlgorithm[]) {
      for (const k of [0, 13, 32, 48, 64, 128, 129, 200]) {
        const key = randomBytes(k);
        const a = noble.hmac(algorithm, key);
        const b = provider.hmac(algorithm, key);
        assert.equal(b.outputLength, a.outputLength);
        for (const parts of [[], [randomBytes(32)], [randomBytes(32), randomBytes(13), randomBytes(64)], [randomBytes(200)]]) {
          assert.equal(hex(b.mac(...parts)), hex(a.mac(...parts)), `${algorithm}, key ${k}, ${parts.length} parts`);
        }
      }
    }
  });

  it('HMAC keys are the provider\'s own copy: changing the caller\'s Buffer afterwards changes no MAC', () => {
    for (const [name, p] of PROVIDERS) {
      const key = nodeRandomBytes(32); // a Buffer, whose slice() is a view
      const mac = p.hmac('sha256', key);
      const before = hex(mac.mac(Uint8Array.of(1, 2, 3)));
      key.fill(0);
      assert.equal(hex(mac.mac(Uint8Array.of(1, 2, 3))), before, name);
    }
  });

  for (const algorithm of ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305'] as const satisfies readonly AeadAlgorithm[]) for (const [how, provider] of NODE_RECORDS) {
    it(`${algorithm} (${how}): the same sealed bytes, each opens what the other sealed, both refuse tampering`, () => {
      const key = randomBytes(algorithm === 'aes-128-gcm' ? 16 : 32);
      const a = noble.aead(algorithm, key);
      const b = provider.aead(algorithm, key);
      for (const n of [0, 1, 15, 16, 17, 100, 255, 256, 257, 1024, 1025, 16384, 200]) {
        const nonce = randomBytes(12);
        const aad = randomBytes(13);
        const plaintext = randomBytes(n);
        const sealedA = a.seal(nonce, aad, plaintext);
        const sealedB = b.seal(nonce, aad, plaintext);
        assert.equal(hex(sealedB), hex(sealedA), `seal, length ${n}`);
        // The same sealing with node's buffers left as they are (a long record's pieces).
        const detached = b.sealDetached!(nonce, aad, plaintext);
        assert.equal(detached.ciphertext.length, n, `sealDetached's ciphertext, length ${n}`);
        assert.equal(hex(detached.ciphertext) + hex(detached.tag), hex(sealedA), `sealDetached, length ${n}`);
        const opened = b.open(nonce, aad, sealedA)!;
        assert.equal(hex(opened), hex(plaintext), `node opens noble's, length ${n}`);
        if (n > 0) assert.ok(opened.byteOffset === 0 && opened.buffer.byteLength === n, `the plaintext is an array of its own, length ${n}`);
        assert.equal(hex(a.open(nonce, aad, sealedB)!), hex(plaintext), `noble opens node's, length ${n}`);
        for (const [name, p] of [['noble', a], ['node', b]] as const) {
          assert.equal(p.open(nonce, aad, flipBit(sealedA, n % sealedA.length)), null, `${name}: tampered, length ${n}`);
          assert.equal(p.open(nonce, flipBit(aad, 3), sealedA), null, `${name}: other AAD, length ${n}`);
          assert.equal(p.open(nonce, aad, sealedA.subarray(0, 15)), null, `${name}: shorter than a tag`);
        }
      }
      b.dispose?.();
      assert.throws(() => b.seal(randomBytes(12), new Uint8Array(0), new Uint8Array(1)), /key used after dispose/);
      assert.throws(() => provider.aead(algorithm, new Uint8Array(algorithm === 'aes-128-gcm' ? 32 : 16)), RangeError);
    });
  }

  for (const group of ['x25519', 'secp256r1', 'secp384r1'] as const satisfies readonly EcdheGroup[]) {
    it(`${group}: from the same random bytes, the same public key and the same shared secrets, both ways`, () => {
      for (let i = 0; i < 5; i++) {
        const seed = `ecdhe ${group} ${i}`;
        // Ephemeral keys are single-use (wiped by their agreement): the same seed makes the same key again.
        const nobleKey = (): ReturnType<CryptoProvider['generateEphemeralKey']> => new NobleCryptoProvider({ randomBytes: seededRandom(seed) }).generateEphemeralKey(group);
        const nodeKey = (): ReturnType<CryptoProvider['generateEphemeralKey']> => new NodeCryptoProvider({ randomBytes: seededRandom(seed) }).generateEphemeralKey(group);
        assert.equal(hex(nodeKey().publicKey), hex(nobleKey().publicKey), `public key ${i}`);
        const peerA = (): ReturnType<CryptoProvider['generateEphemeralKey']> => new NobleCryptoProvider({ randomBytes: seededRandom(`peer ${seed}`) }).generateEphemeralKey(group);
        const peerB = (): ReturnType<CryptoProvider['generateEphemeralKey']> => new NodeCryptoProvider({ randomBytes: seededRandom(`peer ${seed}`) }).generateEphemeralKey(group);
        const s1 = nobleKey().agree(peerB().publicKey)!;
        assert.equal(hex(nodeKey().agree(peerB().publicKey)!), hex(s1), `shared with a node peer ${i}`);
        assert.equal(hex(peerB().agree(nobleKey().publicKey)!), hex(s1), `the node peer's side ${i}`);
        assert.equal(hex(peerA().agree(nodeKey().publicKey)!), hex(s1), `the noble peer's side ${i}`);
        const used = nodeKey();
        assert.ok(used.agree(peerA().publicKey));
        assert.equal(used.agree(peerA().publicKey), null, 'a second agreement with the same key is refused');
      }
    });

    it(`${group}: both refuse the same bad peer values`, () => {
      const bad: Uint8Array[] = [new Uint8Array(0), new Uint8Array(31), randomBytes(100)];
      if (group === 'x25519') {
        bad.push(new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))); // low order: all-zero result
      } else {
        const curve = group === 'secp256r1' ? p256 : p384;
        const point = curve.getPublicKey(curve.utils.randomSecretKey(), false);
        bad.push(flipBit(point, point.length - 1)); // off the curve
        bad.push(curve.getPublicKey(curve.utils.randomSecretKey(), true)); // compressed: RFC 8422 §5.1.2
        const infinity = new Uint8Array(point.length);
        infinity[0] = 4;
        bad.push(infinity);
      }
      for (const [name, p] of PROVIDERS) {
        // A fresh key for each: a key is used by one agreement at most, so reusing one would prove nothing.
        for (const peer of bad) assert.equal(p.generateEphemeralKey(group).agree(peer), null, `${name}: ${hex(peer).slice(0, 20)}...`);
      }
    });
  }

  for (const curve of ['P-256', 'P-384'] as const satisfies readonly EcdsaCurve[]) {
    it(`ECDSA ${curve}: each verifies the other's signatures with every hash; both refuse a changed message or signature`, () => {
      const impl = curve === 'P-256' ? p256 : p384;
      const secret = impl.utils.randomSecretKey();
      const uncompressed = impl.getPublicKey(secret, false);
      const compressed = impl.getPublicKey(secret, true);
      const signers = PROVIDERS.map(([name, p]) => [name, p.ecdsaSigningKey(curve, secret)] as const);
      for (const hash of ['sha1', 'sha256', 'sha384', 'sha512'] as const satisfies readonly SignatureHash[]) {
        const message = randomBytes(300);
        for (const [signerName, signer] of signers) {
          assert.equal(signer.curve, curve);
          const signature = signer.sign(hash, message);
          for (const [verifierName, verifier] of PROVIDERS) {
            const what = `${signerName} signs, ${verifierName} verifies, ${hash}`;
            assert.equal(verifier.ecdsaVerify(curve, uncompressed, hash, message, signature), true, what);
            assert.equal(verifier.ecdsaVerify(curve, compressed, hash, message, signature), true, `${what}, compressed key`);
            assert.equal(verifier.ecdsaVerify(curve, uncompressed, hash, flipBit(message, 10), signature), false, `${what}, other message`);
            assert.equal(verifier.ecdsaVerify(curve, uncompressed, hash, message, flipBit(signature, signature.length - 2)), false, `${what}, changed signature`);
            assert.equal(verifier.ecdsaVerify(curve, uncompressed, hash === 'sha1' ? 'sha256' : 'sha1', message, signature), false, `${what}, other hash`);
            assert.equal(verifier.ecdsaVerify(curve, flipBit(uncompressed, 40), hash, message, signature), false, `${what}, key off the curve`);
            assert.equal(verifier.ecdsaVerify(curve, uncompressed, hash, message, randomBytes(20)), false, `${what}, garbage`);
          }
        }
      }
    });
  }
});

describe('NodeCryptoProvider against the noble provider: RSA and EdDSA', function () {
  this.timeout(60_000);
  const RSA_SCHEMES = ['rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pss_rsae_sha512', 'rsa_pkcs1_sha256', 'rsa_pkcs1_sha384', 'rsa_pkcs1_sha512'] as const;

  it('RSA-2048: each provider verifies the other\'s signatures for every scheme; both refuse a changed message, signature or scheme', () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const key = loadAnyPrivateKey(pem);
    assert.equal(key.type, 'RSA');
    if (key.type !== 'RSA') return;
    const signers = PROVIDERS.map(([name, p]) => [name, p.rsaSigningKey(key)] as const);
    for (const scheme of RSA_SCHEMES) {
      const message = randomBytes(200);
      for (const [signerName, signer] of signers) {
        assert.equal(signer.bits, 2048);
        const signature = signer.sign(scheme, message);
        for (const [verifierName, verifier] of PROVIDERS) {
          const what = `${signerName} signs, ${verifierName} verifies, ${scheme}`;
          assert.equal(verifier.rsaVerify(key.publicKey, scheme, message, signature), true, what);
          assert.equal(verifier.rsaVerify(key.publicKey, scheme, flipBit(message, 3), signature), false, `${what}, other message`);
          assert.equal(verifier.rsaVerify(key.publicKey, scheme, message, flipBit(signature, 100)), false, `${what}, changed signature`);
          const other = scheme.startsWith('rsa_pss') ? scheme.replace('rsa_pss_rsae', 'rsa_pkcs1') : scheme.replace('rsa_pkcs1', 'rsa_pss_rsae');
          assert.equal(verifier.rsaVerify(key.publicKey, other as (typeof RSA_SCHEMES)[number], message, signature), false, `${what}, other padding`);
          assert.equal(verifier.rsaVerify(randomBytes(40), scheme, message, signature), false, `${what}, garbage key`);
        }
      }
    }
  });

  for (const algorithm of ['Ed25519', 'Ed448'] as const) {
    it(`${algorithm}: the same public key and the same (deterministic) signatures; both refuse a changed message or signature`, () => {
      const secret = randomBytes(algorithm === 'Ed25519' ? 32 : 57);
      const [a, b] = PROVIDERS.map(([, p]) => p.eddsaSigningKey(algorithm, secret)) as [ReturnType<CryptoProvider['eddsaSigningKey']>, ReturnType<CryptoProvider['eddsaSigningKey']>];
      assert.equal(hex(a.publicKey), hex(b.publicKey));
      const message = randomBytes(300);
      const signature = a.sign(message);
      assert.equal(hex(b.sign(message)), hex(signature), 'PureEdDSA is deterministic');
      for (const [name, p] of PROVIDERS) {
        assert.equal(p.eddsaVerify(algorithm, a.publicKey, message, signature), true, name);
        assert.equal(p.eddsaVerify(algorithm, a.publicKey, flipBit(message, 1), signature), false, `${name}, other message`);
        assert.equal(p.eddsaVerify(algorithm, a.publicKey, message, flipBit(signature, 5)), false, `${name}, changed signature`);
        assert.equal(p.eddsaVerify(algorithm, randomBytes(3), message, signature), false, `${name}, garbage key`);
      }
    });
  }
});

/**
 * With the node:crypto provider a record over 4 KiB is queued as header, node's ciphertext
 * and tag (Aead.sealDetached) and leaves through takeOutputPieces uncopied; the bytes are
 * those takeOutput joins, and the client opens them.
 */
describe('takeOutputPieces: long records in pieces with the node:crypto provider', () => {
  const cert = testCertificate('P-256');

  function established(crypto: CryptoProvider): { server: ServerConnection; client: TlsClient } {
    const server = new ServerConnection(new TlsContext({ key: cert.keyPem, cert: cert.certPem, crypto }));
    const client = new TlsClient({ cipherSuites: [Suite.AES128_GCM] });
    server.receive(client.start());
    const flight = server.takeOutputPieces()!;
    assert.equal(flight.length, 1, 'a flight of short records is one piece');
    client.receive(flight[0]!);
    server.receive(client.takeOutput()!);
    client.receive(server.takeOutput()!);
    assert.ok(server.handshakeComplete && client.handshakeComplete, server.error?.message);
    return { server, client };
  }

  const lengths = (pieces: Uint8Array[]): number[] => pieces.map((p) => p.length);

  it("node:crypto: a record over 4 KiB as header, node's own ciphertext buffer and tag; shorter records joined; the client reads it all", () => {
    const { server, client } = established(node);
    const given: Uint8Array[] = [];
    const allocate = (n: number): Uint8Array => {
      const b = new Uint8Array(n).fill(0xee); // unzeroed, as a pool's
      given.push(b);
      return b;
    };
    // 16,384 + 3,616 bytes: a detached record, then a sealed one of 3,645 bytes with its tag before it.
    const data = randomBytes(20_000);
    server.write(data);
    const pieces = server.takeOutputPieces(allocate)!;
    assert.deepEqual(lengths(pieces), [13, 16_384, 16 + 3_645]);
    assert.ok(Buffer.isBuffer(pieces[1]) && pieces[1].byteOffset === 0 && pieces[1].buffer.byteLength >= 16_384, "the ciphertext is node's own buffer");
    assert.deepEqual([pieces[0], pieces[2]], given, 'the short runs are in the allocated buffers');
    client.receive(Buffer.concat(pieces));
    assert.equal(hex(client.takePlaintext()), hex(data));
    // Exactly 4 KiB and less is sealed in place; then a write of three detached records back to back.
    for (const n of [4_096, 4_097, 40_000]) {
      const more = randomBytes(n);
      server.write(more);
      const out = server.takeOutputPieces()!;
      const expected = n === 4_096 ? [4_125] : n === 4_097 ? [13, 4_097, 16] : [13, 16_384, 16 + 13, 16_384, 16 + 13, 7_232, 16];
      assert.deepEqual(lengths(out), expected, `${n} bytes written`);
      client.receive(Buffer.concat(out));
      assert.equal(hex(client.takePlaintext()), hex(more), `${n} bytes written`);
    }
    assert.equal(server.takeOutputPieces(), undefined);
    // takeOutput joins the same pieces into one buffer.
    const joined = randomBytes(20_000);
    server.write(joined);
    const whole = server.takeOutput()!;
    assert.equal(whole.length, 13 + 16_384 + 16 + 3_645);
    client.receive(whole);
    assert.equal(hex(client.takePlaintext()), hex(joined));
    assert.equal(server.error, undefined);
  });

  it('the noble provider: long records whole, as takeOutput gives them', () => {
    const { server, client } = established(noble);
    const data = randomBytes(20_000);
    server.write(data);
    const pieces = server.takeOutputPieces()!;
    assert.deepEqual(lengths(pieces), [16_384 + 29, 3_616 + 29]);
    client.receive(Buffer.concat(pieces));
    assert.equal(hex(client.takePlaintext()), hex(data));
  });
});

describe('NodeCryptoProvider behind a real server, with node:tls clients', () => {
  const running: RunningServer[] = [];
  after(async () => {
    for (const r of running) await r.close();
  });

  async function serverWith(
    curve: 'P-256' | 'P-384',
    options: { tickets?: boolean; hashing?: 'javascript' | 'openssl'; smallRecords?: 'javascript' | 'openssl' } = {},
  ): Promise<RunningServer & { resumedBy: Array<string | undefined> }> {
    const cert = testCertificate(curve);
    const context = new TlsContext({
      key: cert.keyPem,
      cert: cert.certPem,
      crypto: new NodeCryptoProvider({ ...(options.hashing ? { hashing: options.hashing } : {}), ...(options.smallRecords ? { smallRecords: options.smallRecords } : {}) }),
      sessionIdContext: 'node-crypto test',
      ...(options.tickets === false ? { tickets: false } : {}),
    });
    const resumedBy: Array<string | undefined> = [];
    const r = await startServer({ context }, (socket: TlsSocket) => {
      resumedBy.push(socket.connection.negotiated!.resumedBy);
      socket.on('data', (d: Buffer) => socket.write(d)); // a plain echo
    });
    running.push(r);
    return Object.assign(r, { resumedBy });
  }

  function connect(port: number, options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
    const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.2', ...options });
    return new Promise((resolve, reject) => {
      client.once('secureConnect', () => resolve(client));
      client.once('error', reject);
    });
  }

  /** Writes `bytes` and reads until as many came back. */
  async function echo(client: tls.TLSSocket, bytes: Buffer): Promise<Buffer> {
    client.write(bytes);
    const chunks: Buffer[] = [];
    let n = 0;
    while (n < bytes.length) {
      const [data] = (await once(client, 'data')) as [Buffer];
      chunks.push(data);
      n += data.length;
    }
    return Buffer.concat(chunks);
  }

  const CASES = [
    { suite: 'ECDHE-ECDSA-AES128-GCM-SHA256', ecdhCurve: 'X25519:P-256', cert: 'P-256', group: 'X25519', smallRecords: 'javascript' },
    { suite: 'ECDHE-ECDSA-AES128-GCM-SHA256', ecdhCurve: 'X25519:P-256', cert: 'P-256', group: 'X25519', smallRecords: 'openssl' },
    { suite: 'ECDHE-ECDSA-AES256-GCM-SHA384', ecdhCurve: 'P-256', cert: 'P-256', group: 'prime256v1', smallRecords: 'javascript' },
    { suite: 'ECDHE-ECDSA-CHACHA20-POLY1305', ecdhCurve: 'P-384', cert: 'P-384', group: 'secp384r1', smallRecords: 'javascript' },
  ] as const;

  for (const c of CASES) {
    it(`${c.suite} over ${c.group} with a ${c.cert} certificate, small records on ${c.smallRecords}: handshake, data both ways, close`, async () => {
      const r = await serverWith(c.cert, { smallRecords: c.smallRecords });
      const client = await connect(r.port, { ciphers: c.suite, ecdhCurve: c.ecdhCurve });
      assert.equal(client.getCipher().name, c.suite);
      assert.equal(client.getEphemeralKeyInfo() && (client.getEphemeralKeyInfo() as { name: string }).name, c.group);
      assert.equal((await echo(client, Buffer.from('hello'))).toString(), 'hello');
      const big = nodeRandomBytes(100_000); // several full records each way
      assert.ok((await echo(client, big)).equals(big));
      client.end();
      await once(client, 'close');
    });
  }

  it("resumption by session ID and by ticket, with the node:crypto provider on both handshakes, hashing on noble and with hashing: 'openssl'", async () => {
    for (const [tickets, hashing] of [[false, 'javascript'], [true, 'javascript'], [false, 'openssl'], [true, 'openssl']] as const) {
      const r = await serverWith('P-256', { tickets, hashing });
      const first = await connect(r.port, { ecdhCurve: 'X25519:P-256' });
      await echo(first, Buffer.from('one'));
      const session = first.getSession();
      first.end();
      await once(first, 'close');
      assert.ok(session, 'the client got a session');
      const second = await connect(r.port, { ecdhCurve: 'X25519:P-256', session });
      assert.equal(second.isSessionReused(), true, `${tickets ? 'ticket' : 'session ID'}, hashing ${hashing}`);
      assert.equal((await echo(second, Buffer.from('two'))).toString(), 'two');
      assert.deepEqual(r.resumedBy, [undefined, tickets ? 'ticket' : 'session-id'], 'what the server resumed by');
      second.end();
      await once(second, 'close');
    }
  });

  it('is what `puretls/node-crypto` exports (the package subpath)', async () => {
    const spec = 'puretls/node-crypto';
    const mod = (await import(spec)) as { NodeCryptoProvider: unknown };
    assert.equal(mod.NodeCryptoProvider, NodeCryptoProvider);
  });
});
