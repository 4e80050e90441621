import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'mocha';
import { DerReader, explicit, octetString, oid, sequence, tlv } from '../../src/codec/der.js';
import { encodePem } from '../../src/codec/pem.js';
import { TlsConfigError, TlsDecodeError } from '../../src/errors.js';
import { keyMatchesCertificate, loadCertificateChain, parseCertificate } from '../../src/pki/certificate.js';
import { loadPrivateKey } from '../../src/pki/keys.js';

const dir = mkdtempSync(join(tmpdir(), 'puretls-cert-'));
function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
}
const file = (name: string): string => join(dir, name);
const read = (name: string): string => readFileSync(file(name), 'utf8');

/** `openssl req -x509` with a fresh EC key; returns the key and certificate PEM. */
function makeCert(name: string, curve: string, subj: string, ...extra: string[]): { keyPem: string; certPem: string } {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-nodes',
    '-keyout', file(`${name}.key`), '-out', file(`${name}.crt`), '-subj', subj, ...extra);
  return { keyPem: read(`${name}.key`), certPem: read(`${name}.crt`) };
}

/** notBefore / notAfter as OpenSSL prints them ("notBefore=Jan  2 03:04:05 2025 GMT"). */
function opensslDates(certFile: string): { notBefore: Date; notAfter: Date } {
  const out = openssl('x509', '-in', certFile, '-noout', '-startdate', '-enddate');
  const get = (field: string): Date => new Date(new RegExp(`${field}=(.*)`).exec(out)![1]!);
  return { notBefore: get('notBefore'), notAfter: get('notAfter') };
}

function derOf(certFile: string): Uint8Array {
  return new Uint8Array(execFileSync('openssl', ['x509', '-in', certFile, '-outform', 'DER']));
}

