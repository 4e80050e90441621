/**
 * RSA signing and verification (src/crypto/rsa.ts through the noble provider) against
 * node:crypto (OpenSSL): every TLS scheme at 2048, 3072 and 4096 bits, both directions; the
 * blinding is fresh for every signature; a faulty CRT half is never returned.
 */
import assert from 'node:assert/strict';
import nodeCrypto, { type KeyObject } from 'node:crypto';
import { before, describe, it } from 'mocha';
import { sequence, uintBytes } from '../../src/codec/der.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import { RSA_SCHEME_PADDING, type RsaPrivateKeyParts, type RsaSignatureScheme } from '../../src/crypto/provider.js';
import {
  RSA_BLINDING_BATCH,
  RSA_EXPONENT_BLINDING_BITS,
  RsaCrtSigner,
  bigIntToBytes,
  bytesToBigInt,
  emsaPkcs1Encode,
  modPow,
  rsaDigest,
  rsaPrivateKeyProblem,
  rsaPublicKeyProblem,
  type RsaBlindedOperation,
} from '../../src/crypto/rsa.js';
import { TlsError } from '../../src/errors.js';

const provider = new NobleCryptoProvider();
const SCHEMES: RsaSignatureScheme[] = [
  'rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pss_rsae_sha512',
  'rsa_pkcs1_sha256', 'rsa_pkcs1_sha384', 'rsa_pkcs1_sha512',
];
const SIZES = [2048, 3072, 4096] as const;

interface NodeKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  parts: RsaPrivateKeyParts;
  /** DER RSAPublicKey, as a certificate carries it. */
  publicDer: Uint8Array;
}

function nodeKey(bits: number): NodeKey {
  const { privateKey, publicKey } = nodeCrypto.generateKeyPairSync('rsa', { modulusLength: bits });
  const jwk = privateKey.export({ format: 'jwk' });
  const int = (s: string | undefined): bigint => bytesToBigInt(Buffer.from(s!, 'base64url'));
  const parts: RsaPrivateKeyParts = {
    n: int(jwk.n), e: int(jwk.e), d: int(jwk.d), p: int(jwk.p), q: int(jwk.q), dp: int(jwk.dp), dq: int(jwk.dq), qInv: int(jwk.qi),
  };
  return { privateKey, publicKey, parts, publicDer: publicKey.export({ format: 'der', type: 'pkcs1' }) };
}

/** node:crypto's options for a scheme: PSS with MGF1 of the same hash and a salt as long as the hash (RFC 8446 §4.2.3). */
function nodeOptions(scheme: RsaSignatureScheme, key: KeyObject): { hash: string; key: nodeCrypto.VerifyKeyObjectInput } {
  const padding = RSA_SCHEME_PADDING[scheme];
  return padding.kind === 'pss'
    ? { hash: padding.hash, key: { key, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: padding.saltLength } }
    : { hash: padding.hash, key: { key, padding: nodeCrypto.constants.RSA_PKCS1_PADDING } };
}

const keys = new Map<number, NodeKey>();
const key = (bits: number): NodeKey => keys.get(bits)!;

