import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, it } from 'mocha';
import { DerReader, bitString, explicit, octetString, oid, sequence, tlv, uint, uintBytes } from '../../src/codec/der.js';
import { decodePemBlocks, encodePem } from '../../src/codec/pem.js';
import { TlsConfigError, TlsDecodeError } from '../../src/errors.js';
import { seededRandom } from '../helpers/openssl.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import { keyMatchesCertificate, loadCertificateChain, parseCertificate, type CertificateInfo } from '../../src/pki/certificate.js';
import {
  loadAnyPrivateKey,
  loadPrivateKey,
  privateKeyToPem,
  rsaSignatureSchemes,
  type EcPrivateKey,
  type EddsaPrivateKey,
  type PrivateKey,
  type RsaPrivateKey,
} from '../../src/pki/keys.js';

const dir = mkdtempSync(join(tmpdir(), 'puretls-keys-'));
// Removed when the process exits, not in a root-level after() hook: several describes below share it.
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

function openssl(...args: string[]): Buffer {
  return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}
let counter = 0;
/** Runs openssl with `-out <fresh file>` and returns the file's text. */
function opensslOut(...args: string[]): string {
  const file = join(dir, `out${counter++}.pem`);
  openssl(...args, '-out', file);
  return readFileSync(file, 'utf8');
}
function write(pem: string): string {
  const file = join(dir, `in${counter++}.pem`);
  writeFileSync(file, pem);
  return file;
}

/** The EC point as OpenSSL exports it: the BIT STRING of `openssl ec -pubout -outform DER`. */
function opensslPublicPoint(keyFile: string): Uint8Array {
  const spki = new DerReader(new Uint8Array(openssl('ec', '-in', keyFile, '-pubout', '-outform', 'DER'))).sequence();
  spki.sequence();
  return spki.bitString();
}

/** An independent check through Node's crypto: the JWK's d, x and y. */
function assertSameAsNode(key: EcPrivateKey, pem: string): void {
  const jwk = createPrivateKey(pem).export({ format: 'jwk' });
  assert.equal(jwk.crv, key.curve);
  assert.deepEqual(Buffer.from(key.secret), Buffer.from(jwk.d!, 'base64url'));
  assert.deepEqual(Buffer.from(key.publicKey), Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]));
}

function assertUnsupported(pem: string | Uint8Array, message: RegExp): void {
  assert.throws(() => loadPrivateKey(pem), (e: unknown) => {
    assert.ok(e instanceof TlsConfigError, `expected TlsConfigError, got ${String(e)}`);
    assert.equal(e.code, 'ERR_UNSUPPORTED_KEY');
    assert.match(e.message, message);
    return true;
  });
}

