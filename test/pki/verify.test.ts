import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientCerts } from '../helpers/client-certs.js';
import { OpensslCa, type KeyAlgorithm, type SignatureOptions } from '../helpers/openssl-ca.js';
import tls from 'node:tls';
import { before, describe, it } from 'mocha';
import { Tag, tlv } from '../../src/codec/der.js';
import { encodePem } from '../../src/codec/pem.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import { TlsConfigError, TlsDecodeError } from '../../src/errors.js';
import { loadCertificateChain, parseCertificate } from '../../src/pki/certificate.js';
import { loadPrivateKey, privateKeyToPem } from '../../src/pki/keys.js';
import { CN, buildCertificate, buildChain, caExts, clientExts, ext, nameOf, newKey, type CertificateSpec, type Signer } from '../helpers/cert-builder.js';
import { RecordingCrypto } from '../helpers/recording-crypto.js';
import {
  X509_V_ERR,
  X509_V_OK,
  loadTrustStore,
  nodeAuthorizationError,
  verifyClientChain,
  x509ErrorName,
  type ChainVerification,
  type X509VerifyError,
} from '../../src/pki/verify.js';

const crypto = new NobleCryptoProvider();
const dir = mkdtempSync(join(tmpdir(), 'puretls-verify-'));
// Removed when the process exits, not in a root-level after() hook: several describes below share it.
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

const file = (name: string): string => join(dir, name);
const read = (name: string): string => readFileSync(file(name), 'utf8');

const ca = new OpensslCa(dir);
const openssl = (...args: string[]): string => ca.run(...args);

// ---------------------------------------------------------------------------------------
// Certificates. Each has a name; `certs` holds its PEM, DER and private key PEM.

interface Made {
  pem: string;
  der: Uint8Array;
  keyPem: string;
}
const certs = new Map<string, Made>();
const cert = (name: string): Made => {
  const c = certs.get(name);
  if (!c) throw new Error(`no certificate ${name}`);
  return c;
};

type Alg = KeyAlgorithm;

function record(name: string): void {
  const pem = read(`${name}.pem`);
  certs.set(name, { pem, der: loadCertificateChain(pem)[0]!, keyPem: read(`${name}.key`) });
}

/** A self-signed certificate (`openssl req -x509`) with exactly the given extension lines. */
function selfSigned(name: string, alg: Alg, ext: string, opts: { key?: string; serial?: string; subj?: string } & SignatureOptions = {}): void {
  ca.selfSigned(name, alg, ext, opts);
  record(name);
}

/** A certificate for `name` issued by `issuer`, with exactly the given extension lines. */
function issue(name: string, alg: Alg, issuer: string, ext: string, opts: { subj?: string; dates?: [string, string] } & SignatureOptions = {}): void {
  ca.issue(name, alg, issuer, ext, opts);
  record(name);
}

const CA = 'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid';
const CLIENT = 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid';

// ---- Certificates built by hand (DER writer + noble), for what the CLI cannot express.

type Built = Signer;

/** buildCertificate(), written to `<name>.pem` and recorded under `name`. */
function build(name: string, o: CertificateSpec): Built {
  const made = buildCertificate({ serial: Number(ca.nextSerial()), ...o });
  const pem = encodePem('CERTIFICATE', made.der);
  writeFileSync(file(`${name}.pem`), pem);
  certs.set(name, { pem, der: made.der, keyPem: privateKeyToPem(made.key) });
  return { key: made.key, subject: made.subject };
}

// ---------------------------------------------------------------------------------------
// The oracles: `openssl verify` (stops at the first error it does not choose to ignore) and a
// node:tls server with requestCert (its callback ignores every error; the last one sticks).

interface OpensslVerdict {
  ok: boolean;
  errors: { code: number; depth: number }[];
}

function pemFile(names: readonly string[], tag: string): string {
  const path = file(`${tag}.pem`);
  writeFileSync(path, names.map((n) => cert(n).pem).join(''));
  return path;
}

let runs = 0;

function opensslVerify(c: Case): OpensslVerdict {
  const tag = `run${runs++}`;
  const args = ['verify', '-auth_level', '1', '-purpose', 'sslclient', '-no-CApath', '-no-CAstore'];
  if (c.trust) args.push('-CAfile', pemFile(c.trust, `${tag}-trust`));
  else args.push('-no-CAfile');
  if (c.chain.length > 1) args.push('-untrusted', pemFile(c.chain.slice(1), `${tag}-untrusted`));
  if (c.verifyDepth !== undefined) args.push('-verify_depth', String(c.verifyDepth));
  if (c.partialChain) args.push('-partial_chain');
  args.push(pemFile([c.chain[0]!], `${tag}-leaf`));
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  const errors = [...`${r.stdout}\n${r.stderr}`.matchAll(/^error (\d+) at (\d+) depth lookup/gm)].map((m) => ({ code: Number(m[1]), depth: Number(m[2]) }));
  return { ok: r.status === 0 && /: OK\s*$/.test(r.stdout), errors };
}

// apps/verify.c's callback lets verification go on after these (and some -x509_strict ones we never report).
const OPENSSL_VERIFY_CONTINUES = new Set<number>([
  X509_V_ERR.NO_EXPLICIT_POLICY, X509_V_ERR.CERT_HAS_EXPIRED, X509_V_ERR.DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR.INVALID_CA,
  X509_V_ERR.INVALID_NON_CA, X509_V_ERR.PATH_LENGTH_EXCEEDED, X509_V_ERR.CRL_HAS_EXPIRED, X509_V_ERR.CRL_NOT_YET_VALID,
  X509_V_ERR.UNHANDLED_CRITICAL_EXTENSION, X509_V_ERR.INVALID_PURPOSE,
]);

/** What `openssl verify` would print, given every error in callback order: up to the first it does not ignore. */
function printedBy(errors: readonly X509VerifyError[]): { code: number; depth: number }[] {
  const stop = errors.findIndex((e) => !OPENSSL_VERIFY_CONTINUES.has(e.code));
  return errors.slice(0, stop < 0 ? errors.length : stop + 1).map(({ code, depth }) => ({ code, depth }));
}

