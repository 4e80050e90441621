/**
 * node dist/bench/primitives.js [ghash gcm hmac x25519 ecdsa provider handshake records] [--quick] [--baseline=DIR] [--write]
 *
 * The primitives a handshake is made of, each candidate beside the others in one process,
 * interleaved (ab.ts): time per operation, and bytes allocated per operation measured in a
 * child process whose new space is large enough that no collection runs during a batch.
 * This is where the choices in src/crypto/ are measured: the compact GHASH against noble's,
 * the X25519 implementations, noble's base-point tables, SHA-256 and the HMAC, and the node:crypto
 * provider against the noble one.
 *
 * --baseline=DIR adds the AES-GCM, the provider, X25519, the in-process handshake and the
 *   node:crypto provider's 16 KiB records of another build (DIR holds its dist/, e.g. a
 *   `git archive` of an older commit built with `npx tsc -p .`): before/after in one process.
 * --write  also writes bench/results/primitives.md.
 * Optional candidates (@stablelib/x25519, curve25519-js) are measured when installed (`npm
 * install --no-save @stablelib/x25519 curve25519-js`) and skipped otherwise.
 */
import { fork } from 'node:child_process';
import { createHash, createHmac, generateKeyPairSync, diffieHellman, createPrivateKey, createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GHASH } from '@noble/ciphers/_polyval.js';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import nacl from 'tweetnacl';
import { x25519, x25519Base } from '../src/crypto/x25519.js';
import { compare, bytesPerOp, type Candidate, type Timing } from './ab.js';
import { RESULTS_DIR } from './common.js';
import { unsafe as nobleAes } from '@noble/ciphers/aes.js';
import { aesCtr32, expandAesKey } from '../src/crypto/aes-compact.js';
import { AesGcm } from '../src/crypto/gcm.js';
import { CompactGhash } from '../src/crypto/ghash.js';
import { Sha256 } from '../src/crypto/sha256.js';
import { NobleCryptoProvider } from '../src/crypto/noble.js';
import type { CryptoProvider } from '../src/crypto/provider.js';
import { NodeCryptoProvider } from '../src/node/node-crypto.js';
import { prf } from '../src/handshake/key-schedule.js';

type Section = 'ghash' | 'gcm' | 'hmac' | 'x25519' | 'ecdsa' | 'provider' | 'handshake' | 'records';
const ALL_SECTIONS: Section[] = ['ghash', 'gcm', 'hmac', 'x25519', 'ecdsa', 'provider', 'handshake', 'records'];

interface Group {
  section: Section;
  title: string;
  candidates: Candidate[];
  /** Iterations for the allocation count (0: do not count). */
  allocN: number;
  /**
   * Longer slices than the default, for operations whose garbage collections come in lumps
   * (a 16 KiB record's buffers count as external memory, and V8 collects every ~2,000
   * records): a slice then spans several collections, so each candidate pays its own.
   */
  sliceMs?: number;
  note?: string;
}

const bytes = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + 3) & 0xff);

/** Modules of another build, for before/after in one process. */
interface Baseline {
  AesGcm: new (key: Uint8Array) => { seal(n: Uint8Array, a: Uint8Array, p: Uint8Array): Uint8Array; dispose?(): void };
  provider: CryptoProvider;
  x25519: { x25519(k: Uint8Array, u: Uint8Array): Uint8Array; x25519Base(k: Uint8Array): Uint8Array };
}

async function loadBaseline(dir: string | undefined): Promise<Baseline | undefined> {
  if (!dir) return undefined;
  const at = (p: string): string => pathToFileURL(path.resolve(dir, 'dist', 'src', 'crypto', p)).href;
  const gcm = (await import(at('gcm.js'))) as { AesGcm: Baseline['AesGcm'] };
  const noble = (await import(at('noble.js'))) as { NobleCryptoProvider: new () => CryptoProvider };
  const x25519 = (await import(at('x25519.js'))) as Baseline['x25519'];
  return { AesGcm: gcm.AesGcm, provider: new noble.NobleCryptoProvider(), x25519 };
}

