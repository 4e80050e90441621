import { concatBytes } from '../codec/bytes.js';
import type { CryptoProvider, HashAlgorithm, KeyedMac } from '../crypto/provider.js';
import type { CipherSuite } from '../protocol/suites.js';

const encoder = new TextEncoder();
const LABEL_MASTER_SECRET = encoder.encode('master secret');
const LABEL_EXTENDED_MASTER_SECRET = encoder.encode('extended master secret');
const LABEL_KEY_EXPANSION = encoder.encode('key expansion');
const LABEL_CLIENT_FINISHED = encoder.encode('client finished');
const LABEL_SERVER_FINISHED = encoder.encode('server finished');

export const VERIFY_DATA_LENGTH = 12;

/** The PRF's working blocks for one output length: A(i), A(i+1), and a last block that is cut short. */
interface PrfWork {
  a: Uint8Array;
  next: Uint8Array;
  partial: Uint8Array;
}
const prfWork = new Map<number, PrfWork>();

/** The working blocks for an HMAC of `n` bytes (32 or 48), made once: a PRF runs synchronously, and wipes them before it returns. */
function prfWorkFor(n: number): PrfWork {
  let w = prfWork.get(n);
  if (!w) prfWork.set(n, (w = { a: new Uint8Array(n), next: new Uint8Array(n), partial: new Uint8Array(n) }));
  return w;
}

/** HMAC(first || second || third) into `out` at `at`: with the provider's `macInto` when it has one, else a copy of `mac()`'s, wiped. */
function macTo(mac: KeyedMac, out: Uint8Array, at: number, first: Uint8Array, second?: Uint8Array, third?: Uint8Array): void {
  if (mac.macInto) {
    mac.macInto(out, at, first, second, third);
    return;
  }
  const m = second === undefined ? mac.mac(first) : third === undefined ? mac.mac(first, second) : mac.mac(first, second, third);
  out.set(m, at);
  m.fill(0);
}

/**
 * The TLS 1.2 PRF (RFC 5246 §5): P_hash(secret, label || seed), with the HMAC keyed once.
 * A(0) = seed', A(i) = HMAC(A(i-1)), output = HMAC(A(1) || seed') || HMAC(A(2) || seed') ...
 * Every HMAC goes straight into the output or into working blocks made once, so what a
 * PRF allocates is its output.
 */
export function prf(
  crypto: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array | KeyedMac,
  label: Uint8Array,
  seed: Uint8Array,
  length: number,
): Uint8Array {
  // A connection runs three PRFs over its master secret; it may pass the HMAC keyed once.
  const keyedHere = secret instanceof Uint8Array;
  const mac = keyedHere ? crypto.hmac(hash, secret) : secret;
  const n = mac.outputLength;
  const w = prfWorkFor(n);
  const out = new Uint8Array(length);
  let a = w.a;
  let next = w.next;
  try {
    macTo(mac, a, 0, label, seed);
    for (let at = 0; at < length; ) {
      if (length - at >= n) {
        macTo(mac, out, at, a, label, seed);
        at += n;
      } else {
        macTo(mac, w.partial, 0, a, label, seed);
        for (let i = 0; at < length; i++) out[at++] = w.partial[i]!;
      }
      if (at < length) {
        macTo(mac, next, 0, a);
        const done = a;
        a = next;
        next = done;
      }
    }
  } finally {
    // A(i) and the block cut short are the secret's work: wipe them, whatever happened.
    w.a.fill(0);
    w.next.fill(0);
    w.partial.fill(0);
    // The HMAC keyed with a secret of the caller's (the premaster secret) ends here.
    if (keyedHere) mac.dispose?.();
  }
  return out;
}

/** RFC 5246 §8.1. */
export function masterSecret(
  crypto: CryptoProvider,
  hash: HashAlgorithm,
  preMasterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Uint8Array {
  return prf(crypto, hash, preMasterSecret, LABEL_MASTER_SECRET, concatBytes([clientRandom, serverRandom]), 48);
}

/** RFC 7627 §4: the master secret bound to the hash of the handshake up to ClientKeyExchange. */
export function extendedMasterSecret(
  crypto: CryptoProvider,
  hash: HashAlgorithm,
  preMasterSecret: Uint8Array,
  sessionHash: Uint8Array,
): Uint8Array {
  return prf(crypto, hash, preMasterSecret, LABEL_EXTENDED_MASTER_SECRET, sessionHash, 48);
}

/** The traffic keys of one connection (RFC 5246 §6.3; AEAD suites have no MAC keys). */
export interface TrafficKeys {
  clientKey: Uint8Array;
  serverKey: Uint8Array;
  clientIv: Uint8Array;
  serverIv: Uint8Array;
}

export function deriveTrafficKeys(
  crypto: CryptoProvider,
  suite: CipherSuite,
  master: Uint8Array | KeyedMac,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): TrafficKeys {
  const k = suite.keyLength;
  const iv = suite.fixedIvLength;
  const block = prf(crypto, suite.hash, master, LABEL_KEY_EXPANSION, concatBytes([serverRandom, clientRandom]), 2 * (k + iv));
  return {
    clientKey: block.subarray(0, k),
    serverKey: block.subarray(k, 2 * k),
    clientIv: block.subarray(2 * k, 2 * k + iv),
    serverIv: block.subarray(2 * k + iv, 2 * (k + iv)),
  };
}

/** Wipes the key block the keys are views of, once both directions are keyed (they keep their own copies). */
export function wipeTrafficKeys(keys: TrafficKeys): void {
  keys.clientKey.fill(0);
  keys.serverKey.fill(0);
  keys.clientIv.fill(0);
  keys.serverIv.fill(0);
}

/** Finished.verify_data (RFC 5246 §7.4.9). */
export function verifyData(
  crypto: CryptoProvider,
  hash: HashAlgorithm,
  master: Uint8Array | KeyedMac,
  sender: 'client' | 'server',
  handshakeHash: Uint8Array,
): Uint8Array {
  const label = sender === 'client' ? LABEL_CLIENT_FINISHED : LABEL_SERVER_FINISHED;
  return prf(crypto, hash, master, label, handshakeHash, VERIFY_DATA_LENGTH);
}

/**
 * Labels RFC 5705 §4 keeps for TLS itself; OpenSSL's tls1_export_keying_material refuses
 * them (SSL_R_TLS_ILLEGAL_EXPORTER_LABEL), so an exporter can never reproduce a key or a
 * Finished of the connection.
 */
const RESERVED_EXPORTER_LABELS = new Set(['client finished', 'server finished', 'master secret', 'extended master secret', 'key expansion']);

/** The most a context value may hold: RFC 5705 §4 encodes its length in two bytes. */
export const MAX_EXPORTER_CONTEXT_LENGTH = 0xffff;

/**
 * RFC 5705 §4 keying material exporter with the TLS 1.2 PRF: PRF(master_secret, label,
 * client_random + server_random [+ uint16(context length) + context])[length]. Without a
 * context the seed has no length field: "no context" and "an empty context" differ (§4).
 * Returns undefined for a reserved label.
 */
export function exportKeyingMaterial(
  crypto: CryptoProvider,
  hash: HashAlgorithm,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  label: string,
  context: Uint8Array | undefined,
  length: number,
): Uint8Array | undefined {
  if (RESERVED_EXPORTER_LABELS.has(label)) return undefined;
  const parts = [clientRandom, serverRandom];
  if (context !== undefined) parts.push(Uint8Array.of(context.length >>> 8, context.length & 0xff), context);
  return prf(crypto, hash, master, encoder.encode(label), concatBytes(parts), length);
}