describe('crypto/rsa: signatures against node:crypto', function () {
  this.timeout(60_000);
  before(() => {
    for (const bits of SIZES) keys.set(bits, nodeKey(bits));
  });

  for (const bits of SIZES) {
    for (const scheme of SCHEMES) {
      it(`RSA-${bits} ${scheme}: ours verified by node:crypto, node:crypto's verified by ours`, () => {
        const k = key(bits);
        const message = nodeCrypto.randomBytes(300);
        const signer = provider.rsaSigningKey(k.parts);
        assert.equal(signer.bits, bits);
        const ours = signer.sign(scheme, message);
        assert.equal(ours.length, bits / 8);
        const { hash, key: verifyKey } = nodeOptions(scheme, k.publicKey);
        assert.equal(nodeCrypto.verify(hash, message, verifyKey, ours), true, 'node:crypto refuses our signature');
        assert.equal(provider.rsaVerify(k.publicDer, scheme, message, ours), true);

        const theirs = nodeCrypto.sign(hash, message, { ...nodeOptions(scheme, k.privateKey).key, key: k.privateKey } as nodeCrypto.SignKeyObjectInput);
        assert.equal(provider.rsaVerify(k.publicDer, scheme, message, theirs), true, 'we refuse node:crypto\'s signature');
        // ...and only for this message, this key and this scheme.
        const tampered = Uint8Array.from(theirs);
        tampered[tampered.length - 1]! ^= 1;
        assert.equal(provider.rsaVerify(k.publicDer, scheme, message, tampered), false);
        assert.equal(provider.rsaVerify(k.publicDer, scheme, message.subarray(1), theirs), false);
        const other = SCHEMES.find((s) => s !== scheme && RSA_SCHEME_PADDING[s].hash === RSA_SCHEME_PADDING[scheme].hash)!;
        assert.equal(provider.rsaVerify(k.publicDer, other, message, theirs), false, `also verified as ${other}`);
        const otherKey = key(bits === 2048 ? 3072 : 2048);
        assert.equal(provider.rsaVerify(otherKey.publicDer, scheme, message, theirs), false);
      });
    }
  }

  it('PSS: a certificate\'s salt lengths other than the hash length verify (0, 20, and the maximum 222)', () => {
    const k = key(2048);
    const message = new TextEncoder().encode('tbs');
    for (const saltLength of [0, 20, 222]) {
      const sig = nodeCrypto.sign('sha256', message, { key: k.privateKey, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength });
      assert.equal(provider.rsaVerify(k.publicDer, { kind: 'pss', hash: 'sha256', mgf1Hash: 'sha256', saltLength }, message, sig), true, `salt ${saltLength}`);
      assert.equal(provider.rsaVerify(k.publicDer, 'rsa_pss_rsae_sha256', message, sig), saltLength === 32);
    }
  });

  it('moduli whose size is not a multiple of 8 (2049, 2050, 2055 bits: the PSS encoding is one byte shorter or has spare top bits)', () => {
    for (const bits of [2049, 2050, 2055]) {
      const k = nodeKey(bits);
      for (const scheme of ['rsa_pss_rsae_sha512', 'rsa_pkcs1_sha256'] as const) {
        const message = nodeCrypto.randomBytes(40);
        const ours = provider.rsaSigningKey(k.parts).sign(scheme, message);
        const { hash, key: verifyKey } = nodeOptions(scheme, k.publicKey);
        assert.equal(nodeCrypto.verify(hash, message, verifyKey, ours), true, `${bits} ${scheme}`);
        const theirs = nodeCrypto.sign(hash, message, { ...nodeOptions(scheme, k.privateKey).key, key: k.privateKey } as nodeCrypto.SignKeyObjectInput);
        assert.equal(provider.rsaVerify(k.publicDer, scheme, message, theirs), true, `${bits} ${scheme}`);
      }
    }
  });

  it('PSS salts are random: two signatures of one message differ, and both verify', () => {
    const k = key(2048);
    const signer = provider.rsaSigningKey(k.parts);
    const message = new Uint8Array(64);
    const a = signer.sign('rsa_pss_rsae_sha256', message);
    const b = signer.sign('rsa_pss_rsae_sha256', message);
    assert.notDeepEqual(a, b);
    for (const sig of [a, b]) {
      assert.equal(nodeCrypto.verify('sha256', message, { key: k.publicKey, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig), true);
    }
  });

  it('verification refuses malformed input without throwing', () => {
    const k = key(2048);
    const message = new Uint8Array(10);
    const sig = provider.rsaSigningKey(k.parts).sign('rsa_pkcs1_sha256', message);
    assert.equal(provider.rsaVerify(k.publicDer, 'rsa_pkcs1_sha256', message, sig), true);
    assert.equal(provider.rsaVerify(k.publicDer, 'rsa_pkcs1_sha256', message, sig.subarray(1)), false, 'short signature');
    assert.equal(provider.rsaVerify(k.publicDer, 'rsa_pkcs1_sha256', message, new Uint8Array(256).fill(0xff)), false, 'signature >= n');
    assert.equal(provider.rsaVerify(k.publicDer.subarray(1), 'rsa_pkcs1_sha256', message, sig), false, 'public key not DER');
    assert.equal(provider.rsaVerify(k.publicDer, 'rsa_pkcs1_sha1' as RsaSignatureScheme, message, sig), false, 'SHA-1 is no scheme of ours');
    assert.equal(provider.rsaVerify(k.publicDer, { kind: 'pss', hash: 'sha256', mgf1Hash: 'sha256', saltLength: 300 }, message, sig), false);
  });

  it('public keys outside OpenSSL\'s limits are refused: size, parity, a long exponent with a modulus above 3072 bits', () => {
    const n4096 = key(4096).parts.n;
    const n3072 = key(3072).parts.n;
    const long = (1n << 64n) + 1n; // 65 bits
    assert.equal(rsaPublicKeyProblem({ n: n4096, e: 65537n }), undefined);
    assert.match(rsaPublicKeyProblem({ n: n4096, e: long }) ?? 'none', /exponent of 65 bits/);
    assert.equal(rsaPublicKeyProblem({ n: n3072, e: long }), undefined);
    assert.match(rsaPublicKeyProblem({ n: n4096, e: 65536n }) ?? 'none', /even/);
    assert.match(rsaPublicKeyProblem({ n: n4096, e: 1n }) ?? 'none', /below 3/);
    assert.match(rsaPublicKeyProblem({ n: (1n << 8192n) + 1n, e: 3n }) ?? 'none', /8193 bits/);
    assert.equal(rsaPublicKeyProblem({ n: (1n << 8191n) + 1n, e: 3n }), undefined);
    assert.match(rsaPublicKeyProblem({ n: (1n << 510n) + 1n, e: 3n }) ?? 'none', /511 bits/);
    // Through the provider: the DER of such a key, and a signature that would otherwise be checked.
    const der = sequence(uintBytes(bigIntToBytes(n4096, 512)), uintBytes(bigIntToBytes(long, 9)));
    assert.equal(provider.rsaVerify(der, 'rsa_pkcs1_sha256', new Uint8Array(1), new Uint8Array(512).fill(1)), false);
  });
});

describe('crypto/rsa: blinding and fault checks', function () {
  this.timeout(60_000);
  before(() => {
    if (!keys.has(2048)) keys.set(2048, nodeKey(2048));
  });

  const random = (n: number): Uint8Array => new Uint8Array(nodeCrypto.randomBytes(n));

  it('every signature of the same input goes through a different blinded message and blinded exponents', () => {
    const k = key(2048);
    const seen: RsaBlindedOperation[] = [];
    const signer = new RsaCrtSigner(k.parts, random, { observe: (op) => seen.push(op) });
    const message = new TextEncoder().encode('the same input each time');
    // PKCS#1 v1.5 is deterministic: same message representative, same signature...
    const signatures = Array.from({ length: 4 }, () => signer.sign('rsa_pkcs1_sha256', message));
    for (const s of signatures) assert.deepEqual(s, signatures[0]);
    // ...but the exponentiations saw four unrelated bases and exponents.
    assert.equal(seen.length, 4);
    const m = bytesToBigInt(emsaPkcs1Encode('sha256', rsaDigest('sha256', message), 256));
    for (const field of ['blindedMessage', 'blindedDp', 'blindedDq'] as const) {
      assert.equal(new Set(seen.map((op) => op[field])).size, 4, `${field} repeated`);
    }
    const { n, p, q, dp, dq } = k.parts;
    for (const op of seen) {
      assert.notEqual(op.blindedMessage, m);
      assert.ok(op.blindedMessage > 0n && op.blindedMessage < n);
      // Still the same exponents modulo p - 1 and q - 1, plus a multiple of up to 64 bits.
      assert.equal(op.blindedDp % (p - 1n), dp);
      assert.equal(op.blindedDq % (q - 1n), dq);
      assert.ok(op.blindedDp / (p - 1n) < 1n << BigInt(RSA_EXPONENT_BLINDING_BITS));
      // The private operation does not run on m itself: the base's d-th power is not m^d. (That
      // the base is m r^e for the drawn r cannot be seen from here: modulo n every value is m
      // times some e-th power.)
      assert.notEqual(modPow(op.blindedMessage, k.parts.d, n), modPow(m, k.parts.d, n));
    }
  });

  it(`blinding factors are drawn ${RSA_BLINDING_BATCH} at a time and used once: ${3 * RSA_BLINDING_BATCH + 1} signatures, all verified, no base repeated`, () => {
    const k = key(2048);
    const seen = new Set<bigint>();
    const signer = new RsaCrtSigner(k.parts, random, { observe: (op) => seen.add(op.blindedMessage) });
    const message = new Uint8Array(3);
    for (let i = 0; i < 3 * RSA_BLINDING_BATCH + 1; i++) {
      const sig = signer.sign('rsa_pkcs1_sha512', message);
      assert.equal(nodeCrypto.verify('sha512', message, k.publicKey, sig), true, `signature ${i}`);
    }
    assert.equal(seen.size, 3 * RSA_BLINDING_BATCH + 1);
  });

  it('the blinding comes from the provider\'s random source (a fixed source repeats it)', () => {
    const k = key(2048);
    const seen: RsaBlindedOperation[] = [];
    const fixed = (n: number): Uint8Array => new Uint8Array(n).fill(0x5a);
    const signer = new RsaCrtSigner(k.parts, fixed, { observe: (op) => seen.push(op) });
    signer.sign('rsa_pkcs1_sha256', new Uint8Array(1));
    signer.sign('rsa_pkcs1_sha256', new Uint8Array(1));
    assert.deepEqual(seen[0], seen[1]);
  });

  for (const half of ['p', 'q'] as const) {
    it(`a corrupted CRT half (mod ${half}) is never returned: signing throws`, () => {
      const k = key(2048);
      let corrupted = 0;
      const signer = new RsaCrtSigner(k.parts, random, {
        corrupt: (which, value) => {
          if (which !== half) return value;
          corrupted++;
          return value ^ 1n;
        },
      });
      for (const scheme of ['rsa_pss_rsae_sha256', 'rsa_pkcs1_sha256'] as const) {
        assert.throws(() => signer.sign(scheme, new Uint8Array(5)), (e: unknown) => e instanceof TlsError && e.reason === 'RSA_SIGNATURE_FAULT');
      }
      assert.equal(corrupted, 2);
      // The same hook returning the value unchanged: signing works (the check is not always failing).
      const honest = new RsaCrtSigner(k.parts, random, { corrupt: (_which, value) => value });
      const sig = honest.sign('rsa_pkcs1_sha256', new Uint8Array(5));
      assert.equal(nodeCrypto.verify('sha256', new Uint8Array(5), k.publicKey, sig), true);
    });
  }

  it('rsaPrivateKeyProblem finds inconsistent keys', () => {
    const good = key(2048).parts;
    assert.equal(rsaPrivateKeyProblem(good), undefined);
    const cases: [Partial<RsaPrivateKeyParts>, RegExp][] = [
      [{ n: good.n + 2n }, /product/],
      [{ e: good.e + 2n }, /e d is not 1/],
      [{ d: good.d + 1n }, /e d is not 1/],
      [{ dp: good.dp + 1n }, /first CRT exponent/],
      [{ dq: good.dq - 1n }, /second CRT exponent/],
      [{ qInv: good.qInv + 1n }, /CRT coefficient/],
      [{ q: good.p, n: good.p * good.p }, /equal/],
    ];
    for (const [change, problem] of cases) assert.match(rsaPrivateKeyProblem({ ...good, ...change }) ?? 'none', problem, JSON.stringify(Object.keys(change)));
  });
});