async function optional<T>(name: string): Promise<T | undefined> {
  try {
    return (await import(name as string)) as T;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------

function ghashGroups(): Group[] {
  const h = bytes(16, 5);
  const aad = bytes(13, 2);
  const lengths = bytes(16, 3);
  const groups: Group[] = [
    {
      section: 'ghash',
      title: 'GHASH key setup (table for one hash key H)',
      allocN: 2000,
      candidates: [
        { name: 'noble GHASH, 2-bit windows (expected length <= 1 KiB, what gcm.ts used first)', op: () => new GHASH(h, 1024) },
        { name: 'noble GHASH, 4-bit windows (<= 64 KiB)', op: () => new GHASH(h, 16384) },
        { name: 'noble GHASH, 8-bit windows (> 64 KiB)', op: () => new GHASH(h, 1 << 20) },
        { name: 'CompactGhash (Shoup 4-bit, ours)', op: () => new CompactGhash(h) },
      ],
    },
  ];
  for (const n of [16, 100, 1024, 16384]) {
    const ct = bytes(n, 4);
    const noble2 = new GHASH(h, 1024);
    const noble4 = new GHASH(h, 16384);
    const noble8 = new GHASH(h, 1 << 20);
    const ours = new CompactGhash(h);
    const out = new Uint8Array(16);
    const run = (g: { update(d: Uint8Array): unknown; digestInto(o: Uint8Array): void }, reset: () => void) => () => {
      reset();
      g.update(aad);
      g.update(ct);
      g.update(lengths);
      g.digestInto(out);
    };
    const resetNoble = (g: GHASH) => () => {
      Object.assign(g, { s0: 0, s1: 0, s2: 0, s3: 0, finished: false });
    };
    groups.push({
      section: 'ghash',
      title: `GHASH of one record: 13-byte AAD, ${n}-byte ciphertext, length block (table already built)`,
      allocN: n > 1024 ? 200 : 2000,
      candidates: [
        { name: 'noble GHASH, 2-bit windows', op: run(noble2, resetNoble(noble2)) },
        { name: 'noble GHASH, 4-bit windows', op: run(noble4, resetNoble(noble4)) },
        { name: 'noble GHASH, 8-bit windows', op: run(noble8, resetNoble(noble8)) },
        { name: 'CompactGhash (Shoup 4-bit)', op: run(ours, () => ours.reset()) },
      ],
    });
  }
  return groups;
}

/** Read one byte per cache line of this, and the CPU's caches hold nothing else (it is larger than L2). */
const evictor = new Uint8Array(8 << 20);
let evicted = 0;
function evictCaches(): number {
  for (let i = 0; i < evictor.length; i += 64) evicted += evictor[i]!;
  return evicted;
}

/**
 * noble's AES (two 256 KiB tables and a 128 KiB S-box) against aes-compact.ts (1.25 KiB),
 * on the ten blocks or so of a resumed handshake, with warm caches (a loop, as in a
 * benchmark) and cold ones (after an 8 MiB sweep, as between two handshakes on a server
 * that also ran its socket code, the kernel and a GC). The sweep alone is a candidate:
 * subtract it.
 */
function aesGroups(key: Uint8Array): Group[] {
  const nobleKeys = nobleAes.expandKeyLE(key.slice());
  const ourKeys = expandAesKey(key);
  const data = new Uint8Array(160);
  const counter = new Uint8Array(16);
  const nobleCtr = (): Uint8Array => nobleAes.ctr32(nobleKeys, false, counter, data, data);
  const ourCtr = (): void => aesCtr32(ourKeys, counter, data, data);
  return [
    {
      section: 'gcm',
      title: 'AES-128 key schedule',
      candidates: [
        { name: 'aes-compact.ts expandAesKey', op: () => expandAesKey(key) },
        { name: 'noble unsafe.expandKeyLE', op: () => nobleAes.expandKeyLE(key) },
      ],
      allocN: 2000,
    },
    {
      section: 'gcm',
      title: 'AES-128 CTR over 160 bytes (10 blocks), warm caches',
      candidates: [
        { name: 'aes-compact.ts aesCtr32', op: ourCtr },
        { name: 'noble unsafe.ctr32', op: nobleCtr },
      ],
      allocN: 2000,
    },
    {
      section: 'gcm',
      title: 'AES-128 CTR over 160 bytes (10 blocks) after an 8 MiB cache sweep (subtract the sweep alone)',
      candidates: [
        { name: 'the sweep alone', op: evictCaches },
        { name: 'sweep, then aes-compact.ts aesCtr32', op: () => (evictCaches(), ourCtr()) },
        { name: 'sweep, then noble unsafe.ctr32', op: () => (evictCaches(), nobleCtr()) },
      ],
      allocN: 0,
    },
  ];
}

function gcmGroups(baseline: Baseline | undefined): Group[] {
  const key = bytes(16, 9);
  const nonce = bytes(12, 1);
  const aad = bytes(13, 2);
  const groups: Group[] = [];
  const setup: Candidate[] = [{ name: 'AesGcm (this build)', op: () => new AesGcm(key) }];
  if (baseline) setup.push({ name: 'AesGcm (baseline build)', op: () => new baseline.AesGcm(key) });
  groups.push({ section: 'gcm', title: 'AES-128-GCM key setup (key schedule, H, GHASH table)', candidates: setup, allocN: 2000 });

  // What a key of a resumed handshake does: set up from a fresh key block (as the PRF gives it),
  // seal a 16-byte Finished and a 2-byte alert, dispose.
  const keyBlock = bytes(40, 9);
  const finished = bytes(16, 6);
  const alert = bytes(2, 7);
  const life = (make: (key: Uint8Array) => { seal(n: Uint8Array, a: Uint8Array, p: Uint8Array): Uint8Array; dispose?(): void }) => () => {
    const g = make(keyBlock.slice().subarray(0, 16));
    g.seal(nonce, aad, finished);
    g.seal(nonce, aad, alert);
    g.dispose?.();
  };
  const lives: Candidate[] = [{ name: 'AesGcm (this build)', op: life((k) => new AesGcm(k)) }];
  if (baseline) lives.push({ name: 'AesGcm (baseline build)', op: life((k) => new baseline.AesGcm(k)) });
  groups.push({ section: 'gcm', title: "A resumed handshake's key: setup, seal 16 + 2 bytes, dispose", candidates: lives, allocN: 2000 });

  groups.push(...aesGroups(key));

  for (const n of [100, 1024, 16384]) {
    const pt = bytes(n, 8);
    const cur = new AesGcm(key);
    const cands: Candidate[] = [{ name: 'AesGcm (this build)', op: () => cur.seal(nonce, aad, pt) }];
    if (baseline) {
      const old = new baseline.AesGcm(key);
      cands.push({ name: 'AesGcm (baseline build)', op: () => old.seal(nonce, aad, pt) });
      if (n > 1024) {
        const oldBulk = new baseline.AesGcm(key);
        for (let i = 0; i < 64; i++) oldBulk.seal(nonce, aad, pt);
        cands.push({ name: 'AesGcm (baseline build, after 1 MiB: its larger table)', op: () => oldBulk.seal(nonce, aad, pt) });
      }
    }
    groups.push({ section: 'gcm', title: `AES-128-GCM seal of ${n} bytes, one key reused`, candidates: cands, allocN: n > 1024 ? 100 : 2000 });
  }
  return groups;
}

function hmacGroups(baseline: Baseline | undefined): Group[] {
  const key = bytes(48, 3);
  const label = new TextEncoder().encode('key expansion');
  const seed = bytes(64, 4);
  const a = bytes(32, 5);
  const noble = new NobleCryptoProvider();
  const mac = noble.hmac('sha256', key);
  const groups: Group[] = [];
  // SHA-256 alone: a fresh hash of a PRF-sized input, and of a 16 KiB one (the compression's own speed).
  const ours = new Sha256();
  const digest = new Uint8Array(32);
  for (const n of [109, 16384]) {
    const input = bytes(n, 6);
    groups.push({
      section: 'hmac',
      title: `SHA-256 of ${n} bytes`,
      candidates: [
        { name: 'sha256.ts (reset, update, digestInto)', op: () => ours.reset().update(input).digestInto(digest) },
        { name: 'noble sha256()', op: () => sha256(input) },
        { name: 'node:crypto createHash (reference)', op: () => createHash('sha256').update(input).digest() },
      ],
      allocN: n > 1024 ? 200 : 5000,
    });
  }
  const one: Candidate[] = [
    { name: 'KeyedMac.mac (this build)', op: () => mac.mac(a, label, seed) },
    { name: 'KeyedMac.macInto (this build)', op: () => mac.macInto!(digest, 0, a, label, seed) },
    { name: 'node:crypto createHmac (reference)', op: () => createHmac('sha256', key).update(a).update(label).update(seed).digest() },
  ];
  if (baseline) {
    const old = baseline.provider.hmac('sha256', key);
    one.splice(1, 0, { name: 'KeyedMac.mac (baseline build)', op: () => old.mac(a, label, seed) });
  }
  groups.push({ section: 'hmac', title: 'HMAC-SHA256 of A(i) || label || seed (109 bytes), key already set', candidates: one, allocN: 5000 });
  const prfs: Candidate[] = [{ name: 'PRF, 40-byte key block (this build)', op: () => prf(noble, 'sha256', mac, label, seed, 40) }];
  if (baseline) {
    const old = baseline.provider.hmac('sha256', key);
    prfs.push({ name: 'PRF, 40-byte key block (baseline build)', op: () => prf(baseline.provider, 'sha256', old, label, seed, 40) });
  }
  groups.push({ section: 'hmac', title: 'TLS PRF (RFC 5246 §5) for an AES-128-GCM key block, HMAC keyed once', candidates: prfs, allocN: 2000 });
  const keying: Candidate[] = [{ name: 'provider.hmac(key) (this build)', op: () => noble.hmac('sha256', key) }];
  if (baseline) keying.push({ name: 'provider.hmac(key) (baseline build)', op: () => baseline.provider.hmac('sha256', key) });
  groups.push({ section: 'hmac', title: 'Keying an HMAC-SHA256 (once per secret)', candidates: keying, allocN: 2000 });
  return groups;
}

async function x25519Groups(baseline: Baseline | undefined): Promise<Group[]> {
  const secret = bytes(32, 11);
  const peerSecret = bytes(32, 12);
  const peer = nobleX25519.getPublicKey(peerSecret);
  const stablelib = await optional<{ scalarMultBase(n: Uint8Array): Uint8Array; scalarMult(n: Uint8Array, p: Uint8Array): Uint8Array }>('@stablelib/x25519');
  const c25519 = await optional<{ sharedKey(s: Uint8Array, p: Uint8Array): Uint8Array; generateKeyPair(seed: Uint8Array): { public: Uint8Array } }>('curve25519-js');
  const nodePeer = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), peer]), format: 'der', type: 'spki' });
  const nodeKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), secret]), format: 'der', type: 'pkcs8' });
  const keygen: Candidate[] = [
    { name: 'noble x25519.getPublicKey (Edwards fixed-base table, BigInt)', op: () => nobleX25519.getPublicKey(secret) },
    { name: 'tweetnacl scalarMult.base (16×16-bit limb ladder; what the noble provider used before)', op: () => nacl.scalarMult.base(secret) },
    { name: 'x25519Base (x25519.ts: Edwards base table on our limbs; what the noble provider uses)', op: () => x25519Base(secret) },
  ];
  const ecdh: Candidate[] = [
    { name: 'noble x25519.getSharedSecret (BigInt Montgomery ladder)', op: () => nobleX25519.getSharedSecret(secret, peer) },
    { name: 'tweetnacl scalarMult (16×16-bit limb ladder; what the noble provider used before)', op: () => nacl.scalarMult(secret, peer) },
    { name: 'x25519 (x25519.ts: ladder on our limbs, dedicated squaring; what the noble provider uses)', op: () => x25519(secret, peer) },
  ];
  if (baseline) {
    keygen.push({ name: 'x25519Base (baseline build)', op: () => baseline.x25519.x25519Base(secret) });
    ecdh.push({ name: 'x25519 (baseline build)', op: () => baseline.x25519.x25519(secret, peer) });
  }
  if (stablelib) {
    keygen.push({ name: '@stablelib/x25519 scalarMultBase (limb ladder)', op: () => stablelib.scalarMultBase(secret) });
    ecdh.push({ name: '@stablelib/x25519 scalarMult (limb ladder)', op: () => stablelib.scalarMult(secret, peer) });
  }
  if (c25519) {
    keygen.push({ name: 'curve25519-js generateKeyPair (limb ladder)', op: () => c25519.generateKeyPair(secret) });
    ecdh.push({ name: 'curve25519-js sharedKey (limb ladder)', op: () => c25519.sharedKey(secret, peer) });
  }
  keygen.push({ name: 'node:crypto X25519 key pair (OpenSSL, reference)', op: () => generateKeyPairSync('x25519') });
  ecdh.push({ name: 'node:crypto diffieHellman X25519 (OpenSSL, reference)', op: () => diffieHellman({ privateKey: nodeKey, publicKey: nodePeer }) });
  return [
    { section: 'x25519', title: 'X25519 key generation (public key from a 32-byte secret)', candidates: keygen, allocN: 200 },
    { section: 'x25519', title: 'X25519 shared secret (variable point)', candidates: ecdh, allocN: 200 },
  ];
}