function assertMalformed(pem: string | Uint8Array, message?: RegExp): void {
  assert.throws(() => loadPrivateKey(pem), (e: unknown) => {
    assert.ok(e instanceof TlsDecodeError, `expected TlsDecodeError, got ${String(e)}`);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const P256_ORDER = Uint8Array.from(Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex'));

describe('pki/keys: loadPrivateKey', () => {
  it('loads `openssl ecparam -genkey` output (SEC1 after an EC PARAMETERS block), P-256', () => {
    const pem = opensslOut('ecparam', '-name', 'prime256v1', '-genkey');
    assert.match(pem, /BEGIN EC PARAMETERS[\s\S]*BEGIN EC PRIVATE KEY/);
    const key = loadPrivateKey(pem);
    assert.equal(key.curve, 'P-256');
    assert.equal(key.secret.length, 32);
    assert.equal(key.publicKey.length, 65);
    assert.deepEqual(key.publicKey, opensslPublicPoint(write(pem)));
    assertSameAsNode(key, pem);
  });

  it('loads `openssl ecparam -genkey` output for P-384, given as bytes', () => {
    const pem = opensslOut('ecparam', '-name', 'secp384r1', '-genkey');
    const key = loadPrivateKey(new TextEncoder().encode(pem));
    assert.equal(key.curve, 'P-384');
    assert.deepEqual(key.publicKey, opensslPublicPoint(write(pem)));
    assertSameAsNode(key, pem);
  });

  for (const curve of ['P-256', 'P-384'] as const) {
    it(`loads \`openssl genpkey\` PKCS#8 output, ${curve}`, () => {
      const pem = opensslOut('genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`);
      assert.match(pem, /^-----BEGIN PRIVATE KEY-----/);
      const key = loadPrivateKey(pem);
      assert.equal(key.curve, curve);
      assert.equal(key.secret.length, curve === 'P-256' ? 32 : 48);
      assert.equal(key.publicKey.length, curve === 'P-256' ? 65 : 97);
      assert.deepEqual(key.publicKey, opensslPublicPoint(write(pem)));
      assertSameAsNode(key, pem);
    });
  }

  it('derives the public key when the file has none (`openssl ec -no_public`)', () => {
    const full = write(opensslOut('ecparam', '-name', 'prime256v1', '-genkey'));
    const bare = opensslOut('ec', '-in', full, '-no_public');
    // Make sure the fixture really lacks it: ECPrivateKey has just version, key, [0] parameters.
    const der = decodePemBlocks(bare).find((b) => b.label === 'EC PRIVATE KEY')!.der;
    const k = new DerReader(der).sequence();
    k.uint();
    k.octetString();
    assert.ok(k.explicit(0));
    assert.ok(k.atEnd());
    assert.deepEqual(loadPrivateKey(bare).publicKey, opensslPublicPoint(full));
  });

  it('derives the public key of a PKCS#8 key without one (`openssl pkcs8 -topk8` of a -no_public key)', () => {
    const full = write(opensslOut('ecparam', '-name', 'secp384r1', '-genkey'));
    const bare = write(opensslOut('ec', '-in', full, '-no_public'));
    const pkcs8 = opensslOut('pkcs8', '-topk8', '-nocrypt', '-in', bare);
    assert.deepEqual(loadPrivateKey(pkcs8).publicKey, opensslPublicPoint(full));
  });

  it('accepts a compressed public key in the file and returns it uncompressed', () => {
    const full = write(opensslOut('ecparam', '-name', 'prime256v1', '-genkey'));
    const compressed = opensslOut('ec', '-in', full, '-conv_form', 'compressed');
    const key = loadPrivateKey(compressed);
    assert.equal(key.publicKey[0], 4);
    assert.deepEqual(key.publicKey, opensslPublicPoint(full));
  });

  it('finds the key in a file that also holds a certificate', () => {
    const keyFile = join(dir, 'combined.key');
    const cert = opensslOut('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', keyFile, '-subj', '/CN=combined', '-days', '1');
    const keyPem = readFileSync(keyFile, 'utf8');
    assert.deepEqual(loadPrivateKey(cert + keyPem), loadPrivateKey(keyPem));
  });

  it('privateKeyToPem round-trips and OpenSSL reads it', () => {
    const pem = opensslOut('ecparam', '-name', 'secp384r1', '-genkey');
    const key = loadPrivateKey(pem);
    const again = privateKeyToPem(key);
    assert.deepEqual(loadPrivateKey(again), key);
    assert.deepEqual(opensslPublicPoint(write(again)), key.publicKey);
  });

  it('rejects RSA keys, PKCS#8 and traditional, with a message that says why', () => {
    const pkcs8 = opensslOut('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024');
    assertUnsupported(pkcs8, /^RSA keys are not supported: loadPrivateKey reads ECDSA keys \(P-256, P-384\); loadAnyPrivateKey also RSA/);
    const traditional = opensslOut('rsa', '-in', write(pkcs8), '-traditional');
    assert.match(traditional, /BEGIN RSA PRIVATE KEY/);
    assertUnsupported(traditional, /^RSA keys are not supported/);
  });

  it('rejects Ed25519 keys', () => {
    assertUnsupported(opensslOut('genpkey', '-algorithm', 'ed25519'), /^Ed25519 keys are not supported: loadPrivateKey reads ECDSA/);
  });

  it('rejects EC keys with explicit curve parameters (SEC1 and PKCS#8)', () => {
    const sec1 = opensslOut('ecparam', '-name', 'prime256v1', '-genkey', '-param_enc', 'explicit');
    assertUnsupported(sec1, /explicit curve parameters are not supported/);
    const pkcs8 = opensslOut('pkcs8', '-topk8', '-nocrypt', '-in', write(sec1));
    assertUnsupported(pkcs8, /explicit curve parameters are not supported/);
  });

  it('rejects EC keys on other curves, naming them', () => {
    assertUnsupported(opensslOut('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'), /P-521 \(secp521r1\) are not supported/);
    assertUnsupported(opensslOut('ecparam', '-name', 'secp256k1', '-genkey'), /secp256k1 are not supported/);
  });

  it('rejects encrypted keys, PKCS#8 and traditional', () => {
    const plain = write(opensslOut('ecparam', '-name', 'prime256v1', '-genkey'));
    assertUnsupported(opensslOut('pkcs8', '-topk8', '-in', plain, '-passout', 'pass:secret'), /encrypted private keys are not supported/);
    assertUnsupported(opensslOut('ec', '-in', plain, '-aes256', '-passout', 'pass:secret'), /encrypted private keys are not supported/);
  });

  it('rejects files without a private key', () => {
    assertMalformed('', /no PEM private key/);
    assertMalformed('hello, world');
    assertMalformed(new Uint8Array([0x30, 0x82, 0xff, 0x00, 0xfe]));
    const cert = opensslOut('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(dir, 'unused.key'), '-subj', '/CN=x', '-days', '1');
    assertUnsupported(cert, /no private key found in the PEM, only: CERTIFICATE/);
    assertUnsupported(opensslOut('ecparam', '-name', 'prime256v1'), /only: EC PARAMETERS/);
  });

  it('rejects two keys in one file', () => {
    const a = opensslOut('ecparam', '-name', 'prime256v1', '-genkey', '-noout');
    assertUnsupported(a + a, /2 private keys/);
  });

  it('rejects a public key that does not belong to the secret', () => {
    const a = loadPrivateKey(opensslOut('ecparam', '-name', 'prime256v1', '-genkey'));
    const b = loadPrivateKey(opensslOut('ecparam', '-name', 'prime256v1', '-genkey'));
    const params = explicit(0, oid('1.2.840.10045.3.1.7'));
    const lying = sequence(uint(1), octetString(a.secret), params, explicit(1, bitString(b.publicKey)));
    assertMalformed(encodePem('EC PRIVATE KEY', lying), /does not match its private key/);
    const notAPoint = Uint8Array.from(b.publicKey);
    notAPoint[64]! ^= 1;
    const bad = sequence(uint(1), octetString(a.secret), params, explicit(1, bitString(notAPoint)));
    assertMalformed(encodePem('EC PRIVATE KEY', bad), /does not match/);
  });

  it('rejects out-of-range scalars (0, n, too long)', () => {
    const params = explicit(0, oid('1.2.840.10045.3.1.7'));
    for (const scalar of [new Uint8Array(32), P256_ORDER, new Uint8Array(33).fill(1), new Uint8Array(0)]) {
      assertMalformed(encodePem('EC PRIVATE KEY', sequence(uint(1), octetString(scalar), params)), /private (scalar|key)/);
    }
  });

  it('rejects a SEC1 key that names no curve', () => {
    const a = loadPrivateKey(opensslOut('ecparam', '-name', 'prime256v1', '-genkey'));
    assertMalformed(encodePem('EC PRIVATE KEY', sequence(uint(1), octetString(a.secret))), /does not name its curve/);
  });

  it('rejects truncated PEM and truncated DER with TlsDecodeError', () => {
    const pem = opensslOut('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256');
    assertMalformed(pem.slice(0, pem.length / 2));
    assertMalformed(pem.replace(/-----END PRIVATE KEY-----\n$/, ''));
    assertMalformed(pem.replace(/\n-----END/, '!\n-----END'));
    const der = decodePemBlocks(pem)[0]!.der;
    for (let n = 0; n < der.length; n++) assertMalformed(encodePem('PRIVATE KEY', der.subarray(0, n)));
    assertMalformed(encodePem('PRIVATE KEY', Uint8Array.from([...der, 0])), /trailing/);
  });

  it('fails only with library errors on corrupted keys (1000 random byte flips)', () => {
    const inputs = [
      opensslOut('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'),
      opensslOut('ecparam', '-name', 'prime256v1', '-genkey', '-noout'),
    ].map((p) => decodePemBlocks(p)[0]!);
    let rejected = 0;
    for (let i = 0; i < 1000; i++) {
      const { label, der } = inputs[i % 2]!;
      const bytes = Uint8Array.from(der);
      const at = Math.floor(Math.random() * bytes.length);
      bytes[at]! ^= 1 << Math.floor(Math.random() * 8);
      try {
        loadPrivateKey(encodePem(label, bytes));
      } catch (e) {
        assert.ok(e instanceof TlsDecodeError || e instanceof TlsConfigError, `flip at ${at}: ${String(e)}`);
        rejected++;
      }
    }
    // Flips in the secret give a key whose embedded public key no longer matches: almost all fail.
    assert.ok(rejected > 900, `only ${rejected} of 1000 corrupted keys were rejected`);
  });
});

// ---------------------------------------------------------------------------------------
// loadAnyPrivateKey: RSA, RSA-PSS, Ed25519, Ed448 beside ECDSA.

const provider = new NobleCryptoProvider();

function assertAnyUnsupported(pem: string | Uint8Array, message: RegExp): void {
  assert.throws(() => loadAnyPrivateKey(pem), (e: unknown) => {
    assert.ok(e instanceof TlsConfigError, `expected TlsConfigError, got ${String(e)}`);
    assert.equal(e.code, 'ERR_UNSUPPORTED_KEY');
    assert.match(e.message, message);
    return true;
  });
}

function assertAnyMalformed(pem: string | Uint8Array, message: RegExp): void {
  assert.throws(() => loadAnyPrivateKey(pem), (e: unknown) => {
    assert.ok(e instanceof TlsDecodeError, `expected TlsDecodeError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

function asRsa(key: PrivateKey): RsaPrivateKey {
  assert.equal(key.type, 'RSA');
  return key as RsaPrivateKey;
}

/** The key's integers as node:crypto reads the same PEM. */
function assertRsaSameAsNode(key: RsaPrivateKey, pem: string): void {
  const jwk = createPrivateKey(pem).export({ format: 'jwk' });
  const int = (s: string | undefined): bigint => BigInt(`0x${Buffer.from(s!, 'base64url').toString('hex')}`);
  assert.deepEqual(
    { n: key.n, e: key.e, d: key.d, p: key.p, q: key.q, dp: key.dp, dq: key.dq, qInv: key.qInv },
    { n: int(jwk.n), e: int(jwk.e), d: int(jwk.d), p: int(jwk.p), q: int(jwk.q), dp: int(jwk.dp), dq: int(jwk.dq), qInv: int(jwk.qi) },
  );
  assert.deepEqual(Buffer.from(key.publicKey), createPublicKey(pem).export({ format: 'der', type: 'pkcs1' }));
}

/** A DER INTEGER of a non-negative bigint. */
function bigInteger(x: bigint): Uint8Array {
  const hex = x.toString(16);
  return uintBytes(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
}

/** PKCS#1 "RSA PRIVATE KEY" of the key's integers, as they are (consistent or not). */
function pkcs1Pem(k: RsaPrivateKey): string {
  return encodePem('RSA PRIVATE KEY', sequence(uint(0), ...[k.n, k.e, k.d, k.p, k.q, k.dp, k.dq, k.qInv].map(bigInteger)));
}

/** A self-signed certificate for the key in `keyFile`, parsed. */
function certFor(keyFile: string): CertificateInfo {
  const pem = opensslOut('req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=k', '-days', '1');
  return parseCertificate(loadCertificateChain(pem)[0]!);
}

describe('pki/keys: loadAnyPrivateKey', function () {
  this.timeout(60_000);

  for (const bits of [2048, 3072, 4096]) {
    it(`loads RSA-${bits} keys as PKCS#8 and as PKCS#1 "RSA PRIVATE KEY", signs with them, matches their certificate`, () => {
      const pkcs8 = opensslOut('genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`);
      const pkcs1 = opensslOut('rsa', '-in', write(pkcs8), '-traditional');
      assert.match(pkcs1, /^-----BEGIN RSA PRIVATE KEY-----/);
      const key = asRsa(loadAnyPrivateKey(pkcs8));
      assert.deepEqual(asRsa(loadAnyPrivateKey(pkcs1)), key);
      assert.equal(key.bits, bits);
      assert.equal(key.algorithm, 'rsaEncryption');
      assertRsaSameAsNode(key, pkcs8);
      assert.deepEqual(rsaSignatureSchemes(key), [
        'rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pss_rsae_sha512', 'rsa_pkcs1_sha256', 'rsa_pkcs1_sha384', 'rsa_pkcs1_sha512']);
      const message = new TextEncoder().encode('signed with a loaded key');
      const sig = provider.rsaSigningKey(key).sign('rsa_pss_rsae_sha384', message);
      assert.equal(verify('sha384', message, { key: createPublicKey(pkcs8), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, sig), true);
      const cert = certFor(write(pkcs8));
      assert.equal(keyMatchesCertificate(key, cert), true);
      assert.equal(provider.rsaVerify(cert.publicKey, 'rsa_pss_rsae_sha384', message, sig), true);
    });
  }

  it('an RSA key does not match another RSA key\'s certificate, nor an EC or Ed25519 one', () => {
    const a = write(opensslOut('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'));
    const b = write(opensslOut('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'));
    const ec = write(opensslOut('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'));
    const ed = write(opensslOut('genpkey', '-algorithm', 'ed25519'));
    const keyA = loadAnyPrivateKey(readFileSync(a, 'utf8'));
    assert.equal(keyMatchesCertificate(keyA, certFor(a)), true);
    for (const other of [b, ec, ed]) assert.equal(keyMatchesCertificate(keyA, certFor(other)), false);
    assert.equal(keyMatchesCertificate(loadAnyPrivateKey(readFileSync(ec, 'utf8')), certFor(a)), false);
    assert.equal(keyMatchesCertificate(loadAnyPrivateKey(readFileSync(ed, 'utf8')), certFor(a)), false);
  });

  it('refuses RSA keys outside 2048..4096 bits with a TlsConfigError that says so', () => {
    assertAnyUnsupported(opensslOut('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'), /RSA keys of 1024 bits are not supported: .*2048 to 4096 bits/);
    assertAnyUnsupported(opensslOut('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2047'), /2047 bits/);
    // 4100 bits: the size is checked before anything else, so the other fields need not be a real key.
    const n = (1n << 4099n) | 1n;
    const big = sequence(uint(0), ...[n, 65537n, 3n, 5n, 7n, 1n, 1n, 1n].map(bigInteger));
    assertAnyUnsupported(encodePem('RSA PRIVATE KEY', big), /RSA keys of 4100 bits are not supported/);
  });

  it('refuses multi-prime RSA keys', () => {
    assertAnyUnsupported(opensslOut('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-pkeyopt', 'rsa_keygen_primes:3'), /multi-prime/);
  });

  it('refuses inconsistent RSA keys: n, CRT exponents, coefficient, public key in PKCS#8 v2', () => {
    const pem = opensslOut('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048');
    const good = asRsa(loadAnyPrivateKey(pem));
    assert.deepEqual(loadAnyPrivateKey(pkcs1Pem(good)), good);
    const cases: [Partial<RsaPrivateKey>, RegExp][] = [
      [{ dp: good.dp + 2n }, /inconsistent: its first CRT exponent/],
      [{ dq: good.dq + 2n }, /inconsistent: its second CRT exponent/],
      [{ qInv: good.qInv + 1n }, /inconsistent: its CRT coefficient/],
      [{ d: good.d + 2n }, /inconsistent: e d is not 1/],
      [{ n: good.n - 2n }, /inconsistent: n is not the product/],
    ];
    for (const [change, message] of cases) assertAnyMalformed(pkcs1Pem({ ...good, ...change }), message);
    // PKCS#8 v2 (OneAsymmetricKey) with somebody else's public key.
    const other = asRsa(loadAnyPrivateKey(opensslOut('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048')));
    const inner = decodePemBlocks(pkcs1Pem(good))[0]!.der;
    const v2 = (publicKey: Uint8Array): string => encodePem('PRIVATE KEY', sequence(uint(1), sequence(oid('1.2.840.113549.1.1.1'), Uint8Array.of(5, 0)),
      octetString(inner), tlv(0x81, Uint8Array.of(0), publicKey)));
    assert.deepEqual(loadAnyPrivateKey(v2(good.publicKey)), good);
    assertAnyMalformed(v2(other.publicKey), /does not match its private key/);
  });

  it('loads id-RSASSA-PSS keys: unrestricted, and restricted to one hash (only that rsa_pss_pss scheme)', () => {
    const free = opensslOut('genpkey', '-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048');
    const freeKey = asRsa(loadAnyPrivateKey(free));
    assert.equal(freeKey.algorithm, 'RSASSA-PSS');
    assert.equal(freeKey.pssParameters, undefined);
    assert.deepEqual(rsaSignatureSchemes(freeKey), ['rsa_pss_pss_sha256', 'rsa_pss_pss_sha384', 'rsa_pss_pss_sha512']);
    assert.equal(keyMatchesCertificate(freeKey, certFor(write(free))), true);

    const restricted = opensslOut('genpkey', '-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048',
      '-pkeyopt', 'rsa_pss_keygen_md:sha384', '-pkeyopt', 'rsa_pss_keygen_mgf1_md:sha384', '-pkeyopt', 'rsa_pss_keygen_saltlen:48');
    const key = asRsa(loadAnyPrivateKey(restricted));
    assert.deepEqual(key.pssParameters, { hash: 'sha384', mgf1Hash: 'sha384', saltLength: 48, trailerField: 1 });
    assert.deepEqual(rsaSignatureSchemes(key), ['rsa_pss_pss_sha384']);
    const message = new Uint8Array(33).fill(4);
    const sig = provider.rsaSigningKey(key).sign('rsa_pss_pss_sha384', message);
    assert.equal(verify('sha384', message, { key: createPublicKey(restricted), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, sig), true);
    const cert = certFor(write(restricted));
    assert.equal(keyMatchesCertificate(key, cert), true);
    // The same integers as an rsaEncryption key: a different key type, as for OpenSSL.
    const asRsaEncryption = asRsa(loadAnyPrivateKey(pkcs1Pem(key)));
    assert.equal(asRsaEncryption.n, key.n);
    assert.equal(keyMatchesCertificate(asRsaEncryption, cert), false);

    assertAnyUnsupported(opensslOut('genpkey', '-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048', '-pkeyopt', 'rsa_pss_keygen_md:sha1'),
      /restricted to sha1 with MGF1-sha1/);
  });

  for (const [algorithm, name, size] of [['Ed25519', 'ed25519', 32], ['Ed448', 'ed448', 57]] as const) {
    it(`loads ${algorithm} PKCS#8 keys, signs as node:crypto verifies, matches the certificate`, () => {
      const pem = opensslOut('genpkey', '-algorithm', name);
      const key = loadAnyPrivateKey(pem);
      assert.equal(key.type, algorithm);
      const jwk = createPrivateKey(pem).export({ format: 'jwk' });
      assert.deepEqual(Buffer.from(key.secret as Uint8Array), Buffer.from(jwk.d!, 'base64url'));
      assert.deepEqual(Buffer.from(key.publicKey), Buffer.from(jwk.x!, 'base64url'));
      assert.equal(key.publicKey.length, size);
      const signer = provider.eddsaSigningKey(algorithm, key.secret as Uint8Array);
      assert.deepEqual(signer.publicKey, key.publicKey);
      const message = new TextEncoder().encode(`${algorithm} in TLS signs the whole message`);
      const sig = signer.sign(message);
      assert.equal(verify(null, message, createPublicKey(pem), sig), true);
      assert.equal(keyMatchesCertificate(key, certFor(write(pem))), true);
      assert.equal(keyMatchesCertificate(key, certFor(write(opensslOut('genpkey', '-algorithm', name)))), false);
    });
  }

  it('refuses an Ed25519 key of the wrong length, with parameters, or with a foreign public key', () => {
    const pem = opensslOut('genpkey', '-algorithm', 'ed25519');
    const secret = (loadAnyPrivateKey(pem) as EddsaPrivateKey).secret;
    const alg = (params?: Uint8Array): Uint8Array => sequence(oid('1.3.101.112'), ...(params ? [params] : []));
    assertAnyMalformed(encodePem('PRIVATE KEY', sequence(uint(0), alg(), octetString(octetString(secret.subarray(1))))), /32 bytes, not 31/);
    assertAnyMalformed(encodePem('PRIVATE KEY', sequence(uint(0), alg(Uint8Array.of(5, 0)), octetString(octetString(secret)))), /no algorithm parameters/);
    const wrong = new Uint8Array(32).fill(9);
    assertAnyMalformed(encodePem('PRIVATE KEY', sequence(uint(1), alg(), octetString(octetString(secret)), tlv(0x81, Uint8Array.of(0), wrong))), /does not match/);
  });

  it('loads ECDSA keys as loadPrivateKey does', () => {
    for (const pem of [opensslOut('ecparam', '-name', 'prime256v1', '-genkey'), opensslOut('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384')]) {
      assert.deepEqual(loadAnyPrivateKey(pem), loadPrivateKey(pem));
    }
  });

  it('still refuses what puretls cannot sign with, naming it', () => {
    assertAnyUnsupported(opensslOut('genpkey', '-algorithm', 'x25519'), /^X25519 keys are not supported: puretls signs with ECDSA \(P-256, P-384\), RSA \(2048 to 4096 bits\), Ed25519 and Ed448 keys/);
    assertAnyUnsupported(opensslOut('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'), /P-521 \(secp521r1\) are not supported/);
    const dsa = opensslOut('genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:1024');
    assertAnyUnsupported(opensslOut('genpkey', '-paramfile', write(dsa)), /^DSA keys are not supported/);
  });

  it('fails only with library errors on corrupted RSA and Ed25519 keys (300 random byte flips)', () => {
    const inputs = [
      opensslOut('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'),
      opensslOut('genpkey', '-algorithm', 'ed25519'),
      opensslOut('rsa', '-in', write(opensslOut('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048')), '-traditional'),
    ].map((p) => decodePemBlocks(p)[0]!);
    const originals = inputs.map(({ label, der }) => loadAnyPrivateKey(encodePem(label, der)));
    // The flip that loads the same key: PKCS#8 version 0 (byte 6: 30 82 LL LL 02 01 00) becomes 1.
    const v2 = Uint8Array.from(inputs[0]!.der);
    assert.deepEqual([...v2.subarray(4, 7)], [0x02, 0x01, 0x00]);
    v2[6]! ^= 1;
    assert.deepEqual(loadAnyPrivateKey(encodePem(inputs[0]!.label, v2)), originals[0]);
    // Seeded so a failure names a flip that reproduces (the keys themselves are fresh each run).
    const random = seededRandom(0x6b657973);
    let rejected = 0;
    for (let i = 0; i < 300; i++) {
      const { label, der } = inputs[i % 3]!;
      const bytes = Uint8Array.from(der);
      const at = Math.floor(random() * bytes.length);
      const bit = Math.floor(random() * 8);
      bytes[at]! ^= 1 << bit;
      try {
        const key = loadAnyPrivateKey(encodePem(label, bytes));
        // Two flips may load: one that leaves the key itself unchanged (bit 0 of a PKCS#8 version
        // byte turns v1 into v2, which readPkcs8 accepts without a public key), and an Ed25519 key
        // whose secret changed (none of its bytes is checked against anything else).
        assert.ok(isDeepStrictEqual(key, originals[i % 3]) || key.type === 'Ed25519', `flip of bit ${bit} at ${at} of a ${label} accepted as a different key`);
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        assert.ok(e instanceof TlsDecodeError || e instanceof TlsConfigError, `flip of bit ${bit} at ${at}: ${String(e)}`);
        rejected++;
      }
    }
    assert.ok(rejected >= 190, `only ${rejected} of 300 corrupted keys were rejected`);
  });
});
