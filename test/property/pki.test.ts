/**
 * Key loading (src/pki/keys.ts) and certificate parsing (src/pki/certificate.ts): any text or
 * DER gives a key / certificate or a TlsDecodeError / TlsConfigError, never anything else;
 * keys and self-signed certificates round-trip.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { p256, p384 } from '@noble/curves/nist.js';
import { describe, it } from 'mocha';
import { decodePemBlocks, encodePem } from '../../src/codec/pem.js';
import { decodeCertificateExtensions, keyMatchesCertificate, loadCertificateChain, parseCertificate } from '../../src/pki/certificate.js';
import { loadAnyPrivateKey, loadPrivateKey, privateKeyToPem, type EcCurveName, type EcPrivateKey } from '../../src/pki/keys.js';
import { createSelfSignedCertificate } from '../../src/pki/self-signed.js';
import { CORPUS_DIR } from '../fuzz/corpus.js';
import { APPLICATION_ERRORS, bytes, expectTotal, latin1String, mutated, runs } from './arbitraries.js';

function corpusPem(target: string): { label: string; der: Uint8Array }[] {
  const dir = join(CORPUS_DIR, target);
  return readdirSync(dir)
    .sort()
    .flatMap((f) => decodePemBlocks(readFileSync(join(dir, f), 'utf8')));
}

const KEY_LABELS = ['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY', 'DSA PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'EC PARAMETERS', 'CERTIFICATE'];

describe('keys and certificates (property tests, fast-check)', function () {
  this.timeout(120_000);
  const keys = corpusPem('private-key');
  const certificates = corpusPem('certificate');

  it('the seeds load (so the mutations below start from real keys and certificates)', () => {
    assert.ok(keys.length >= 8 && certificates.length >= 7);
    for (const c of certificates) parseCertificate(c.der);
  });

  it('loadPrivateKey and loadAnyPrivateKey: any text, PEM of any bytes, and mutated real keys give a key or a TlsDecodeError / TlsConfigError', () => {
    const pem = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(fc.constantFrom(...KEY_LABELS), bytes(0, 200)).map(([label, der]) => encodePem(label, der)),
      fc
        .tuple(fc.constantFrom(...keys), fc.constantFrom(...KEY_LABELS, undefined))
        .chain(([k, label]) => mutated(fc.constant(k.der), (d) => d).map((der) => encodePem(label ?? k.label, der))),
    );
    fc.assert(
      fc.property(pem, (text) => {
        expectTotal(() => loadPrivateKey(text), APPLICATION_ERRORS);
        expectTotal(() => loadAnyPrivateKey(text), APPLICATION_ERRORS);
      }),
      runs(600),
    );
  });

  it('EC keys: loadPrivateKey(privateKeyToPem(k)) is k, for any valid scalar on P-256 and P-384', () => {
    const key = fc.tuple(fc.constantFrom<EcCurveName>('P-256', 'P-384'), bytes(72, 72)).map(([curve, seed]): EcPrivateKey => {
      const c = curve === 'P-256' ? p256 : p384;
      const secret = c.utils.randomSecretKey(seed.subarray(0, c.lengths.seed));
      return { type: 'EC', curve, secret, publicKey: c.getPublicKey(secret, false) };
    });
    fc.assert(
      fc.property(key, (k) => {
        assert.deepStrictEqual(loadPrivateKey(privateKeyToPem(k)), k);
        assert.deepStrictEqual(loadAnyPrivateKey(privateKeyToPem(k)), k);
      }),
      runs(100),
    );
  });

  it('parseCertificate and decodeCertificateExtensions: any bytes and mutated real certificates give a value or a TlsDecodeError', () => {
    const der = fc.oneof(bytes(0, 300), mutated(fc.constantFrom(...certificates.map((c) => c.der)), (d) => d));
    fc.assert(
      fc.property(der, (d) => expectTotal(() => decodeCertificateExtensions(parseCertificate(d)), APPLICATION_ERRORS)),
      runs(3000),
    );
  });

  it('loadCertificateChain: any text and mutated PEM chains give DER certificates or a TlsDecodeError / TlsConfigError', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 300 }),
      mutated(fc.constant(new TextEncoder().encode(certificates.map((c) => encodePem('CERTIFICATE', c.der)).join(''))), (b) => b).map((b) =>
        new TextDecoder().decode(b),
      ),
    );
    fc.assert(
      fc.property(text, (t) => expectTotal(() => loadCertificateChain(t), APPLICATION_ERRORS)),
      runs(1000),
    );
  });

  it('createSelfSignedCertificate then parseCertificate gives back the name, the alt names, the validity and the key', () => {
    const dnsLabel = latin1String(1, 12, 0x61, 0x7a);
    const options = fc.record({
      commonName: latin1String(1, 64, 0x20, 0x7e),
      altNames: fc.array(fc.array(dnsLabel, { minLength: 1, maxLength: 3 }).map((l) => l.join('.')), { minLength: 1, maxLength: 4 }),
      days: fc.integer({ min: 1, max: 36500 }),
      curve: fc.constantFrom<EcCurveName>('P-256', 'P-384'),
      now: fc.date({ min: new Date(Date.UTC(1990, 0, 1)), max: new Date(Date.UTC(2200, 0, 1)), noInvalidDate: true }),
    });
    fc.assert(
      fc.property(options, (o) => {
        const made = createSelfSignedCertificate(o);
        const info = parseCertificate(made.certDer);
        assert.equal(info.subjectCommonName, o.commonName);
        assert.deepStrictEqual(info.altNames, o.altNames);
        assert.equal(info.notBefore.getTime(), Math.floor(o.now.getTime() / 1000) * 1000);
        assert.equal(info.notAfter.getTime() - info.notBefore.getTime(), o.days * 86_400_000);
        assert.equal(info.publicKeyCurve, o.curve);
        assert.ok(keyMatchesCertificate(made.key, info));
      }),
      runs(60),
    );
  });
});