function ecdsaGroups(): Group[] {
  const groups: Group[] = [];
  for (const [name, curve] of [['P-256', p256], ['P-384', p384]] as const) {
    const Point = curve.Point;
    const scalar = curve.Point.Fn.fromBytes(curve.utils.randomSecretKey(bytes(curve.lengths.seed!, 13)));
    // Copies of the base point, each with its own table width (noble keeps tables per point object).
    const bases = [4, 6, 8, 10].map((w) => {
      const p = Point.fromAffine(Point.BASE.toAffine());
      p.precompute(w, false);
      return { w, p };
    });
    groups.push({
      section: 'ecdsa',
      title: `${name}: secret scalar × base point (key generation, the heart of signing), by table width`,
      allocN: 100,
      candidates: bases.map(({ w, p }) => ({ name: `${w}-bit windows${w === 6 ? " (noble's default)" : ''}`, op: () => p.multiply(scalar) })),
    });
  }
  // Verification multiplies a public key the server sees once (a client certificate): a table for it
  // costs its build; measured as first use of a fresh point, with and without a table.
  const key = p256.utils.randomSecretKey(bytes(p256.lengths.seed!, 14));
  const pub = p256.getPublicKey(key);
  const digest = sha256(bytes(100, 1));
  const sig = p256.sign(digest, key, { prehash: false, lowS: false });
  groups.push({
    section: 'ecdsa',
    title: 'P-256 verify with a public key seen once (client certificate)',
    allocN: 100,
    candidates: [
      { name: 'noble verify (no table for the key)', op: () => p256.verify(sig, digest, pub, { prehash: false, lowS: false }) },
      {
        // noble's verify takes the key as bytes and parses a new point, which has no table: this
        // candidate is a plain verify plus the cost of building the table, not a verify using it.
        name: 'noble verify + building a precompute(8) table for the key (verify does not use it)',
        op: () => {
          const p = p256.Point.fromBytes(pub);
          p.precompute(8, false);
          return p256.verify(sig, digest, p.toBytes(), { prehash: false, lowS: false });
        },
      },
    ],
  });
  return groups;
}