/** node's socket.authorizationError on a requestCert server for a client presenting the chain. */
async function nodeVerdict(c: Case): Promise<string | undefined> {
  const server = cert('server');
  const options = { key: server.keyPem, cert: server.pem, ...(c.trust ? { ca: c.trust.map((n) => cert(n).pem) } : {}) };
  // tls.createServer() does not pass allowPartialTrustChain on (node 20); a context from createSecureContext() has it.
  const partial = c.partialChain ? tls.createSecureContext({ ...options, allowPartialTrustChain: true }) : undefined;
  const srv = tls.createServer({
    ...options,
    requestCert: true,
    rejectUnauthorized: false,
    ...(partial ? { SNICallback: (_name: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => cb(null, partial) } : {}),
  });
  const verdict = new Promise<string | undefined>((resolve, reject) => {
    srv.on('secureConnection', (socket: tls.TLSSocket) => {
      resolve(socket.authorized ? undefined : String(socket.authorizationError));
      socket.end();
    });
    srv.on('tlsClientError', reject);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  try {
    const socket = tls.connect({
      port: (srv.address() as AddressInfo).port,
      host: '127.0.0.1',
      servername: 'localhost',
      key: cert(c.chain[0]!).keyPem,
      cert: c.chain.map((n) => cert(n).pem).join(''),
      rejectUnauthorized: false,
      // Level 0 on the client only, so that it agrees to present SHA-1 signed certificates; the server stays at 1.
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    socket.on('error', () => {});
    socket.on('data', () => {});
    try {
      return await verdict;
    } finally {
      socket.destroy();
    }
  } finally {
    srv.close();
  }
}

/**
 * `bad`: `good` with a bit of the last byte of its signature flipped (the last byte of the
 * BIT STRING: an ECDSA INTEGER's last byte, an RSA or EdDSA signature's last byte; still valid DER).
 */
function tamper(good: string, bad: string): void {
  const c = cert(good);
  const der = Uint8Array.from(c.der);
  der[der.length - 1]! ^= 1;
  writeFileSync(file(`${bad}.pem`), encodePem('CERTIFICATE', der));
  certs.set(bad, { pem: encodePem('CERTIFICATE', der), der, keyPem: c.keyPem });
}

// ---------------------------------------------------------------------------------------

interface Case {
  name: string;
  /** What the client sends: leaf first. */
  chain: string[];
  /** The trust store; undefined: none at all. */
  trust?: string[];
  /** OpenSSL's verdict as we expect it (the first error's name, or 'OK'): checked against openssl itself. */
  expect: string;
  verifyDepth?: number;
  partialChain?: boolean;
  /** A documented divergence: OpenSSL accepts the chain; we cannot check one of its signatures. */
  unsupported?: RegExp;
  /**
   * A documented divergence: node:tls's last error is this one (it checks the signatures of an
   * untrusted path), where ours is the name-based one (we do not check them).
   */
  nodeChecksUntrustedSignatures?: string;
}

function ours(c: Case): ChainVerification {
  return verifyClientChain(
    c.chain.map((n) => cert(n).der),
    c.trust ? loadTrustStore(c.trust.map((n) => cert(n).pem).join('')) : undefined,
    { now: new Date(), crypto, ...(c.verifyDepth !== undefined ? { maxDepth: c.verifyDepth } : {}), ...(c.partialChain ? { partialChain: true } : {}) },
  );
}

const cases: Case[] = [];

for (const curve of ['P-256', 'P-384'] as const) {
  const r = `root-${curve}`;
  const i = `inter-${curve}`;
  const t = (s: string): string => `${s}-${curve}`;
  cases.push(
    { name: `${curve}: leaf (clientAuth) + intermediate, root trusted`, chain: [t('client'), i], trust: [r], expect: 'OK' },
    { name: `${curve}: leaf without extendedKeyUsage`, chain: [t('noeku'), i], trust: [r], expect: 'OK' },
    { name: `${curve}: leaf with serverAuth only`, chain: [t('server'), i], trust: [r], expect: 'INVALID_PURPOSE' },
    { name: `${curve}: leaf with anyExtendedKeyUsage only (OpenSSL wants clientAuth itself)`, chain: [t('anyeku'), i], trust: [r], expect: 'INVALID_PURPOSE' },
    { name: `${curve}: leaf with keyUsage keyEncipherment only`, chain: [t('kuenc'), i], trust: [r], expect: 'INVALID_PURPOSE' },
    { name: `${curve}: leaf with Netscape cert type "server"`, chain: [t('nsserver'), i], trust: [r], expect: 'INVALID_PURPOSE' },
    { name: `${curve}: the leaf alone (intermediate not sent)`, chain: [t('client')], trust: [r], expect: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
    { name: `${curve}: the root sent too`, chain: [t('client'), i, r], trust: [r], expect: 'OK' },
    { name: `${curve}: chain sent out of order, with an unrelated certificate`, chain: [t('client'), 'other-root', r, i], trust: [r], expect: 'OK' },
    { name: `${curve}: only the intermediate trusted`, chain: [t('client'), i], trust: [i], expect: 'UNABLE_TO_GET_ISSUER_CERT' },
    { name: `${curve}: only the intermediate trusted, partial chains allowed`, chain: [t('client'), i], trust: [i], expect: 'OK', partialChain: true },
    { name: `${curve}: no trust store at all`, chain: [t('client'), i], expect: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
    { name: `${curve}: intermediate and root sent, nothing trusted`, chain: [t('client'), i, r], trust: ['other-root'], expect: 'SELF_SIGNED_CERT_IN_CHAIN' },
    { name: `${curve}: expired leaf`, chain: [t('expired'), i], trust: [r], expect: 'CERT_HAS_EXPIRED' },
    { name: `${curve}: leaf not yet valid`, chain: [t('future'), i], trust: [r], expect: 'CERT_NOT_YET_VALID' },
    { name: `${curve}: tampered leaf signature`, chain: [t('tampered'), i], trust: [r], expect: 'CERT_SIGNATURE_FAILURE' },
  );
}

cases.push(
  { name: 'self-signed leaf, not trusted', chain: ['selfsigned'], trust: ['root-P-256'], expect: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
  { name: 'self-signed leaf, trusted', chain: ['selfsigned'], trust: ['root-P-256', 'selfsigned'], expect: 'OK' },
  { name: 'self-signed leaf, a look-alike (same name and key) trusted', chain: ['selfsigned'], trust: ['selfsigned-twin'], expect: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
  { name: 'expired self-signed leaf, not trusted', chain: ['selfsigned-expired'], trust: ['root-P-256'], expect: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
  { name: 'leaf from an unknown CA', chain: ['stranger', 'other-inter'], trust: ['root-P-256'], expect: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
  { name: 'intermediate with basicConstraints CA:FALSE', chain: ['under-notca', 'inter-notca'], trust: ['root-P-256'], expect: 'INVALID_CA' },
  { name: 'intermediate with keyCertSign but no basicConstraints', chain: ['under-kuonly', 'inter-kuonly'], trust: ['root-P-256'], expect: 'INVALID_CA' },
  { name: 'CA:TRUE intermediate whose keyUsage lacks keyCertSign', chain: ['under-nocertsign', 'inter-nocertsign'], trust: ['root-P-256'], expect: 'INVALID_CA' },
  { name: 'intermediate with extendedKeyUsage serverAuth only', chain: ['under-serveronly', 'inter-serveronly'], trust: ['root-P-256'], expect: 'INVALID_PURPOSE' },
  { name: 'pathLenConstraint 0 with a CA below it', chain: ['under-deep', 'inter-deep', 'inter-pathlen0'], trust: ['root-P-256'], expect: 'PATH_LENGTH_EXCEEDED' },
  { name: 'expired intermediate', chain: ['under-expired-inter', 'inter-expired'], trust: ['root-P-256'], expect: 'CERT_HAS_EXPIRED' },
  { name: 'expired root', chain: ['under-old-root', 'inter-old-root'], trust: ['root-expired'], expect: 'CERT_HAS_EXPIRED' },
  { name: 'unknown critical extension in the leaf', chain: ['critical-ext', 'inter-P-256'], trust: ['root-P-256'], expect: 'UNHANDLED_CRITICAL_EXTENSION' },
  { name: 'leaf signed with ecdsa-with-SHA1 (security level 1)', chain: ['sha1-leaf', 'inter-P-256'], trust: ['root-P-256'], expect: 'CA_MD_TOO_WEAK' },
  { name: 'leaf signed with ecdsa-with-SHA224 (112 bits: security level 1 allows it)', chain: ['sha224-leaf', 'inter-P-256'], trust: ['root-P-256'], expect: 'OK' },
  { name: 'tampered leaf signature under an untrusted root (no signature is checked: the names decide)', chain: ['tampered-P-256', 'inter-P-256'], trust: ['other-root'], expect: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    nodeChecksUntrustedSignatures: 'CERT_SIGNATURE_FAILURE' },
  { name: 'verify depth 0 with an intermediate', chain: ['client-P-256', 'inter-P-256'], trust: ['root-P-256'], expect: 'CERT_CHAIN_TOO_LONG', verifyDepth: 0 },
  { name: 'verify depth 1 with an intermediate', chain: ['client-P-256', 'inter-P-256'], trust: ['root-P-256'], expect: 'OK', verifyDepth: 1 },
  { name: 'two trusted roots of the same name: the AKID picks the right one', chain: ['twin-leaf'], trust: ['twin-a', 'twin-b'], expect: 'OK' },
  { name: 'name constraints: permitted DNS subtree, SAN inside', chain: ['nc-dns-ok', 'inter-nc'], trust: ['root-P-256'], expect: 'OK' },
  { name: 'name constraints: permitted DNS subtree, SAN outside', chain: ['nc-dns-bad', 'inter-nc'], trust: ['root-P-256'], expect: 'PERMITTED_VIOLATION' },
  { name: 'name constraints: no SAN, host-like CN outside', chain: ['nc-cn-bad', 'inter-nc'], trust: ['root-P-256'], expect: 'PERMITTED_VIOLATION' },
  { name: 'name constraints: no SAN, CN not a host name', chain: ['nc-cn-user', 'inter-nc'], trust: ['root-P-256'], expect: 'OK' },
  { name: 'name constraints: excluded email domain', chain: ['nc-email-bad', 'inter-nc'], trust: ['root-P-256'], expect: 'EXCLUDED_VIOLATION' },
  { name: 'name constraints: IP inside', chain: ['nc-ip-ok', 'inter-nc'], trust: ['root-P-256'], expect: 'OK' },
  { name: 'name constraints: IP outside', chain: ['nc-ip-bad', 'inter-nc'], trust: ['root-P-256'], expect: 'PERMITTED_VIOLATION' },
  { name: 'name constraints: directoryName inside', chain: ['nc-dn-ok', 'inter-nc'], trust: ['root-P-256'], expect: 'OK' },
  { name: 'name constraints: directoryName outside', chain: ['nc-dn-bad', 'inter-nc'], trust: ['root-P-256'], expect: 'PERMITTED_VIOLATION' },
  { name: 'issuer name differing only in case, spacing and string type', chain: ['canon-leaf', 'canon-inter'], trust: ['root-P-256'], expect: 'OK' },
  { name: 'two intermediates issuing each other (a loop), nothing trusted', chain: ['loop-leaf', 'loop-a', 'loop-b'], trust: ['root-P-256'], expect: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
  { name: 'outer signatureAlgorithm differs from the TBS one', chain: ['alg-mismatch', 'built-inter'], trust: ['built-root'], expect: 'CERT_SIGNATURE_FAILURE' },
  { name: 'hand-built chain', chain: ['built-leaf', 'built-inter'], trust: ['built-root'], expect: 'OK' },
  { name: 'hand-built leaf not yet valid and already expired', chain: ['built-backwards', 'built-inter'], trust: ['built-root'], expect: 'CERT_NOT_YET_VALID' },
  { name: 'leaf with the same name as its CA (self-issued, not self-signed)', chain: ['same-name-leaf'], trust: ['same-name-root'], expect: 'OK' },
  { name: 'authorityKeyIdentifier with issuer and serial', chain: ['akid-full', 'inter-P-256'], trust: ['root-P-256'], expect: 'OK' },
  { name: 'critical authorityKeyIdentifier (not an extension OpenSSL handles)', chain: ['akid-critical', 'inter-P-256'], trust: ['root-P-256'], expect: 'UNHANDLED_CRITICAL_EXTENSION' },
  { name: 'several errors in one leaf: critical extension, purpose, expiry', chain: ['many-errors', 'inter-P-256'], trust: ['root-P-256'], expect: 'UNHANDLED_CRITICAL_EXTENSION' },
  { name: 'version 1 root', chain: ['under-v1-root'], trust: ['v1-root'], expect: 'OK' },
  { name: 'version 1 intermediate', chain: ['under-v1-inter', 'v1-inter'], trust: ['root-P-256'], expect: 'INVALID_CA' },
  { name: 'the leaf itself trusted, partial chains allowed', chain: ['client-P-256'], trust: ['client-P-256'], expect: 'OK', partialChain: true },
  { name: 'the leaf itself trusted, partial chains not allowed', chain: ['client-P-256'], trust: ['client-P-256'], expect: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
  { name: 'name constraints: URI inside', chain: ['nc-uri-ok', 'inter-nc2'], trust: ['root-P-256'], expect: 'OK' },
  { name: 'name constraints: URI outside', chain: ['nc-uri-bad', 'inter-nc2'], trust: ['root-P-256'], expect: 'PERMITTED_VIOLATION' },
  { name: 'name constraints: excluded DNS subtree', chain: ['nc-dns-excluded', 'inter-nc2'], trust: ['root-P-256'], expect: 'EXCLUDED_VIOLATION' },
  { name: 'name constraints: email outside, also checked on the CA below', chain: ['nc-under-sub', 'nc-sub', 'inter-nc'], trust: ['root-P-256'], expect: 'PERMITTED_VIOLATION' },
  { name: 'leaf with an empty keyUsage (OpenSSL: an invalid certificate)', chain: ['ku-empty', 'inter-P-256'], trust: ['root-P-256'], expect: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
  { name: 'intermediate with a keyUsage that does not decode', chain: ['under-ku-bad', 'inter-ku-bad'], trust: ['root-P-256'], expect: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
  { name: 'RSA-1024 leaf (80 bits: security level 1 allows it)', chain: ['rsa1024-leaf', 'inter-P-256'], trust: ['root-P-256'], expect: 'OK' },
  { name: 'RSA-768 leaf (below security level 1)', chain: ['rsa768-leaf', 'inter-P-256'], trust: ['root-P-256'], expect: 'EE_KEY_TOO_SMALL' },
  { name: 'RSA root and intermediate, EC leaf', chain: ['rsa-leaf', 'rsa-inter'], trust: ['rsa-root'], expect: 'OK' },
  { name: 'EC intermediate under an RSA root', chain: ['ec-under-rsa', 'ec-inter-under-rsa'], trust: ['rsa-root'], expect: 'OK' },
  { name: 'RSA root, RSA intermediate, RSA leaf (sha256WithRSAEncryption)', chain: ['rsa-rsa-leaf', 'rsa-inter'], trust: ['rsa-root'], expect: 'OK' },
  { name: 'RSA-2048 CA signing an RSA-2048 leaf directly', chain: ['rsa-direct-leaf'], trust: ['rsa-root'], expect: 'OK' },
  { name: 'RSA chain signed with SHA-384 and SHA-512 (RSA-3072 and RSA-4096 CAs)', chain: ['rsa-sha512-leaf', 'rsa4096-sha384-inter'], trust: ['rsa3072-root'], expect: 'OK' },
  { name: 'RSA leaf with a bad signature (one bit of the signature flipped)', chain: ['rsa-tampered', 'rsa-inter'], trust: ['rsa-root'], expect: 'CERT_SIGNATURE_FAILURE' },
  { name: 'RSA intermediate with a bad signature', chain: ['rsa-rsa-leaf', 'rsa-inter-tampered'], trust: ['rsa-root'], expect: 'CERT_SIGNATURE_FAILURE' },
  { name: 'RSASSA-PSS signatures, salt = digest length (SHA-256)', chain: ['pss-leaf', 'pss-inter'], trust: ['rsa-root'], expect: 'OK' },
  { name: 'RSASSA-PSS signature, SHA-512, maximum salt length', chain: ['pss-max-leaf', 'rsa-inter'], trust: ['rsa-root'], expect: 'OK' },
  { name: 'RSASSA-PSS leaf with a bad signature', chain: ['pss-tampered', 'pss-inter'], trust: ['rsa-root'], expect: 'CERT_SIGNATURE_FAILURE' },
  { name: 'id-RSASSA-PSS CA key signing a leaf', chain: ['under-pss-key', 'pss-key-inter'], trust: ['rsa-root'], expect: 'OK' },
  { name: 'Ed25519 root signing the leaf', chain: ['ed-leaf'], trust: ['ed-root'], expect: 'OK' },
  { name: 'Ed25519 root, Ed25519 leaf', chain: ['ed-ed-leaf'], trust: ['ed-root'], expect: 'OK' },
  { name: 'Ed448 root, Ed25519 intermediate, RSA leaf', chain: ['rsa-under-ed', 'ed-inter-under-ed448'], trust: ['ed448-root'], expect: 'OK' },
  { name: 'Ed25519 leaf with a bad signature', chain: ['ed-tampered'], trust: ['ed-root'], expect: 'CERT_SIGNATURE_FAILURE' },
  { name: 'P-521 intermediate', chain: ['p521-leaf', 'p521-inter'], trust: ['root-P-256'], expect: 'OK', unsupported: /issuer key.*unsupported/ },
);

describe('pki/verify: verifyClientChain against `openssl verify -purpose sslclient` and node:tls', function () {
  this.timeout(120_000);

  before(() => {
    selfSigned('server', 'P-256', 'basicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth');
    selfSigned('other-root', 'P-256', CA);
    issue('other-inter', 'P-256', 'other-root', CA);
    issue('stranger', 'P-256', 'other-inter', CLIENT);

    for (const curve of ['P-256', 'P-384'] as const) {
      const r = `root-${curve}`;
      const i = `inter-${curve}`;
      selfSigned(r, curve, CA);
      issue(i, curve, r, CA);
      const leaf = (name: string, ext: string, opts: { dates?: [string, string] } = {}): void => issue(`${name}-${curve}`, curve, i, ext, opts);
      leaf('client', CLIENT);
      leaf('noeku', 'keyUsage = digitalSignature');
      leaf('server', 'extendedKeyUsage = serverAuth');
      leaf('anyeku', 'extendedKeyUsage = anyExtendedKeyUsage');
      leaf('kuenc', 'keyUsage = keyEncipherment');
      leaf('nsserver', 'nsCertType = server');
      leaf('expired', CLIENT, { dates: ['20200101000000Z', '20210101000000Z'] });
      leaf('future', CLIENT, { dates: ['20990101000000Z', '20991231000000Z'] });
      tamper(`client-${curve}`, `tampered-${curve}`);
    }

    const cliRoot: Built = { key: loadPrivateKey(read('root-P-256.key')), subject: parseCertificate(cert('root-P-256').der).subject };
    selfSigned('selfsigned', 'P-256', 'basicConstraints = CA:FALSE\nextendedKeyUsage = clientAuth\nsubjectKeyIdentifier = hash');
    selfSigned('selfsigned-twin', 'P-256', 'basicConstraints = CA:FALSE\nextendedKeyUsage = clientAuth\nsubjectKeyIdentifier = hash',
      { key: 'selfsigned', serial: '2' });
    // Self-signed, valid 2020..2021: `openssl ca -selfsign` through issue() would need the key first; build it by hand.
    build('selfsigned-expired', { subject: nameOf([CN, Tag.UTF8String, 'selfsigned-expired']), exts: clientExts(),
      notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });

    issue('inter-notca', 'P-256', 'root-P-256', 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, keyCertSign\nsubjectKeyIdentifier = hash');
    issue('under-notca', 'P-256', 'inter-notca', CLIENT);
    issue('inter-kuonly', 'P-256', 'root-P-256', 'keyUsage = critical, keyCertSign\nsubjectKeyIdentifier = hash');
    issue('under-kuonly', 'P-256', 'inter-kuonly', CLIENT);
    issue('inter-nocertsign', 'P-256', 'root-P-256', 'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, digitalSignature\nsubjectKeyIdentifier = hash');
    issue('under-nocertsign', 'P-256', 'inter-nocertsign', CLIENT);
    issue('inter-serveronly', 'P-256', 'root-P-256', `${CA}\nextendedKeyUsage = serverAuth`);
    issue('under-serveronly', 'P-256', 'inter-serveronly', CLIENT);
    issue('inter-pathlen0', 'P-256', 'root-P-256', 'basicConstraints = critical, CA:TRUE, pathlen:0\nkeyUsage = critical, keyCertSign');
    issue('inter-deep', 'P-256', 'inter-pathlen0', CA);
    issue('under-deep', 'P-256', 'inter-deep', CLIENT);
    issue('inter-expired', 'P-256', 'root-P-256', CA, { dates: ['20200101000000Z', '20210101000000Z'] });
    issue('under-expired-inter', 'P-256', 'inter-expired', CLIENT);
    build('root-expired', { subject: nameOf([CN, Tag.UTF8String, 'root-expired']), key: newKey('P-256'), exts: caExts(),
      notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    writeFileSync(file('root-expired.key'), cert('root-expired').keyPem);
    issue('inter-old-root', 'P-256', 'root-expired', CA);
    issue('under-old-root', 'P-256', 'inter-old-root', CLIENT);
    issue('critical-ext', 'P-256', 'inter-P-256', `${CLIENT}\n1.2.3.4 = critical, DER:0500`);
    issue('sha1-leaf', 'P-256', 'inter-P-256', CLIENT, { digest: 'sha1' });
    issue('sha224-leaf', 'P-256', 'inter-P-256', CLIENT, { digest: 'sha224' });

    // Two roots with the same name and different keys; the leaf's AKID names the second.
    selfSigned('twin-a', 'P-256', CA, { subj: '/CN=twin root' });
    selfSigned('twin-b', 'P-256', CA, { subj: '/CN=twin root' });
    issue('twin-leaf', 'P-256', 'twin-b', CLIENT);

    issue('inter-nc', 'P-256', 'root-P-256', `${CA}\nnameConstraints = critical, permitted;DNS:example.com, excluded;email:.bad.example, ` +
      'permitted;IP:10.0.0.0/255.0.0.0, permitted;dirName:nc_dn, permitted;email:example.com, permitted;email:.bad.example\n[nc_dn]\nO = Example Org');
    const ncLeaf = (name: string, subj: string, san?: string): void =>
      issue(name, 'P-256', 'inter-nc', `${CLIENT}${san ? `\nsubjectAltName = ${san}` : ''}`, { subj });
    ncLeaf('nc-dns-ok', '/O=Example Org/CN=a', 'DNS:a.example.com');
    ncLeaf('nc-dns-bad', '/O=Example Org/CN=a', 'DNS:a.example.org');
    ncLeaf('nc-cn-bad', '/O=Example Org/CN=host.evil.test');
    ncLeaf('nc-cn-user', '/O=Example Org/CN=alice');
    ncLeaf('nc-email-bad', '/O=Example Org/CN=a', 'email:eve@x.bad.example');
    ncLeaf('nc-ip-ok', '/O=Example Org/CN=a', 'IP:10.1.2.3');
    ncLeaf('nc-ip-bad', '/O=Example Org/CN=a', 'IP:192.168.1.1');
    ncLeaf('nc-dn-ok', '/O=Example Org/OU=Sales/CN=a', 'DNS:b.example.com');
    ncLeaf('nc-dn-bad', '/O=Other Org/CN=a', 'DNS:b.example.com');

    // Names OpenSSL compares after canonicalisation: '  My   INTER ' (PrintableString) == 'my inter' (UTF8String).
    const canonInter = build('canon-inter', { subject: nameOf([CN, Tag.UTF8String, 'my inter']), signer: cliRoot, exts: caExts() });
    build('canon-leaf', { subject: nameOf([CN, Tag.UTF8String, 'canon leaf']), issuer: nameOf([CN, Tag.PrintableString, '  My   INTER ']),
      signer: canonInter, exts: clientExts() });

    // A loop: A issued by B, B issued by A.
    const ka = newKey('P-256');
    const kb = newKey('P-256');
    const na = nameOf([CN, Tag.UTF8String, 'loop a']);
    const nb = nameOf([CN, Tag.UTF8String, 'loop b']);
    const a = build('loop-a', { subject: na, key: ka, signer: { key: kb, subject: nb }, exts: caExts() });
    build('loop-b', { subject: nb, key: kb, signer: a, exts: caExts() });
    build('loop-leaf', { subject: nameOf([CN, Tag.UTF8String, 'loop leaf']), signer: a, exts: clientExts() });

    const builtRoot = build('built-root', { subject: nameOf([CN, Tag.UTF8String, 'built root']), key: newKey('P-384'), exts: caExts() });
    const builtInter = build('built-inter', { subject: nameOf([CN, Tag.UTF8String, 'built inter']), signer: builtRoot, exts: caExts() });
    build('built-leaf', { subject: nameOf([CN, Tag.UTF8String, 'built leaf']), signer: builtInter, exts: clientExts() });
    build('alg-mismatch', { subject: nameOf([CN, Tag.UTF8String, 'alg mismatch']), signer: builtInter, exts: clientExts(), outerSigAlg: '1.2.840.10045.4.3.3' });
    build('built-backwards', { subject: nameOf([CN, Tag.UTF8String, 'backwards']), signer: builtInter, exts: clientExts(),
      notBefore: new Date('2098-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });

    selfSigned('same-name-root', 'P-256', CA, { subj: '/CN=same name' });
    issue('same-name-leaf', 'P-256', 'same-name-root', CLIENT, { subj: '/CN=same name' });
    issue('akid-full', 'P-256', 'inter-P-256', CLIENT.replace('authorityKeyIdentifier = keyid', 'authorityKeyIdentifier = keyid, issuer:always'));
    issue('akid-critical', 'P-256', 'inter-P-256', CLIENT.replace('authorityKeyIdentifier = keyid', 'authorityKeyIdentifier = critical, keyid'));
    issue('many-errors', 'P-256', 'inter-P-256', 'extendedKeyUsage = serverAuth\n1.2.3.4 = critical, DER:0500',
      { dates: ['20200101000000Z', '20210101000000Z'] });
    const v1Root = build('v1-root', { subject: nameOf([CN, Tag.UTF8String, 'v1 root']), v1: true });
    build('under-v1-root', { subject: nameOf([CN, Tag.UTF8String, 'under v1 root']), signer: v1Root, exts: clientExts() });
    const v1Inter = build('v1-inter', { subject: nameOf([CN, Tag.UTF8String, 'v1 inter']), signer: cliRoot, v1: true });
    build('under-v1-inter', { subject: nameOf([CN, Tag.UTF8String, 'under v1 inter']), signer: v1Inter, exts: clientExts() });
    issue('inter-nc2', 'P-256', 'root-P-256', `${CA}\nnameConstraints = critical, permitted;URI:.example.com, excluded;DNS:.secret.example.com`);
    issue('nc-uri-ok', 'P-256', 'inter-nc2', `${CLIENT}\nsubjectAltName = URI:https://a.example.com/path, DNS:www.example.com`);
    issue('nc-uri-bad', 'P-256', 'inter-nc2', `${CLIENT}\nsubjectAltName = URI:https://example.org:8443/`);
    issue('nc-dns-excluded', 'P-256', 'inter-nc2', `${CLIENT}\nsubjectAltName = DNS:db.secret.example.com`);
    issue('nc-sub', 'P-256', 'inter-nc', `${CA}\nsubjectAltName = email:ca@elsewhere.test`, { subj: '/O=Example Org/CN=sub' });
    issue('nc-under-sub', 'P-256', 'nc-sub', `${CLIENT}\nsubjectAltName = DNS:c.example.com`, { subj: '/O=Example Org/CN=c' });
    issue('ku-empty', 'P-256', 'inter-P-256', 'keyUsage = DER:03020000');
    issue('inter-ku-bad', 'P-256', 'root-P-256', 'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, DER:0300\nsubjectKeyIdentifier = hash');
    issue('under-ku-bad', 'P-256', 'inter-ku-bad', 'extendedKeyUsage = clientAuth');
    issue('rsa1024-leaf', 'rsa1024', 'inter-P-256', CLIENT);
    issue('rsa768-leaf', 'rsa768', 'inter-P-256', CLIENT);

    selfSigned('rsa-root', 'rsa', CA);
    issue('rsa-inter', 'rsa', 'rsa-root', CA);
    issue('rsa-leaf', 'P-256', 'rsa-inter', CLIENT);
    issue('ec-inter-under-rsa', 'P-256', 'rsa-root', CA);
    issue('ec-under-rsa', 'P-256', 'ec-inter-under-rsa', CLIENT);
    issue('rsa-rsa-leaf', 'rsa', 'rsa-inter', CLIENT);
    issue('rsa-direct-leaf', 'rsa', 'rsa-root', CLIENT);
    selfSigned('rsa3072-root', 'rsa3072', CA, { digest: 'sha384' });
    issue('rsa4096-sha384-inter', 'rsa4096', 'rsa3072-root', CA, { digest: 'sha384' });
    issue('rsa-sha512-leaf', 'rsa', 'rsa4096-sha384-inter', CLIENT, { digest: 'sha512' });
    const pss = ['rsa_padding_mode:pss', 'rsa_pss_saltlen:digest'];
    issue('pss-inter', 'rsa', 'rsa-root', CA, { digest: 'sha256', sigopt: pss });
    issue('pss-leaf', 'rsa', 'pss-inter', CLIENT, { digest: 'sha256', sigopt: pss });
    issue('pss-max-leaf', 'rsa', 'rsa-inter', CLIENT, { digest: 'sha512', sigopt: ['rsa_padding_mode:pss', 'rsa_pss_saltlen:max'] });
    issue('pss-key-inter', 'rsa-pss', 'rsa-root', CA, { digest: 'sha256', sigopt: pss });
    issue('under-pss-key', 'P-256', 'pss-key-inter', CLIENT, { digest: 'sha256', sigopt: pss });
    selfSigned('ed-root', 'ed25519', CA);
    issue('ed-leaf', 'P-256', 'ed-root', CLIENT);
    issue('ed-ed-leaf', 'ed25519', 'ed-root', CLIENT);
    selfSigned('ed448-root', 'ed448', CA);
    issue('ed-inter-under-ed448', 'ed25519', 'ed448-root', CA);
    issue('rsa-under-ed', 'rsa', 'ed-inter-under-ed448', CLIENT);
    for (const [good, bad] of [['rsa-rsa-leaf', 'rsa-tampered'], ['rsa-inter', 'rsa-inter-tampered'], ['pss-leaf', 'pss-tampered'], ['ed-ed-leaf', 'ed-tampered']]) {
      tamper(good!, bad!);
    }
    issue('p521-inter', 'P-521', 'root-P-256', CA);
    issue('p521-leaf', 'P-256', 'p521-inter', CLIENT);
  });

  for (const c of cases) {
    it(`${c.name}: ${c.unsupported ? 'documented divergence' : c.expect}`, async () => {
      const result = ours(c);
      const ossl = opensslVerify(c);
      const osslFirst = ossl.errors[0];
      // The scenario is what we meant it to be, in OpenSSL's own judgement...
      assert.equal(osslFirst ? x509ErrorName(osslFirst.code) : ossl.ok ? 'OK' : 'FAILED', c.expect, `openssl verify: ${JSON.stringify(ossl)}`);
      if (c.unsupported) {
        assert.equal(result.reason, 'CERT_SIGNATURE_FAILURE');
        assert.match(result.message, c.unsupported);
        return;
      }
      // ...and we agree with it: the first error and its depth, and every line `openssl verify` prints.
      assert.deepEqual({ code: result.code, depth: result.depth }, osslFirst ? { code: osslFirst.code, depth: osslFirst.depth } : { code: 0, depth: 0 },
        `ours: ${JSON.stringify(result.errors)}`);
      assert.deepEqual(printedBy(result.errors), ossl.errors, `ours: ${JSON.stringify(result.errors)}`);
      assert.equal(result.reason, x509ErrorName(result.code));
      assert.ok(result.leaf);
      // node:tls, whose callback lets every error through, ends up with the last one.
      // (node has no verify depth setting.)
      assert.equal(result.verifyResult, result.errors.at(-1)?.code ?? 0);
      if (c.nodeChecksUntrustedSignatures) {
        assert.equal(await nodeVerdict(c), c.nodeChecksUntrustedSignatures, 'node:tls checks the signatures of an untrusted path');
        assert.equal(result.authorizationError, x509ErrorName(result.errors.at(-1)!.code));
        assert.ok(result.errors.every((e) => e.code !== X509_V_ERR.CERT_SIGNATURE_FAILURE), 'we do not');
      } else if (c.verifyDepth === undefined) {
        assert.equal(result.authorizationError, await nodeVerdict(c), `ours: ${JSON.stringify(result.errors)}`);
      }
    });
  }
});

describe('pki/verify: RSA and EdDSA signatures', function () {
  this.timeout(120_000);
  const verify = (chain: string[], trust: string[], securityLevel?: number): ChainVerification =>
    verifyClientChain(chain.map((n) => cert(n).der), loadTrustStore(trust.map((n) => cert(n).pem).join('')),
      { now: new Date(), crypto, ...(securityLevel !== undefined ? { securityLevel } : {}) });

  before(() => {
    if (!certs.has('rsa-root')) {
      selfSigned('rsa-root', 'rsa', CA);
      issue('rsa-inter', 'rsa', 'rsa-root', CA);
    }
    issue('rsa-sha1-leaf', 'rsa', 'rsa-inter', CLIENT, { digest: 'sha1' });
    issue('pss-direct-leaf', 'rsa', 'rsa-inter', CLIENT, { digest: 'sha256', sigopt: ['rsa_padding_mode:pss', 'rsa_pss_saltlen:digest'] });
    if (!certs.has('pss-key-inter')) issue('pss-key-inter', 'rsa-pss', 'rsa-root', CA, { digest: 'sha256', sigopt: ['rsa_padding_mode:pss', 'rsa_pss_saltlen:digest'] });
  });

  it('the fixtures are what they say: RSASSA-PSS signatures with parameters, an id-RSASSA-PSS key', () => {
    const pssLeaf = parseCertificate(cert('pss-direct-leaf').der);
    assert.equal(pssLeaf.signatureAlgorithm, '1.2.840.113549.1.1.10');
    assert.match(openssl('x509', '-in', file('pss-direct-leaf.pem'), '-noout', '-text'), /Signature Algorithm: rsassaPss[\s\S]*Hash Algorithm: sha256[\s\S]*Salt Length: 0x20/);
    assert.equal(parseCertificate(cert('pss-key-inter').der).publicKeyAlgorithm, '1.2.840.113549.1.1.10');
    assert.equal(parseCertificate(cert('rsa-sha1-leaf').der).signatureAlgorithm, '1.2.840.113549.1.1.5');
  });

  it('an RSA-signed chain verifies, and fails with CERT_SIGNATURE_FAILURE once its signature is changed', () => {
    assert.equal(verify(['pss-direct-leaf', 'rsa-inter'], ['rsa-root']).reason, 'OK');
    const der = Uint8Array.from(cert('pss-direct-leaf').der);
    der[der.length - 1]! ^= 0x80;
    const r = verifyClientChain([der, cert('rsa-inter').der], loadTrustStore(cert('rsa-root').pem), { now: new Date(), crypto });
    assert.equal(r.reason, 'CERT_SIGNATURE_FAILURE');
    assert.equal(r.depth, 0);
    assert.match(r.message, /RSASSA-PSS \(sha256, salt 32\) signature does not verify with the issuer's RSA key/);
  });

  it('SHA-1 RSA signatures stay refused: CA_MD_TOO_WEAK first as OpenSSL says, and never checked (so refused at level 0 too)', () => {
    const level1 = verify(['rsa-sha1-leaf', 'rsa-inter'], ['rsa-root']);
    assert.equal(level1.reason, 'CA_MD_TOO_WEAK');
    assert.deepEqual(opensslVerify({ name: 'sha1', chain: ['rsa-sha1-leaf', 'rsa-inter'], trust: ['rsa-root'], expect: '' }).errors[0],
      { code: X509_V_ERR.CA_MD_TOO_WEAK, depth: 0 });
    assert.ok(level1.errors.some((e) => e.code === X509_V_ERR.CERT_SIGNATURE_FAILURE && /cannot check sha1WithRSAEncryption/.test(e.message)));
    // A documented divergence: OpenSSL at security level 0 accepts this chain; puretls does not check SHA-1 RSA signatures at all.
    const level0 = verify(['rsa-sha1-leaf', 'rsa-inter'], ['rsa-root'], 0);
    assert.equal(level0.reason, 'CERT_SIGNATURE_FAILURE');
  });

  it('the client-certificate fixtures\' RSA chain (RSA CA, RSA leaf) verifies; their RSA leaf under the EC root too', () => {
    const set = clientCerts();
    const store = loadTrustStore([set.root.pem, set.rsaRoot.pem]);
    for (const leaf of [set.rsaUnderRsa, set.rsa]) {
      const r = verifyClientChain([leaf.der], store, { now: new Date(), crypto });
      assert.equal(r.reason, 'OK', `${leaf.name}: ${r.message}`);
    }
  });
});

describe('pki/verify: API', () => {
  let store: ReturnType<typeof loadTrustStore>;
  let chain: Uint8Array[];
  before(() => {
    const root = build('api-root', { subject: nameOf([CN, Tag.UTF8String, 'api root']), exts: caExts() });
    const inter = build('api-inter', { subject: nameOf([CN, Tag.UTF8String, 'api inter']), signer: root, exts: caExts() });
    build('api-leaf', { subject: nameOf([CN, Tag.UTF8String, 'api leaf']), signer: inter, exts: clientExts() });
    store = loadTrustStore(cert('api-root').pem);
    chain = [cert('api-leaf').der, cert('api-inter').der];
  });

  it('x509ErrorName and nodeAuthorizationError use OpenSSL 3.0 numbering and node\'s names', () => {
    assert.equal(x509ErrorName(X509_V_OK), 'OK');
    assert.equal(x509ErrorName(2), 'UNABLE_TO_GET_ISSUER_CERT');
    assert.equal(x509ErrorName(7), 'CERT_SIGNATURE_FAILURE');
    assert.equal(x509ErrorName(9), 'CERT_NOT_YET_VALID');
    assert.equal(x509ErrorName(10), 'CERT_HAS_EXPIRED');
    assert.equal(x509ErrorName(18), 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.equal(x509ErrorName(19), 'SELF_SIGNED_CERT_IN_CHAIN');
    assert.equal(x509ErrorName(20), 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    assert.equal(x509ErrorName(21), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.equal(x509ErrorName(24), 'NO_ISSUER_PUBLIC_KEY');
    assert.equal(x509ErrorName(26), 'INVALID_PURPOSE');
    assert.equal(x509ErrorName(79), 'INVALID_CA');
    assert.equal(x509ErrorName(1000), 'UNKNOWN_1000');
    assert.equal(nodeAuthorizationError(0), undefined);
    assert.equal(nodeAuthorizationError(79), 'INVALID_CA');
    assert.equal(nodeAuthorizationError(X509_V_ERR.KEYUSAGE_NO_CERTSIGN), 'UNSPECIFIED');
    // The numbers agree with the header this machine's OpenSSL was built with, when there is one.
    const headerFile = '/usr/include/openssl/x509_vfy.h';
    if (existsSync(headerFile) && /OpenSSL 3\.0\./.test(openssl('version'))) {
      const header = readFileSync(headerFile, 'utf8');
      for (const m of header.matchAll(/^#\s*define X509_V_ERR_(\w+) (\d+)/gm)) assert.equal(x509ErrorName(Number(m[2])), m[1], m[0]);
    }
  });

  it('verifies a good chain and reports the path', () => {
    const r = verifyClientChain(chain, store, { now: new Date(), crypto });
    assert.equal(r.code, 0);
    assert.equal(r.reason, 'OK');
    assert.deepEqual(r.errors, []);
    assert.equal(r.authorizationError, undefined);
    assert.deepEqual(r.path.map((c) => c.subjectCommonName), ['api leaf', 'api inter', 'api root']);
    assert.equal(r.leaf?.subjectCommonName, 'api leaf');
  });

  it('uses options.now for validity', () => {
    const late = verifyClientChain(chain, store, { now: new Date(Date.now() + 365 * 86400_000), crypto });
    assert.equal(late.reason, 'CERT_HAS_EXPIRED');
    assert.equal(late.depth, 2); // the top is checked first, and everything expired together
    assert.deepEqual(late.errors.map((e) => e.depth), [2, 1, 0]);
    const early = verifyClientChain(chain, store, { now: new Date(Date.now() - 365 * 86400_000), crypto });
    assert.equal(early.reason, 'CERT_NOT_YET_VALID');
  });

  it('the leaf alone: node says UNABLE_TO_VERIFY_LEAF_SIGNATURE after UNABLE_TO_GET_ISSUER_CERT_LOCALLY', () => {
    const r = verifyClientChain([chain[0]!], store, { now: new Date(), crypto });
    assert.deepEqual(r.errors.map((e) => [e.reason, e.depth]), [['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 0], ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 0]]);
    assert.equal(r.authorizationError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.equal(r.code, X509_V_ERR.UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    assert.equal(r.verifyResult, X509_V_ERR.UNABLE_TO_VERIFY_LEAF_SIGNATURE);
  });

  it('no certificate: UNABLE_TO_GET_ISSUER_CERT, as node reports it', () => {
    const r = verifyClientChain([], store, { now: new Date(), crypto });
    assert.equal(r.code, X509_V_ERR.UNABLE_TO_GET_ISSUER_CERT);
    assert.equal(r.leaf, undefined);
  });

  it('malformed certificates: UNSPECIFIED at their index, never an exception', () => {
    const bad = verifyClientChain([chain[0]!, Uint8Array.of(0x30, 0x03, 0x02, 0x01)], store, { now: new Date(), crypto });
    assert.equal(bad.code, X509_V_ERR.UNSPECIFIED);
    assert.equal(bad.depth, 1);
    assert.match(bad.message, /certificate 2 of 2 is malformed/);
    assert.equal(bad.leaf?.subjectCommonName, 'api leaf');
    const badLeaf = verifyClientChain([new Uint8Array(0)], store, { now: new Date(), crypto });
    assert.equal(badLeaf.code, X509_V_ERR.UNSPECIFIED);
    assert.equal(badLeaf.leaf, undefined);
    assert.equal(verifyClientChain(chain, store, { now: new Date(NaN), crypto }).code, X509_V_ERR.UNSPECIFIED);
  });

  it('no trust store: nothing verifies', () => {
    assert.equal(verifyClientChain(chain, undefined, { now: new Date(), crypto }).reason, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  });

  it('securityLevel 0 accepts SHA-1 signatures that level 1 refuses', () => {
    const inter: Built = { key: newKey('P-256'), subject: nameOf([CN, Tag.UTF8String, 'api inter']) };
    const root = build('sha1-root', { subject: nameOf([CN, Tag.UTF8String, 'sha1 root']), exts: caExts() });
    build('sha1-inter', { subject: inter.subject, key: inter.key, signer: root, exts: caExts() });
    build('sha1-leaf2', { subject: nameOf([CN, Tag.UTF8String, 'sha1 leaf']), signer: inter, exts: clientExts(), sha1: true });
    const c = [cert('sha1-leaf2').der, cert('sha1-inter').der];
    const s = loadTrustStore(cert('sha1-root').pem);
    assert.equal(verifyClientChain(c, s, { now: new Date(), crypto }).reason, 'CA_MD_TOO_WEAK');
    assert.equal(verifyClientChain(c, s, { now: new Date(), crypto, securityLevel: 0 }).code, 0);
  });

  it('loadTrustStore: every CERTIFICATE block, deduplicated; none is a TlsConfigError; a bad one a TlsDecodeError', () => {
    const pem = cert('api-root').pem + cert('api-inter').pem + cert('api-root').pem;
    assert.equal(loadTrustStore(pem).certificates.length, 2);
    assert.equal(loadTrustStore([cert('api-root').pem, new TextEncoder().encode(cert('api-inter').pem)]).certificates.length, 2);
    assert.throws(() => loadTrustStore('nothing here'), (e: unknown) => e instanceof TlsConfigError && e.code === 'ERR_NO_CERTIFICATE');
    assert.throws(() => loadTrustStore(cert('api-leaf').keyPem), TlsConfigError);
    assert.throws(() => loadTrustStore(encodePem('CERTIFICATE', Uint8Array.of(0x30, 0))), TlsDecodeError);
    // A certificate OpenSSL would load but never use (an extension that does not decode) is a configuration error too.
    const emptyKu = build('empty-ku-root', { subject: nameOf([CN, Tag.UTF8String, 'empty ku']), exts: [ext('2.5.29.15', true, tlv(Tag.BIT_STRING, Uint8Array.of(0)))] });
    assert.ok(emptyKu);
    assert.throws(() => loadTrustStore(cert('empty-ku-root').pem), (e: unknown) => e instanceof TlsDecodeError && /keyUsage/.test(e.message));
  });

  it('a TrustStore-shaped object not made by loadTrustStore also works', () => {
    const r = verifyClientChain(chain, { certificates: store.certificates }, { now: new Date(), crypto });
    assert.equal(r.code, 0);
  });

  it('a long chain is bounded by maxDepth and never loops', () => {
    let signer = build('long-0', { subject: nameOf([CN, Tag.UTF8String, 'long 0']), exts: caExts() });
    const longStore = loadTrustStore(cert('long-0').pem);
    const ders: Uint8Array[] = [];
    for (let i = 1; i <= 12; i++) {
      signer = build(`long-${i}`, { subject: nameOf([CN, Tag.UTF8String, `long ${i}`]), signer, exts: caExts() });
      ders.unshift(cert(`long-${i}`).der);
    }
    build('long-leaf', { subject: nameOf([CN, Tag.UTF8String, 'long leaf']), signer, exts: clientExts() });
    ders.unshift(cert('long-leaf').der);
    assert.equal(verifyClientChain(ders, longStore, { now: new Date(), crypto }).code, 0);
    const r = verifyClientChain(ders, longStore, { now: new Date(), crypto, maxDepth: 10 });
    assert.equal(r.reason, 'CERT_CHAIN_TOO_LONG');
    assert.equal(r.depth, 11);
  });

  describe('bounded work: signatures only on a path found by name, at most maxSignatureChecks', () => {
    it('100 certificates from an untrusted root: refused on names alone, without one signature check', () => {
      const counting = new RecordingCrypto();
      const { chain } = buildChain(100, { label: 'untrusted' });
      const r = verifyClientChain(chain, store, { now: new Date(), crypto: counting });
      assert.equal(r.reason, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
      assert.equal(r.path.length, 100);
      assert.equal(counting.verifies.length, 0);
    });

    it('100 certificates named up to the trusted root but signed by other keys: one check fails, no more are made', () => {
      const counting = new RecordingCrypto();
      const root = { der: cert('api-root').der, subject: parseCertificate(cert('api-root').der).subject, key: newKey('P-256') };
      const { chain } = buildChain(100, { label: 'forged', forgedUnder: root });
      const r = verifyClientChain(chain, store, { now: new Date(), crypto: counting });
      assert.equal(r.reason, 'CERT_SIGNATURE_FAILURE');
      assert.equal(r.depth, 99, 'the top of the path, signed "by the root"');
      assert.equal(counting.verifies.length, 1);
      assert.equal(r.errors.filter((e) => e.code === X509_V_ERR.CERT_SIGNATURE_FAILURE).length, 1);
    });

    it('maxSignatureChecks: a valid path that needs more fails with CERT_CHAIN_TOO_LONG after exactly that many', () => {
      const { chain, root } = buildChain(12, { label: 'budget' });
      const trusted = loadTrustStore(encodePem('CERTIFICATE', root.der));
      const unbounded = new RecordingCrypto();
      assert.equal(verifyClientChain(chain, trusted, { now: new Date(), crypto: unbounded }).code, 0);
      assert.equal(unbounded.verifies.length, 12, 'one check per certificate sent');
      const enough = new RecordingCrypto();
      assert.equal(verifyClientChain(chain, trusted, { now: new Date(), crypto: enough, maxSignatureChecks: 12 }).code, 0);
      const bounded = new RecordingCrypto();
      const r = verifyClientChain(chain, trusted, { now: new Date(), crypto: bounded, maxSignatureChecks: 5 });
      assert.equal(r.reason, 'CERT_CHAIN_TOO_LONG');
      assert.equal(r.depth, 6, 'the first certificate left unchecked, counting from the leaf');
      assert.match(r.message, /more than 5 signature checks/);
      assert.equal(bounded.verifies.length, 5);
    });
  });

  it('fuzz: thousands of mutated chains never throw and never verify', function () {
    this.timeout(120_000);
    let seed = 0x1234567;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const counts = new Map<string, number>();
    for (let k = 0; k < 3000; k++) {
      const which = rand(2);
      const original = chain[which]!;
      let bytes = Uint8Array.from(original);
      switch (rand(4)) {
        case 0:
          bytes[rand(bytes.length)]! ^= 1 << rand(8);
          break;
        case 1:
          bytes[rand(bytes.length)] = rand(256);
          break;
        case 2:
          bytes = bytes.subarray(0, rand(bytes.length));
          break;
        default: {
          const at = rand(bytes.length);
          bytes = Uint8Array.from([...bytes.subarray(0, at), rand(256), ...bytes.subarray(at)]);
        }
      }
      const mutated = which === 0 ? [bytes, chain[1]!] : [chain[0]!, bytes];
      const r = verifyClientChain(mutated, store, { now: new Date(), crypto });
      assert.equal(typeof r.code, 'number');
      assert.ok(r.errors.every((e) => typeof e.message === 'string'));
      const same = bytes.length === original.length && bytes.every((b, i) => b === original[i]);
      if (!same) assert.notEqual(r.code, 0, `mutation ${k} verified`);
      counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
    }
    assert.ok((counts.get('CERT_SIGNATURE_FAILURE') ?? 0) > 0, JSON.stringify([...counts]));
    assert.ok((counts.get('UNSPECIFIED') ?? 0) > 0, JSON.stringify([...counts]));
  });
});