describe('pki/certificate', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const curve of ['P-256', 'P-384'] as const) {
    it(`parses an \`openssl req -x509\` ${curve} certificate`, () => {
      const { keyPem, certPem } = makeCert(`req-${curve}`, curve, '/O=puretls tests/CN=example.test', '-days', '30',
        '-addext', 'subjectAltName=DNS:example.test,DNS:*.example.test,email:a@example.test,IP:10.1.2.3,IP:2001:db8::1,IP:::ffff:192.0.2.1');
      const chain = loadCertificateChain(certPem);
      assert.equal(chain.length, 1);
      assert.deepEqual(chain[0], derOf(file(`req-${curve}.crt`)));
      const info = parseCertificate(chain[0]!);
      const key = loadPrivateKey(keyPem);
      assert.equal(info.publicKeyCurve, curve);
      assert.deepEqual(info.publicKey, key.publicKey);
      assert.equal(keyMatchesCertificate(key, info), true);
      assert.equal(info.subjectCommonName, 'example.test');
      assert.deepEqual(info.altNames, ['example.test', '*.example.test', '10.1.2.3', '2001:db8::1', '::ffff:192.0.2.1']);
      assert.deepEqual({ notBefore: info.notBefore, notAfter: info.notAfter }, opensslDates(file(`req-${curve}.crt`)));
      assert.equal(info.notAfter.getTime() - info.notBefore.getTime(), 30 * 86400_000);
      assert.deepEqual(info.der, chain[0]);
    });
  }

  it('keyMatchesCertificate is false for another key, on the same or another curve', () => {
    const a = makeCert('a', 'P-256', '/CN=a', '-days', '1');
    const b = makeCert('b', 'P-256', '/CN=b', '-days', '1');
    const c = makeCert('c', 'P-384', '/CN=c', '-days', '1');
    const certA = parseCertificate(loadCertificateChain(a.certPem)[0]!);
    assert.equal(keyMatchesCertificate(loadPrivateKey(b.keyPem), certA), false);
    assert.equal(keyMatchesCertificate(loadPrivateKey(c.keyPem), certA), false);
    assert.equal(keyMatchesCertificate(loadPrivateKey(a.keyPem), certA), true);
  });

  it('loads a two-certificate chain in file order (leaf first), skipping other text and blocks', () => {
    makeCert('ca', 'P-384', '/CN=puretls test CA', '-days', '10');
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', file('leaf.key'), '-out', file('leaf.csr'), '-subj', '/CN=leaf.example.test');
    writeFileSync(file('leaf.ext'), 'subjectAltName=DNS:leaf.example.test\n');
    openssl('x509', '-req', '-in', file('leaf.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
      '-days', '5', '-extfile', file('leaf.ext'), '-out', file('leaf.crt'));
    // `openssl x509 -text` style output: human-readable text before each PEM block.
    const text = openssl('x509', '-in', file('leaf.crt'), '-text') + openssl('x509', '-in', file('ca.crt'), '-text') + read('leaf.key');
    const chain = loadCertificateChain(text);
    assert.deepEqual(chain, [derOf(file('leaf.crt')), derOf(file('ca.crt'))]);
    const [leaf, ca] = chain.map(parseCertificate);
    assert.equal(leaf!.subjectCommonName, 'leaf.example.test');
    assert.deepEqual(leaf!.altNames, ['leaf.example.test']);
    assert.equal(leaf!.publicKeyCurve, 'P-256');
    assert.equal(ca!.subjectCommonName, 'puretls test CA');
    assert.equal(ca!.publicKeyCurve, 'P-384');
    assert.equal(keyMatchesCertificate(loadPrivateKey(read('leaf.key')), leaf!), true);
  });

  it('parses RSA and Ed25519 certificates, reporting no curve', () => {
    openssl('req', '-x509', '-newkey', 'rsa:1024', '-nodes', '-keyout', file('rsa.key'), '-out', file('rsa.crt'), '-subj', '/CN=rsa', '-days', '1');
    openssl('req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', file('ed.key'), '-out', file('ed.crt'), '-subj', '/CN=ed', '-days', '1');
    for (const name of ['rsa', 'ed']) {
      const info = parseCertificate(loadCertificateChain(read(`${name}.crt`))[0]!);
      assert.equal(info.publicKeyCurve, undefined);
      assert.equal(info.subjectCommonName, name);
      assert.deepEqual(info.altNames, []);
    }
  });

  it('parses a P-521 certificate, reporting no curve', () => {
    const { certPem } = makeCert('p521', 'P-521', '/CN=p521', '-days', '1');
    assert.equal(parseCertificate(loadCertificateChain(certPem)[0]!).publicKeyCurve, undefined);
  });

  it('reads GeneralizedTime validity (after 2049)', () => {
    const { certPem } = makeCert('long', 'P-256', '/CN=long', '-days', '15000');
    const info = parseCertificate(loadCertificateChain(certPem)[0]!);
    assert.ok(info.notAfter.getUTCFullYear() >= 2050);
    assert.deepEqual({ notBefore: info.notBefore, notAfter: info.notAfter }, opensslDates(file('long.crt')));
  });

  // OpenSSL's string_mask picks the string type of the CN: utf8only, pkix (BMPString), nombstr (T61String).
  for (const [mask, tag] of [['utf8only', 'UTF8STRING'], ['pkix', 'BMPSTRING'], ['nombstr', 'T61STRING']] as const) {
    it(`decodes a non-ASCII common name stored as ${tag}`, () => {
      writeFileSync(file(`${mask}.cnf`), `[req]\nstring_mask = ${mask}\ndistinguished_name = dn\n[dn]\n`);
      openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file(`${mask}.key`),
        '-out', file(`${mask}.crt`), '-subj', '/CN=Zürich Ñandú', '-utf8', '-days', '1', '-config', file(`${mask}.cnf`));
      assert.match(openssl('asn1parse', '-in', file(`${mask}.crt`)), new RegExp(`:commonName\\s+\\d+:d=\\d+\\s+hl=\\d+ l=\\s*\\d+ prim: ${tag}`));
      assert.equal(parseCertificate(loadCertificateChain(read(`${mask}.crt`))[0]!).subjectCommonName, 'Zürich Ñandú');
    });
  }

  it('has no certificate -> TlsConfigError ERR_NO_CERTIFICATE', () => {
    const { keyPem } = makeCert('nocert', 'P-256', '/CN=x', '-days', '1');
    for (const input of ['', 'not a certificate', keyPem]) {
      assert.throws(() => loadCertificateChain(input), (e: unknown) => e instanceof TlsConfigError && e.code === 'ERR_NO_CERTIFICATE');
    }
  });

  it('rejects truncated, padded and corrupted certificates with TlsDecodeError', () => {
    const { certPem } = makeCert('t', 'P-256', '/CN=t', '-days', '1', '-addext', 'subjectAltName=DNS:t.example,IP:::1');
    const der = loadCertificateChain(certPem)[0]!;
    const isDecodeError = (e: unknown): boolean => e instanceof TlsDecodeError;
    for (let n = 0; n < der.length; n++) assert.throws(() => parseCertificate(der.subarray(0, n)), isDecodeError);
    assert.throws(() => parseCertificate(Uint8Array.from([...der, 0])), isDecodeError);
    assert.throws(() => loadCertificateChain(encodePem('CERTIFICATE', der.subarray(0, 100))), (e: unknown) =>
      e instanceof TlsDecodeError && /certificate 1 of 1/.test(e.message));
    assert.throws(() => loadCertificateChain(certPem.slice(0, 200) + '\n-----END CERTIFICATE-----\n'), isDecodeError);
    let rejected = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from(der);
      const at = Math.floor(Math.random() * bytes.length);
      bytes[at]! ^= 1 << Math.floor(Math.random() * 8);
      try {
        parseCertificate(bytes);
      } catch (e) {
        assert.ok(e instanceof TlsDecodeError, `flip at ${at}: ${String(e)}`);
        rejected++;
      }
    }
    assert.ok(rejected > 0);
  });

  it('rejects duplicate extensions, bad iPAddress lengths and extensions outside v3', () => {
    const { certPem } = makeCert('dup', 'P-256', '/CN=dup', '-days', '1', '-addext', 'subjectAltName=DNS:a.example');
    const der = loadCertificateChain(certPem)[0]!;
    assert.deepEqual(parseCertificate(withExtensions(der, (exts) => exts)).altNames, ['a.example']);
    assert.deepEqual(parseCertificate(withExtensions(der, (exts) => exts.filter((e) => !isSan(e)))).altNames, []);
    assert.throws(() => parseCertificate(withExtensions(der, (exts) => [...exts, exts[0]!])), /appears twice/);
    const badIp = sequence(oid('2.5.29.17'), octetString(sequence(tlv(0x87, Uint8Array.of(10, 0, 0, 1, 0)))));
    assert.throws(() => parseCertificate(withExtensions(der, (exts) => [...exts.filter((e) => !isSan(e)), badIp])), /iPAddress of 5 bytes/);
    assert.throws(() => parseCertificate(withExtensions(der, () => [])), TlsDecodeError);
    // Version 02 -> 00 inside [0]: DER forbids spelling out the default; 02 -> 01: v2 may not have extensions.
    const v1 = Uint8Array.from(der);
    const at = findBytes(v1, [0xa0, 0x03, 0x02, 0x01, 0x02]);
    v1[at + 4] = 0;
    assert.throws(() => parseCertificate(v1), /default version/);
    v1[at + 4] = 1;
    assert.throws(() => parseCertificate(v1), /not v3/);
  });
});

const isSan = (ext: Uint8Array): boolean => new DerReader(ext).sequence().oid() === '2.5.29.17';

/** The certificate with its extension list rewritten (the signature no longer matches; parsing does not care). */
function withExtensions(der: Uint8Array, edit: (exts: Uint8Array[]) => Uint8Array[]): Uint8Array {
  const cert = new DerReader(der).sequence();
  const tbs = cert.sequence();
  const fields: Uint8Array[] = [];
  const exts: Uint8Array[] = [];
  while (!tbs.atEnd()) {
    const field = tbs.read();
    if (field.tag !== 0xa3) fields.push(field.raw);
    else for (const list = new DerReader(field.value).sequence(); !list.atEnd(); ) exts.push(list.read().raw);
  }
  return sequence(sequence(...fields, explicit(3, sequence(...edit(exts)))), cert.read().raw, cert.read().raw);
}

function findBytes(hay: Uint8Array, needle: number[]): number {
  for (let i = 0; i + needle.length <= hay.length; i++) {
    if (needle.every((b, j) => hay[i + j] === b)) return i;
  }
  throw new Error('not found');
}