function providerGroups(): Group[] {
  const noble = new NobleCryptoProvider();
  const node = new NodeCryptoProvider();
  const groups: Group[] = [];
  const pair = (title: string, allocN: number, op: (p: CryptoProvider) => () => unknown): Group => ({
    section: 'provider',
    title,
    allocN,
    candidates: [
      { name: 'noble provider', op: op(noble) },
      { name: 'node:crypto provider', op: op(node) },
    ],
  });
  const key = bytes(48, 3);
  const seed = bytes(64, 4);
  const label = new TextEncoder().encode('key expansion');
  groups.push(pair('TLS PRF, 40-byte key block (HMAC-SHA256 keyed once)', 2000, (p) => {
    const mac = p.hmac('sha256', key);
    return () => prf(p, 'sha256', mac, label, seed, 40);
  }));
  groups.push(pair('AES-128-GCM key setup + seal 16 bytes', 2000, (p) => () => p.aead('aes-128-gcm', bytes(16)).seal(bytes(12), bytes(13), bytes(16))));
  groups.push(pair('AES-128-GCM seal 16 KiB, key reused', 100, (p) => {
    const a = p.aead('aes-128-gcm', bytes(16));
    const pt = bytes(16384);
    return () => a.seal(bytes(12), bytes(13), pt);
  }));
  groups.push(pair('ChaCha20-Poly1305 seal 16 KiB, key reused', 100, (p) => {
    const a = p.aead('chacha20-poly1305', bytes(32));
    const pt = bytes(16384);
    return () => a.seal(bytes(12), bytes(13), pt);
  }));
  groups.push(pair('X25519 key generation + shared secret', 100, (p) => {
    const peer = p.generateEphemeralKey('x25519').publicKey;
    return () => p.generateEphemeralKey('x25519').agree(peer);
  }));
  groups.push(pair('P-256 ECDHE key generation + shared secret', 100, (p) => {
    const peer = p.generateEphemeralKey('secp256r1').publicKey;
    return () => p.generateEphemeralKey('secp256r1').agree(peer);
  }));
  const secret = p256.utils.randomSecretKey(bytes(p256.lengths.seed!, 15));
  groups.push(pair('ECDSA P-256 sign (SHA-256 over 200 bytes)', 100, (p) => {
    const k = p.ecdsaSigningKey('P-256', secret);
    const m = bytes(200);
    return () => k.sign('sha256', m);
  }));
  const pub = p256.getPublicKey(secret, false);
  const m = bytes(200);
  const sig = node.ecdsaSigningKey('P-256', secret).sign('sha256', m);
  groups.push(pair('ECDSA P-256 verify', 100, (p) => () => p.ecdsaVerify('P-256', pub, 'sha256', m, sig)));
  return groups;
}

