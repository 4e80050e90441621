import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'mocha';
import { DerReader, bitString, explicit, octetString, oid, sequence, uint } from '../../src/codec/der.js';
import { decodePemBlocks, encodePem } from '../../src/codec/pem.js';
import { TlsConfigError, TlsDecodeError } from '../../src/errors.js';
import { loadPrivateKey, privateKeyToPem, type EcPrivateKey } from '../../src/pki/keys.js';

const dir = mkdtempSync(join(tmpdir(), 'puretls-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

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
    assertUnsupported(pkcs8, /^RSA keys are not supported: puretls serves ECDSA certificates \(P-256, P-384\)/);
    const traditional = opensslOut('rsa', '-in', write(pkcs8), '-traditional');
    assert.match(traditional, /BEGIN RSA PRIVATE KEY/);
    assertUnsupported(traditional, /^RSA keys are not supported/);
  });

  it('rejects Ed25519 keys', () => {
    assertUnsupported(opensslOut('genpkey', '-algorithm', 'ed25519'), /^Ed25519 keys are not supported: puretls serves ECDSA/);
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