/**
 * A whole handshake, server side, in process: the test client's flights recorded once
 * against a server with taped randomness, then replayed against fresh ServerConnections
 * (as inprocess.ts does), with the modules of a given build: so this build and a baseline
 * build replay the same handshake, interleaved in one process.
 */
async function replayFor(distDir: string, scenario: 'session-id' | 'ticket' | 'full'): Promise<() => void> {
  const at = (p: string): string => pathToFileURL(path.join(distDir, p)).href;
  type Conn = { receive(b: Uint8Array): void; takeOutput(): Uint8Array | undefined; handshakeComplete: boolean; dispose?(): void };
  const { ServerConnection } = (await import(at('src/connection.js'))) as { ServerConnection: new (c: unknown) => Conn };
  const { TlsContext } = (await import(at('src/context.js'))) as { TlsContext: new (o: Record<string, unknown>) => unknown };
  const { NobleCryptoProvider: Provider } = (await import(at('src/crypto/noble.js'))) as { NobleCryptoProvider: new (o: { randomBytes(n: number): Uint8Array }) => CryptoProvider };
  const helpers = (await import(at('test/helpers/tls-client.js'))) as typeof import('../test/helpers/tls-client.js');
  const { testCertificate } = (await import(at('test/helpers/fixtures.js'))) as typeof import('../test/helpers/fixtures.js');
  let source: (n: number) => Uint8Array = () => {
    throw new Error('no randomness expected here');
  };
  const crypto = new Provider({ randomBytes: (n) => source(n) });
  const cert = testCertificate('P-256');
  const options: Record<string, unknown> = { key: cert.keyPem, cert: cert.certPem, crypto, groups: 'X25519', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', sessionIdContext: 'puretls-bench', sessionTimeout: 300 };
  if (scenario === 'session-id') options['tickets'] = false;
  else options['ticketKeys'] = new Uint8Array(48).map((_, i) => i * 7 + 1);
  const context = new TlsContext(options);
  const client0 = { cipherSuites: [helpers.Suite.AES128_GCM], groups: [helpers.Group.x25519, helpers.Group.secp256r1], sessionTicket: new Uint8Array(0) };
  const record = (clientOptions: Record<string, unknown>, seed: string) => {
    const tape: Uint8Array[] = [];
    const rng = helpers.seededRandom(`server ${seed}`);
    source = (n) => {
      const b = rng(n);
      tape.push(b.slice());
      return b;
    };
    const client = new helpers.TlsClient({ ...clientOptions, rng: helpers.seededRandom(`client ${seed}`), autoRespond: false });
    const server = new ServerConnection(context);
    const hello = client.start();
    server.receive(hello);
    client.receive(server.takeOutput()!);
    const second = client.secondFlight();
    server.receive(second);
    const last = server.takeOutput();
    if (last) client.receive(last);
    if (!server.handshakeComplete) throw new Error(`${distDir}: recording failed`);
    return { hello, second, tape, client };
  };
  let rec = record(client0, `${scenario} full`);
  if (scenario !== 'full') {
    const session = rec.client.session!;
    if (scenario === 'session-id') delete session.ticket;
    rec = record({ ...client0, resume: session }, `${scenario} resume`);
  }
  return () => {
    let i = 0;
    source = () => rec.tape[i++]!.slice();
    const conn = new ServerConnection(context);
    conn.receive(rec.hello.slice());
    conn.takeOutput();
    conn.receive(rec.second.slice());
    conn.takeOutput();
    if (!conn.handshakeComplete) throw new Error(`${distDir}: replay failed`);
    conn.dispose?.();
  };
}

/**
 * One 16 KiB application-data record with the node:crypto provider, with the modules of a
 * given build: written on an established ServerConnection and taken for the socket
 * (`takeOutputPieces(Buffer.allocUnsafe)` as TlsSocket takes it, where the build has it;
 * else `takeOutput()`), and opened by the provider's AEAD (`open` keeps no state, so one
 * sealed record is opened again and again).
 */
async function recordsFor(distDir: string, suite: 'AES128_GCM' | 'CHACHA20'): Promise<{ write: () => void; open: () => void }> {
  const at = (p: string): string => pathToFileURL(path.join(distDir, p)).href;
  type Conn = {
    receive(b: Uint8Array): void;
    write(b: Uint8Array): void;
    takeOutput(): Uint8Array | undefined;
    takeOutputPieces?(allocate: (n: number) => Uint8Array): Uint8Array[] | undefined;
    handshakeComplete: boolean;
  };
  const { ServerConnection } = (await import(at('src/connection.js'))) as { ServerConnection: new (c: unknown) => Conn };
  const { TlsContext } = (await import(at('src/context.js'))) as { TlsContext: new (o: Record<string, unknown>) => unknown };
  const { NodeCryptoProvider: Provider } = (await import(at('src/node/node-crypto.js'))) as { NodeCryptoProvider: new () => CryptoProvider };
  const helpers = (await import(at('test/helpers/tls-client.js'))) as typeof import('../test/helpers/tls-client.js');
  const { testCertificate } = (await import(at('test/helpers/fixtures.js'))) as typeof import('../test/helpers/fixtures.js');
  const crypto = new Provider();
  const cert = testCertificate('P-256');
  const server = new ServerConnection(new TlsContext({ key: cert.keyPem, cert: cert.certPem, crypto }));
  const client = new helpers.TlsClient({ cipherSuites: [helpers.Suite[suite]] });
  server.receive(client.start());
  client.receive(server.takeOutput()!);
  server.receive(client.takeOutput()!);
  client.receive(server.takeOutput()!);
  if (!server.handshakeComplete) throw new Error(`${distDir}: no handshake`);
  const data = bytes(16384);
  const pooled = (n: number): Uint8Array => Buffer.allocUnsafe(n);
  const write = server.takeOutputPieces
    ? () => {
        server.write(data);
        server.takeOutputPieces!(pooled);
      }
    : () => {
        server.write(data);
        server.takeOutput();
      };
  const aead = crypto.aead(suite === 'AES128_GCM' ? 'aes-128-gcm' : 'chacha20-poly1305', bytes(suite === 'AES128_GCM' ? 16 : 32));
  const [nonce, aad] = [bytes(12), bytes(13)];
  const sealed = aead.seal(nonce, aad, data);
  const open = (): void => {
    if (!aead.open(nonce, aad, sealed)) throw new Error(`${distDir}: the record did not open`);
  };
  return { write, open };
}

/** About 20,000 records a slice: ten or so of the collections their buffers cause. */
const RECORD_SLICE_MS = 400;

async function recordGroups(baselineDir: string | undefined): Promise<Group[]> {
  const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const groups: Group[] = [];
  for (const [suite, name] of [['AES128_GCM', 'AES-128-GCM'], ['CHACHA20', 'ChaCha20-Poly1305']] as const) {
    const builds = [{ name: 'this build', r: await recordsFor(here, suite) }];
    if (baselineDir) builds.push({ name: 'baseline build', r: await recordsFor(path.resolve(baselineDir, 'dist'), suite) });
    groups.push({
      section: 'records',
      title: `A 16 KiB ${name} record written and taken for the socket, node:crypto provider`,
      candidates: builds.map((b) => ({ name: b.name, op: b.r.write })),
      allocN: 100,
      sliceMs: RECORD_SLICE_MS,
    });
    groups.push({
      section: 'records',
      title: `A 16 KiB ${name} record opened, node:crypto provider`,
      candidates: builds.map((b) => ({ name: b.name, op: b.r.open })),
      allocN: 100,
      sliceMs: RECORD_SLICE_MS,
    });
  }
  return groups;
}

async function handshakeGroups(baselineDir: string | undefined): Promise<Group[]> {
  const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const groups: Group[] = [];
  for (const scenario of ['session-id', 'ticket', 'full'] as const) {
    const candidates: Candidate[] = [{ name: 'this build', op: await replayFor(here, scenario) }];
    if (baselineDir) candidates.push({ name: 'baseline build', op: await replayFor(path.resolve(baselineDir, 'dist'), scenario) });
    groups.push({ section: 'handshake', title: `A ${scenario === 'full' ? 'full handshake' : `${scenario} resumption`}, server side in process (replayed flights)`, candidates, allocN: scenario === 'full' ? 20 : 200 });
  }
  return groups;
}

async function buildGroups(sections: Section[], baseline: Baseline | undefined, baselineDir?: string): Promise<Group[]> {
  const groups: Group[] = [];
  for (const s of sections) {
    if (s === 'ghash') groups.push(...ghashGroups());
    if (s === 'gcm') groups.push(...gcmGroups(baseline));
    if (s === 'hmac') groups.push(...hmacGroups(baseline));
    if (s === 'x25519') groups.push(...(await x25519Groups(baseline)));
    if (s === 'ecdsa') groups.push(...ecdsaGroups());
    if (s === 'provider') groups.push(...providerGroups());
    if (s === 'handshake') groups.push(...(await handshakeGroups(baselineDir)));
    if (s === 'records') groups.push(...(await recordGroups(baselineDir)));
  }
  return groups;
}

// ---------------------------------------------------------------------------------------

interface Args {
  sections: Section[];
  quick: boolean;
  baseline: string | undefined;
  write: boolean;
  allocChild: boolean;
}

function parseArgs(argv: string[]): Args {
  const sections = argv.filter((a) => (ALL_SECTIONS as string[]).includes(a)) as Section[];
  return {
    sections: sections.length ? sections : ALL_SECTIONS,
    quick: argv.includes('--quick'),
    baseline: argv.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length),
    write: argv.includes('--write'),
    allocChild: argv.includes('--alloc-child'),
  };
}

/** Bytes per operation of every candidate, from a child with a 64 MiB new space. */
function allocationsFromChild(argv: string[]): Promise<Record<string, number | null>> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [...argv, '--alloc-child'], {
      execArgv: ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64'],
    });
    let got: Record<string, number | null> | undefined;
    child.on('message', (m) => (got = m as Record<string, number | null>));
    child.on('error', reject);
    // Settle on exit in every case: a child that dies or exits without its message must not hang the run.
    child.on('exit', (code, signal) => (got ? resolve(got) : reject(new Error(`allocation child exited (${signal ?? code}) without its figures`))));
  });
}

function fmtUs(us: number): string {
  return us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us >= 1 ? us.toFixed(2) : us.toFixed(3);
}

function fmtBytes(b: number | null | undefined): string {
  if (b === undefined || b === null) return 'n/a';
  return b >= 10240 ? `${(b / 1024).toFixed(1)} KiB` : `${Math.round(b)} B`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  const baseline = await loadBaseline(args.baseline);
  const groups = await buildGroups(args.sections, baseline, args.baseline);
  if (args.allocChild) {
    const out: Record<string, number | null> = {};
    for (const g of groups) {
      if (!g.allocN) continue;
      for (const c of g.candidates) out[`${g.title}\u0000${c.name}`] = (await bytesPerOp(c.op, g.allocN)) ?? null;
    }
    process.send!(out);
    return;
  }
  const allocations = await allocationsFromChild(argv);
  const lines: string[] = [];
  lines.push(`Measured ${new Date().toISOString().slice(0, 10)}, node ${process.version}; medians of interleaved rounds (p25–p75 in brackets).`);
  for (const g of groups) {
    const timings: Timing[] = compare(g.candidates, g.sliceMs ? { rounds: args.quick ? 5 : 9, sliceMs: g.sliceMs } : args.quick ? { rounds: 7, sliceMs: 10 } : { rounds: 21, sliceMs: 25 });
    const fastest = Math.min(...timings.map((t) => t.us));
    lines.push('', `**${g.title}**`, '', '| candidate | µs per op | vs fastest | bytes allocated per op |', '| --- | ---: | ---: | ---: |');
    for (const t of timings) {
      const alloc = allocations[`${g.title}\u0000${t.name}`];
      lines.push(`| ${t.name} | ${fmtUs(t.us)} [${fmtUs(t.p25)}–${fmtUs(t.p75)}] | ${(t.us / fastest).toFixed(2)} | ${fmtBytes(alloc)} |`);
    }
    process.stderr.write(`${g.title}: done\n`);
  }
  const text = lines.join('\n') + '\n';
  process.stdout.write(text);
  if (args.write) writeFileSync(path.join(RESULTS_DIR, 'primitives.md'), `# Primitives, measured side by side\n\n\`node dist/bench/primitives.js ${argv.filter((a) => a !== '--write').join(' ')}\`\n\n${text}`);
}

await main();
