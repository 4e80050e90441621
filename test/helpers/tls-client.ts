/**
 * A small scriptable TLS 1.2 client for tests and benchmarks.
 *
 * `TlsClient` is sans-IO: `start()` gives the ClientHello record, `receive(bytes)` takes
 * what the server sent, `takeOutput()` gives what the client answers. Every piece a test
 * needs to misbehave is public: build a ClientHello with chosen fields and raw extensions,
 * make each message of the second flight separately, seal or leave in clear any record,
 * tamper with Finished. Every record the server sent is kept (`records`), decrypted once
 * the server's ChangeCipherSpec has switched keys, so a test can see the alert the server
 * sent even when it is encrypted (`alerts`).
 *
 * Messages are encoded and decoded with the project's codec (src/handshake/messages/, each
 * message's two directions side by side, round-trip tested in test/handshake/messages.test.ts);
 * the options that misbehave (raw extension lists, chosen fields, tampered data) are built
 * here on top of it. State, checks of what the server chose, and the key schedule checks
 * are the client's own; it reuses the project's PRF-based key schedule (checked against
 * published vectors in test/vectors) and AeadProtection (checked against RFC 5288/7905
 * layouts there). The ServerKeyExchange signature is verified with noble (ECDSA) or
 * node:crypto (RSA, EdDSA) against the public key Node's X509Certificate finds in the
 * server's leaf certificate.
 *
 * Client authentication: when the server sends a CertificateRequest, the second flight is
 * Certificate (the `clientCertificate` chain, or an empty list), ClientKeyExchange,
 * CertificateVerify (when there is a chain and a key; signed with noble over every handshake
 * message so far), ChangeCipherSpec, Finished. `makeCertificate` and `makeCertificateVerify`
 * build those messages one by one for tests that send them out of turn.
 *
 * `TcpTlsClient` at the end is a thin async wrapper over a TCP socket.
 */
import { X509Certificate, constants as cryptoConstants, createPrivateKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import net from 'node:net';
import { x25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes as osRandomBytes } from '@noble/hashes/utils.js';
import { concatBytes } from '../../src/codec/bytes.js';
import { Reader } from '../../src/codec/reader.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import { TlsError } from '../../src/errors.js';
import { decodeCertificate, decodeCertificateRequest, encodeCertificate, encodeCertificateVerify, type CertificateRequest } from '../../src/handshake/messages/certificate.js';
import { encodeClientExtensions, readExtensions, type ClientExtensions, type RawExtension } from '../../src/handshake/messages/extensions.js';
import { encodeFinished } from '../../src/handshake/messages/finished.js';
import { frameHandshake } from '../../src/handshake/messages/framing.js';
import { decodeServerHello, encodeClientHelloWith, type ServerHello } from '../../src/handshake/messages/hello.js';
import { decodeServerHelloDone, decodeServerKeyExchange, encodeClientKeyExchange, type ServerKeyExchange } from '../../src/handshake/messages/key-exchange.js';
import { decodeNewSessionTicket, type NewSessionTicket } from '../../src/handshake/messages/ticket.js';
import { deriveTrafficKeys, prf, verifyData, type TrafficKeys } from '../../src/handshake/key-schedule.js';
import { suiteById, type CipherSuite } from '../../src/protocol/suites.js';
import { AeadProtection } from '../../src/record/aead.js';

// ---------------------------------------------------------------------------------------
// Code points (written out here so the tests do not lean on the server's own tables)

export const ContentType = { change_cipher_spec: 20, alert: 21, handshake: 22, application_data: 23 } as const;
export const HandshakeType = {
  hello_request: 0,
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  certificate: 11,
  server_key_exchange: 12,
  certificate_request: 13,
  server_hello_done: 14,
  certificate_verify: 15,
  client_key_exchange: 16,
  finished: 20,
} as const;
export const Ext = {
  server_name: 0,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  alpn: 16,
  extended_master_secret: 23,
  session_ticket: 35,
  supported_versions: 43,
  renegotiation_info: 0xff01,
} as const;
export const Suite = {
  AES128_GCM: 0xc02b,
  AES256_GCM: 0xc02c,
  CHACHA20: 0xcca9,
  RSA_AES128_GCM: 0xc02f,
  RSA_AES256_GCM: 0xc030,
  RSA_CHACHA20: 0xcca8,
  EMPTY_RENEGOTIATION_INFO_SCSV: 0x00ff,
} as const;
export const Group = { x25519: 29, secp256r1: 23, secp384r1: 24 } as const;
export const Sig = {
  ecdsa_sha1: 0x0203,
  ecdsa_sha224: 0x0303,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pkcs1_sha1: 0x0201,
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
} as const;
export const TLS12 = 0x0303;
/** RFC 8446 §4.1.3: what a TLS 1.3 server puts at the end of its random when it negotiates TLS 1.2. */
export const DOWNGRADE_SENTINEL_TLS12 = Uint8Array.of(0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01);

export const ALL_SUITES: readonly number[] = [Suite.AES128_GCM, Suite.AES256_GCM, Suite.CHACHA20];
export const RSA_SUITES: readonly number[] = [Suite.RSA_AES128_GCM, Suite.RSA_AES256_GCM, Suite.RSA_CHACHA20];
/** The RSA schemes of RFC 8446 §4.2.3 that TLS 1.2 may use (no SHA-1). */
export const RSA_SIGNATURE_ALGORITHMS: readonly number[] = [
  Sig.rsa_pss_rsae_sha256,
  Sig.rsa_pss_rsae_sha384,
  Sig.rsa_pss_rsae_sha512,
  Sig.rsa_pkcs1_sha256,
  Sig.rsa_pkcs1_sha384,
  Sig.rsa_pkcs1_sha512,
];
export const ALL_GROUPS: readonly number[] = [Group.x25519, Group.secp256r1, Group.secp384r1];
export const DEFAULT_SIGNATURE_ALGORITHMS: readonly number[] = [
  Sig.ecdsa_secp256r1_sha256,
  Sig.ecdsa_secp384r1_sha384,
  Sig.ecdsa_secp521r1_sha512,
];

// ---------------------------------------------------------------------------------------
// Bytes and records

export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** A copy of `bytes` with one bit flipped. */
export function flipBit(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const out = bytes.slice();
  out[index]! ^= 1 << bit;
  return out;
}

export function encodeRecord(type: number, version: number, fragment: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + fragment.length);
  out[0] = type;
  out[1] = version >>> 8;
  out[2] = version & 0xff;
  out[3] = fragment.length >>> 8;
  out[4] = fragment.length & 0xff;
  out.set(fragment, 5);
  return out;
}

/** A handshake message: type, 3-byte length, body (any type and body, for tests that misbehave). */
export function handshakeMessage(type: number, body: Uint8Array): Uint8Array {
  return frameHandshake(type, body);
}

export interface WireRecord {
  type: number;
  version: number;
  /** The fragment as on the wire. */
  fragment: Uint8Array;
  /** Header and fragment. */
  raw: Uint8Array;
}

/** Cuts whole records out of `bytes`; `rest` is an incomplete tail. No decryption. */
export function splitRecords(bytes: Uint8Array): { records: WireRecord[]; rest: Uint8Array } {
  const records: WireRecord[] = [];
  let at = 0;
  while (bytes.length - at >= 5) {
    const length = (bytes[at + 3]! << 8) | bytes[at + 4]!;
    if (bytes.length - at < 5 + length) break;
    records.push({
      type: bytes[at]!,
      version: (bytes[at + 1]! << 8) | bytes[at + 2]!,
      fragment: bytes.subarray(at + 5, at + 5 + length),
      raw: bytes.subarray(at, at + 5 + length),
    });
    at += 5 + length;
  }
  return { records, rest: bytes.subarray(at) };
}

/** `data` cut into records of the given sizes (the last size repeats). */
export function fragmentIntoRecords(type: number, version: number, data: Uint8Array, sizes: readonly number[]): Uint8Array {
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.max(1, sizes[Math.min(i, sizes.length - 1)]!);
    out.push(encodeRecord(type, version, data.subarray(at, at + n)));
    at += n;
  }
  return concatBytes(out); // not concat(...out): a spread of 131,000 records overflows the stack
}

export type RandomSource = (length: number) => Uint8Array;

/** A deterministic byte stream: SHA-256(seed || counter) blocks. Same seed, same bytes. */
export function seededRandom(seed: string | Uint8Array): RandomSource {
  const key = typeof seed === 'string' ? new TextEncoder().encode(seed) : seed;
  let counter = 0;
  let pool: Uint8Array = new Uint8Array(0);
  return (length: number) => {
    const out = new Uint8Array(length);
    for (let at = 0; at < length; ) {
      if (pool.length === 0) {
        pool = sha256(concat(key, Uint8Array.of(counter >>> 24, counter >>> 16, counter >>> 8, counter)));
        counter++;
      }
      const n = Math.min(pool.length, length - at);
      out.set(pool.subarray(0, n), at);
      pool = pool.subarray(n);
      at += n;
    }
    return out;
  };
}

// ---------------------------------------------------------------------------------------
// ClientHello

export type { RawExtension };

export interface HelloOptions {
  /** ClientHello.client_version. Default 0x0303. */
  clientVersion?: number;
  random?: Uint8Array;
  sessionId?: Uint8Array;
  cipherSuites?: readonly number[];
  compressionMethods?: readonly number[];
  /** supported_groups; null leaves the extension out. */
  groups?: readonly number[] | null;
  /** signature_algorithms; null leaves the extension out. */
  signatureAlgorithms?: readonly number[] | null;
  /** ec_point_formats; null leaves the extension out. Default [0]. */
  ecPointFormats?: readonly number[] | null;
  serverName?: string;
  alpn?: readonly string[];
  /** Offer RFC 7627. Default true. */
  extendedMasterSecret?: boolean;
  /** renegotiation_info body (empty for an initial handshake); null leaves it out. Default empty. */
  renegotiationInfo?: Uint8Array | null;
  /** session_ticket: empty to ask for a ticket, or a ticket to resume; undefined leaves it out. */
  sessionTicket?: Uint8Array;
  supportedVersions?: readonly number[];
  /** Appended after the generated extensions, as given (duplicates and GREASE included). */
  extraExtensions?: readonly RawExtension[];
  /** Replaces the generated list entirely; null sends no extensions block at all. */
  extensions?: readonly RawExtension[] | null;
}

/**
 * The extensions a ClientHello with these options carries, in order: the typed ones through
 * the project's encoder (encodeClientExtensions), then `extraExtensions` as given.
 */
export function helloExtensions(o: HelloOptions): RawExtension[] {
  const ext: ClientExtensions = {
    types: [],
    serverName: o.serverName,
    supportedGroups: o.groups === null ? undefined : [...(o.groups ?? ALL_GROUPS)],
    ecPointFormats: o.ecPointFormats === null ? undefined : Uint8Array.from(o.ecPointFormats ?? [0]),
    signatureAlgorithms: o.signatureAlgorithms === null ? undefined : [...(o.signatureAlgorithms ?? DEFAULT_SIGNATURE_ALGORITHMS)],
    alpnProtocols: o.alpn === undefined ? undefined : [...o.alpn],
    extendedMasterSecret: o.extendedMasterSecret ?? true,
    renegotiationInfo: o.renegotiationInfo === null ? undefined : (o.renegotiationInfo ?? new Uint8Array(0)),
    sessionTicket: o.sessionTicket,
    supportedVersions: o.supportedVersions === undefined ? undefined : [...o.supportedVersions],
  };
  // This client's order (that of OpenSSL 1.1's early extensions).
  const order: [number, boolean][] = [
    [Ext.server_name, ext.serverName !== undefined],
    [Ext.renegotiation_info, ext.renegotiationInfo !== undefined],
    [Ext.ec_point_formats, ext.ecPointFormats !== undefined],
    [Ext.supported_groups, ext.supportedGroups !== undefined],
    [Ext.session_ticket, ext.sessionTicket !== undefined],
    [Ext.alpn, ext.alpnProtocols !== undefined],
    [Ext.extended_master_secret, ext.extendedMasterSecret],
    [Ext.signature_algorithms, ext.signatureAlgorithms !== undefined],
    [Ext.supported_versions, ext.supportedVersions !== undefined],
  ];
  ext.types = order.filter(([, present]) => present).map(([type]) => type);
  return [...encodeClientExtensions(ext), ...(o.extraExtensions ?? [])];
}

/**
 * The supported_groups or signature_algorithms list a hello with these options offers
 * (undefined when it leaves the extension out): from the options themselves, or, when the
 * test gave the extensions as raw bytes, read from those bytes here (a u16 vector of u16s).
 */
function offeredList(o: HelloOptions, option: 'groups' | 'signatureAlgorithms', type: number): readonly number[] | undefined {
  if (o.extensions === undefined) {
    const given = o[option];
    if (given === null) return undefined;
    return given ?? (option === 'groups' ? ALL_GROUPS : DEFAULT_SIGNATURE_ALGORITHMS);
  }
  const raw = (o.extensions ?? []).find((e) => e.type === type);
  if (raw === undefined) return undefined;
  const list: number[] = [];
  const end = Math.min(raw.data.length, 2 + ((raw.data[0]! << 8) | raw.data[1]!));
  for (let at = 2; at + 1 < end; at += 2) list.push((raw.data[at]! << 8) | raw.data[at + 1]!);
  return list;
}

/** The ClientHello handshake message (header included) for these options. Random and session id must be given. */
export function clientHelloMessage(o: HelloOptions & { random: Uint8Array; sessionId: Uint8Array }): Uint8Array {
  const fields = {
    clientVersion: o.clientVersion ?? TLS12,
    random: o.random,
    sessionId: o.sessionId,
    cipherSuites: [...(o.cipherSuites ?? ALL_SUITES)],
    compressionMethods: Uint8Array.from(o.compressionMethods ?? [0]),
  };
  return encodeClientHelloWith(fields, o.extensions === undefined ? helloExtensions(o) : o.extensions);
}

/**
 * The longest ClientHello body (OpenSSL's CLIENT_HELLO_MAX_LENGTH): version 2, random 32,
 * session_id 1+32, cipher_suites 2+65534, compression_methods 1+255, extensions 2+65535.
 */
export const LARGEST_CLIENT_HELLO_BODY = 131_396;

/**
 * Options for a ClientHello of exactly LARGEST_CLIENT_HELLO_BODY bytes that a server can
 * still complete a handshake with: `base`'s extensions and suites first, then unknown
 * suites, compression methods and a padding extension (RFC 7685) up to every list's maximum.
 */
export function largestHelloOptions(base: HelloOptions = {}): HelloOptions {
  const suites = [...(base.cipherSuites ?? ALL_SUITES)];
  // Unknown code points only: the suites a server could choose are the ones `base` offers.
  const taken = new Set([...suites, ...ALL_SUITES, Suite.EMPTY_RENEGOTIATION_INFO_SCSV]);
  for (let v = 0x8000; suites.length < 0xfffe / 2; v++) if (!taken.has(v)) suites.push(v);
  const compressionMethods = [0];
  for (let m = 1; compressionMethods.length < 255; m++) compressionMethods.push(m);
  const extensions = helloExtensions(base);
  const used = extensions.reduce((n, e) => n + 4 + e.data.length, 0);
  extensions.push({ type: 21, data: new Uint8Array(0xffff - used - 4) });
  return { ...base, sessionId: base.sessionId ?? new Uint8Array(32).fill(0x5a), cipherSuites: suites, compressionMethods, extensions };
}

// ---------------------------------------------------------------------------------------
// Key exchange and signatures (noble directly, not the server's provider)

interface KeyShare {
  secret: Uint8Array;
  publicKey: Uint8Array;
  agree(peer: Uint8Array): Uint8Array;
}

function makeKeyShare(group: number, rng: RandomSource): KeyShare {
  if (group === Group.x25519) {
    const secret = rng(32);
    return { secret, publicKey: x25519.getPublicKey(secret), agree: (peer) => x25519.getSharedSecret(secret, peer) };
  }
  const curve = group === Group.secp256r1 ? p256 : group === Group.secp384r1 ? p384 : undefined;
  if (!curve) throw new TlsClientError(`the server chose group ${group}, which this client cannot do`);
  const secret = curve.utils.randomSecretKey(rng(curve.lengths.seed!));
  return {
    secret,
    publicKey: curve.getPublicKey(secret, false),
    agree: (peer) => curve.getSharedSecret(secret, peer, true).subarray(1), // x coordinate (RFC 8422 §5.10)
  };
}

const SIGNATURE_HASHES: ReadonlyMap<number, (m: Uint8Array) => Uint8Array> = new Map([
  [Sig.ecdsa_sha1, sha1],
  [Sig.ecdsa_sha224, sha224],
  [Sig.ecdsa_secp256r1_sha256, sha256],
  [Sig.ecdsa_secp384r1_sha384, sha384],
  [Sig.ecdsa_secp521r1_sha512, sha512],
]);

/** An EC private key (PEM: PKCS#8 or SEC1) as noble takes it, read by Node's key parser. */
export function ecPrivateKey(pem: string | Uint8Array): { curve: 'P-256' | 'P-384'; secret: Uint8Array } {
  const jwk = createPrivateKey(typeof pem === 'string' ? pem : Buffer.from(pem)).export({ format: 'jwk' });
  if ((jwk.crv !== 'P-256' && jwk.crv !== 'P-384') || !jwk.d) throw new TlsClientError(`unexpected private key ${jwk.kty}/${jwk.crv}`);
  return { curve: jwk.crv, secret: new Uint8Array(Buffer.from(jwk.d, 'base64url')) };
}

/**
 * An ECDSA signature (DER) over `message` with the hash of `scheme` (TLS 1.2: the scheme names
 * the hash only, whatever the key's curve).
 */
export function ecdsaSign(key: { curve: 'P-256' | 'P-384'; secret: Uint8Array }, scheme: number, message: Uint8Array): Uint8Array {
  const hash = SIGNATURE_HASHES.get(scheme);
  if (!hash) throw new TlsClientError(`no hash for signature scheme 0x${scheme.toString(16)}`);
  const curve = key.curve === 'P-256' ? p256 : p384;
  return curve.sign(hash(message), key.secret, { prehash: false, format: 'der' });
}

/** node:crypto's options for an RSA or EdDSA scheme: [digest, padding], or undefined for other schemes. */
function nodeSchemeOptions(scheme: number): { digest: string | null; padding?: number; saltLength?: number } | undefined {
  const hashOf: Record<number, string> = { 0x04: 'sha256', 0x05: 'sha384', 0x06: 'sha512' };
  if ((scheme & 0xff) === 0x01 && hashOf[scheme >> 8]) return { digest: hashOf[scheme >> 8]!, padding: cryptoConstants.RSA_PKCS1_PADDING };
  const pss: Record<number, string> = { 0x04: 'sha256', 0x05: 'sha384', 0x06: 'sha512', 0x09: 'sha256', 0x0a: 'sha384', 0x0b: 'sha512' };
  if (scheme >> 8 === 0x08 && pss[scheme & 0xff]) {
    return { digest: pss[scheme & 0xff]!, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST };
  }
  if (scheme === Sig.ed25519 || scheme === Sig.ed448) return { digest: null };
  return undefined;
}

/** An RSA or EdDSA signature with node:crypto (OpenSSL), for schemes noble's ECDSA does not cover. */
export function nodeSchemeSign(key: KeyObject, scheme: number, message: Uint8Array): Uint8Array {
  const o = nodeSchemeOptions(scheme);
  if (!o) throw new TlsClientError(`no node:crypto signature for scheme 0x${scheme.toString(16)}`);
  return new Uint8Array(nodeSign(o.digest, message, { key, padding: o.padding, saltLength: o.saltLength }));
}

/** node:crypto's (OpenSSL's) verdict on an RSA or EdDSA signature; false for a scheme that does not fit the key. */
export function nodeSchemeVerify(key: KeyObject, scheme: number, message: Uint8Array, signature: Uint8Array): boolean {
  const o = nodeSchemeOptions(scheme);
  if (!o) return false;
  const type = key.asymmetricKeyType;
  const fits =
    (scheme === Sig.ed25519 && type === 'ed25519') ||
    (scheme === Sig.ed448 && type === 'ed448') ||
    ((scheme & 0xff) === 0x01 && type === 'rsa') ||
    (scheme >> 8 === 0x08 && (scheme & 0xff) <= 0x06 && type === 'rsa') ||
    (scheme >> 8 === 0x08 && (scheme & 0xff) >= 0x09 && type === 'rsa-pss');
  if (!fits) return false;
  try {
    return nodeVerify(o.digest, message, { key, padding: o.padding, saltLength: o.saltLength }, signature);
  } catch {
    return false;
  }
}

/** The leaf's EC public key, found by Node's X.509 parser (independent of the server's). */
export function certificatePublicKey(der: Uint8Array): { curve: 'P-256' | 'P-384'; point: Uint8Array } {
  const jwk = new X509Certificate(der).publicKey.export({ format: 'jwk' });
  if ((jwk.crv !== 'P-256' && jwk.crv !== 'P-384') || !jwk.x || !jwk.y) throw new TlsClientError(`unexpected certificate key ${jwk.kty}/${jwk.crv}`);
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  return { curve: jwk.crv, point: concat(Uint8Array.of(4), x, y) };
}

// ---------------------------------------------------------------------------------------
// The client

export class TlsClientError extends Error {
  override readonly name = 'TlsClientError';
}

export interface SavedSession {
  sessionId: Uint8Array;
  masterSecret: Uint8Array;
  cipherSuite: number;
  extendedMasterSecret: boolean;
  /** RFC 5077 ticket, when the server issued one. */
  ticket?: Uint8Array;
}

/** What the client answers a CertificateRequest with. */
export interface ClientCertificateOptions {
  /** DER certificates, leaf first; empty sends an empty Certificate message. */
  chain: readonly Uint8Array[];
  /** PEM private key (P-256 or P-384 with noble; RSA, RSA-PSS, Ed25519, Ed448 with node:crypto) that signs CertificateVerify; without it none is sent. */
  key?: string | Uint8Array;
  /** CertificateVerify's scheme; default: the one matching the key's curve (0x0403 / 0x0503), rsa_pss_rsae_sha256, rsa_pss_pss_sha256, ed25519 or ed448. */
  scheme?: number;
}

export type CertificateRequestInfo = CertificateRequest;

export interface ClientOptions extends HelloOptions {
  /** Randomness for the client random, session ids and the ECDHE key. Default: the OS. */
  rng?: RandomSource;
  /** Record version of the ClientHello record (OpenSSL sends 0x0301). */
  recordVersion?: number;
  /** Sizes of the records that carry the ClientHello (the last repeats). Default: 2^14-byte records. */
  helloRecordSizes?: readonly number[];
  /** Resume this session: offer its id, or its ticket when it has one. */
  resume?: SavedSession;
  /** Answer the server's flights by itself (into takeOutput). Default true. */
  autoRespond?: boolean;
  /** The answer to a CertificateRequest; default: an empty Certificate message. */
  clientCertificate?: ClientCertificateOptions;
}

export interface ReceivedRecord extends WireRecord {
  /** Decrypted fragment (the fragment itself for records in clear). */
  plaintext: Uint8Array;
  encrypted: boolean;
}

/** The server's ServerHello as decoded, with its extensions also as they were on the wire. */
export interface ServerHelloInfo extends ServerHello {
  /** Extensions in order, as received; undefined when the block is absent. */
  extensionList: RawExtension[] | undefined;
}

export type ServerKeyExchangeInfo = ServerKeyExchange;

export type Phase =
  | 'start'
  | 'ServerHello'
  | 'Certificate'
  | 'ServerKeyExchange'
  | 'ServerHelloDone'
  | 'SendFlight'
  | 'ServerFinished'
  | 'ResumeFlight'
  | 'Complete';

const crypto = new NobleCryptoProvider();
const encoder = new TextEncoder();

export class TlsClient {
  readonly options: ClientOptions;
  readonly rng: RandomSource;
  readonly clientRandom: Uint8Array;
  /** The session id offered in the ClientHello. */
  readonly offeredSessionId: Uint8Array;
  phase: Phase = 'start';

  clientHello: Uint8Array | undefined;
  serverHello: ServerHelloInfo | undefined;
  suite: CipherSuite | undefined;
  serverCertificates: Uint8Array[] = [];
  serverKeyExchange: ServerKeyExchangeInfo | undefined;
  /** The server's CertificateRequest, when it sent one. */
  certificateRequest: CertificateRequestInfo | undefined;
  newSessionTicket: NewSessionTicket | undefined;
  resumed = false;
  extendedMasterSecret = false;
  alpnProtocol: string | undefined;
  masterSecret: Uint8Array | undefined;
  keys: TrafficKeys | undefined;
  serverFinishedVerified = false;
  clientFinishedSent = false;

  /** Every record the server sent, in order, decrypted when keys were on. */
  readonly records: ReceivedRecord[] = [];
  /** The same records grouped by the receive() call that brought them (one flight each, in memory). */
  readonly flights: ReceivedRecord[][] = [];
  /** Every handshake message the server sent. */
  readonly messages: { type: number; raw: Uint8Array }[] = [];
  /** Every alert the server sent. */
  readonly alerts: { level: number; description: number; encrypted: boolean }[] = [];
  receivedCloseNotify = false;

  /** The client's ECDHE key pair, once made (exposed for independent key schedule checks). */
  ephemeral: { group: number; secret: Uint8Array; publicKey: Uint8Array } | undefined;
  preMasterSecret: Uint8Array | undefined;

  private transcript: Uint8Array[] = [];
  private inbound: Uint8Array = new Uint8Array(0);
  private handshakeBuffer: Uint8Array = new Uint8Array(0);
  private readProtection: AeadProtection | undefined;
  private writeProtection: AeadProtection | undefined;
  private pendingRead: AeadProtection | undefined;
  private pendingWrite: AeadProtection | undefined;
  private output: Uint8Array[] = [];
  private plaintext: Uint8Array[] = [];
  private certificateKey: { curve: 'P-256' | 'P-384'; point: Uint8Array } | undefined;
  /** The leaf's public key as node:crypto reads it (RSA and EdDSA ServerKeyExchange signatures are checked with it). */
  private certificateNodeKey: KeyObject | undefined;

  constructor(options: ClientOptions = {}) {
    this.options = options;
    this.rng = options.rng ?? osRandomBytes;
    this.clientRandom = options.random ?? this.rng(32);
    const resume = options.resume;
    // RFC 5077 §3.4: a client resuming from a ticket makes up a session id to recognise the echo.
    this.offeredSessionId =
      options.sessionId ?? (resume ? (resume.ticket && resume.sessionId.length === 0 ? this.rng(32) : resume.sessionId) : new Uint8Array(0));
  }

  get handshakeComplete(): boolean {
    return this.phase === 'Complete';
  }

  /** The fatal alert the server sent, if any. */
  get fatalAlert(): number | undefined {
    return this.alerts.find((a) => a.level === 2)?.description;
  }

  /** The ClientHello message this client sends, with its options (overrides on top). */
  buildClientHello(overrides: HelloOptions = {}): Uint8Array {
    return clientHelloMessage({ ...this.buildOptions(), ...overrides, random: overrides.random ?? this.clientRandom, sessionId: overrides.sessionId ?? this.offeredSessionId });
  }

  private buildOptions(): HelloOptions {
    const o = this.options;
    return { ...o, sessionTicket: o.resume?.ticket ?? o.sessionTicket };
  }

  /** The ClientHello record(s) to send first. */
  start(): Uint8Array {
    if (this.phase !== 'start') throw new TlsClientError('start() called twice');
    this.clientHello = this.buildClientHello();
    this.transcript.push(this.clientHello);
    this.phase = 'ServerHello';
    return fragmentIntoRecords(ContentType.handshake, this.options.recordVersion ?? 0x0301, this.clientHello, this.options.helloRecordSizes ?? [16384]);
  }

  // -------------------------------------------------------------------------------------
  // Records out

  /** A record of `type`, sealed when the client has switched its write keys (any size: tests send oversized ones). */
  record(type: number, data: Uint8Array): Uint8Array {
    if (this.writeProtection) return this.writeProtection.seal(type, TLS12, data);
    return encodeRecord(type, this.serverHello ? TLS12 : (this.options.recordVersion ?? 0x0301), data);
  }

  /** Handshake records carrying `message`, 2^14 bytes each. */
  handshakeRecord(message: Uint8Array): Uint8Array {
    if (message.length <= 16384) return this.record(ContentType.handshake, message);
    const parts: Uint8Array[] = [];
    for (let at = 0; at < message.length; at += 16384) parts.push(this.record(ContentType.handshake, message.subarray(at, at + 16384)));
    return concat(...parts);
  }

  alertRecord(level: number, description: number): Uint8Array {
    return this.record(ContentType.alert, Uint8Array.of(level, description));
  }

  /** Application data, cut at 2^14 bytes a record. */
  write(data: Uint8Array): Uint8Array {
    if (!this.handshakeComplete) throw new TlsClientError('write before the handshake completed');
    const out: Uint8Array[] = [];
    for (let at = 0; at < data.length; at += 16384) out.push(this.record(ContentType.application_data, data.subarray(at, at + 16384)));
    return concat(...out);
  }

  closeNotify(): Uint8Array {
    return this.alertRecord(1, 0);
  }

  /** What the client answered by itself (autoRespond), as one buffer. */
  takeOutput(): Uint8Array | undefined {
    if (this.output.length === 0) return undefined;
    const out = concat(...this.output);
    this.output = [];
    return out;
  }

  /** Application data received so far, as one buffer. */
  takePlaintext(): Uint8Array {
    const out = concat(...this.plaintext);
    this.plaintext = [];
    return out;
  }

  // -------------------------------------------------------------------------------------
  // The second flight, piece by piece

  /** ClientKeyExchange for the group the server chose; derives the master secret and keys. */
  makeClientKeyExchange(opts: { publicKey?: Uint8Array } = {}): Uint8Array {
    const ske = this.serverKeyExchange;
    if (!ske || !this.serverHello || !this.suite) throw new TlsClientError('no ServerKeyExchange to answer');
    const share = makeKeyShare(ske.group, this.rng);
    const preMaster = share.agree(ske.publicKey);
    this.ephemeral = { group: ske.group, secret: share.secret, publicKey: share.publicKey };
    this.preMasterSecret = preMaster;
    const point = opts.publicKey ?? share.publicKey;
    const message = encodeClientKeyExchange(point);
    this.transcript.push(message);
    this.masterSecret = this.extendedMasterSecret
      ? prf(crypto, this.suite.hash, preMaster, encoder.encode('extended master secret'), this.transcriptHash(), 48)
      : prf(crypto, this.suite.hash, preMaster, encoder.encode('master secret'), concat(this.clientRandom, this.serverHello.random), 48);
    this.prepareKeys();
    return message;
  }

  /** The client's Certificate message (default: the `clientCertificate` chain, else empty). */
  makeCertificate(chain: readonly Uint8Array[] = this.options.clientCertificate?.chain ?? []): Uint8Array {
    const message = encodeCertificate(chain);
    this.transcript.push(message);
    return message;
  }

  /**
   * CertificateVerify: an ECDSA signature over every handshake message so far (RFC 5246
   * §7.4.8), with the `clientCertificate` key unless `key` is given. `scheme` is what the
   * message says and what decides the hash (`hashScheme` overrides the hash alone);
   * `tamper` flips a bit of the signed data; `signature` replaces the signature bytes.
   */
  makeCertificateVerify(opts: { scheme?: number; hashScheme?: number; key?: string | Uint8Array; tamper?: boolean; signature?: Uint8Array } = {}): Uint8Array {
    const pem = opts.key ?? this.options.clientCertificate?.key;
    let signature = opts.signature;
    // RSA and EdDSA keys sign through node:crypto (`nodeKey`); EC keys with noble.
    const nodeKey = pem === undefined ? undefined : createPrivateKey(typeof pem === 'string' ? pem : Buffer.from(pem));
    const key = pem === undefined || nodeKey?.asymmetricKeyType !== 'ec' ? undefined : ecPrivateKey(pem);
    const defaultScheme: Record<string, number> = { 'rsa': Sig.rsa_pss_rsae_sha256, 'rsa-pss': Sig.rsa_pss_pss_sha256, ed25519: Sig.ed25519, ed448: Sig.ed448 };
    const scheme =
      opts.scheme ??
      this.options.clientCertificate?.scheme ??
      (key ? (key.curve === 'P-384' ? Sig.ecdsa_secp384r1_sha384 : Sig.ecdsa_secp256r1_sha256) : defaultScheme[nodeKey?.asymmetricKeyType ?? ''] ?? Sig.ecdsa_secp256r1_sha256);
    if (!signature) {
      if (!nodeKey) throw new TlsClientError('CertificateVerify without a key');
      const signed = concat(...this.transcript);
      if (opts.tamper) signed[signed.length - 1]! ^= 1;
      signature = key ? ecdsaSign(key, opts.hashScheme ?? scheme, signed) : nodeSchemeSign(nodeKey, opts.hashScheme ?? scheme, signed);
    }
    const message = encodeCertificateVerify({ scheme, signature });
    this.transcript.push(message);
    return message;
  }

  /** The ChangeCipherSpec record; what the client writes afterwards is sealed. */
  changeCipherSpec(): Uint8Array {
    if (!this.pendingWrite) throw new TlsClientError('ChangeCipherSpec before keys were agreed');
    const record = this.record(ContentType.change_cipher_spec, Uint8Array.of(1));
    this.writeProtection = this.pendingWrite;
    this.pendingWrite = undefined;
    return record;
  }

  /** The client's Finished; `tamper` flips a bit of verify_data. */
  makeFinished(opts: { tamper?: boolean } = {}): Uint8Array {
    if (!this.masterSecret || !this.suite) throw new TlsClientError('Finished before the master secret');
    const data = verifyData(crypto, this.suite.hash, this.masterSecret, 'client', this.transcriptHash());
    if (opts.tamper) data[0]! ^= 1;
    const message = encodeFinished(data);
    this.transcript.push(message);
    this.clientFinishedSent = true;
    if (!this.resumed && this.phase === 'SendFlight') this.phase = 'ServerFinished';
    this.checkComplete();
    return message;
  }

  /**
   * The whole second flight: [[Certificate,] ClientKeyExchange, [CertificateVerify,]]
   * ChangeCipherSpec, Finished. Certificate answers a CertificateRequest; CertificateVerify
   * follows when the chain is not empty and there is a key.
   */
  secondFlight(opts: { tamperFinished?: boolean } = {}): Uint8Array {
    const parts: Uint8Array[] = [];
    if (!this.resumed) {
      const answer = this.certificateRequest !== undefined;
      const own = this.options.clientCertificate;
      if (answer) parts.push(this.handshakeRecord(this.makeCertificate()));
      parts.push(this.handshakeRecord(this.makeClientKeyExchange()));
      if (answer && own && own.chain.length > 0 && own.key !== undefined) parts.push(this.handshakeRecord(this.makeCertificateVerify()));
    }
    parts.push(this.changeCipherSpec());
    parts.push(this.handshakeRecord(this.makeFinished({ tamper: opts.tamperFinished === true })));
    return concat(...parts);
  }

  /** After the handshake: the session to resume later. */
  get session(): SavedSession | undefined {
    if (!this.handshakeComplete || !this.serverHello || !this.masterSecret) return undefined;
    const ticket = this.newSessionTicket?.ticket ?? this.options.resume?.ticket;
    return {
      sessionId: this.serverHello.sessionId.slice(),
      masterSecret: this.masterSecret,
      cipherSuite: this.serverHello.cipherSuite,
      extendedMasterSecret: this.extendedMasterSecret,
      ...(ticket && ticket.length > 0 ? { ticket } : {}),
    };
  }

  /** The handshake messages so far, both directions, as hashed for Finished. */
  get transcriptMessages(): readonly Uint8Array[] {
    return this.transcript;
  }

  transcriptHash(): Uint8Array {
    if (!this.suite) throw new TlsClientError('no suite yet');
    return (this.suite.hash === 'sha384' ? sha384 : sha256)(concat(...this.transcript));
  }

  private prepareKeys(): void {
    this.keys = deriveTrafficKeys(crypto, this.suite!, this.masterSecret!, this.clientRandom, this.serverHello!.random);
    this.pendingWrite = new AeadProtection(crypto, this.suite!, this.keys.clientKey, this.keys.clientIv);
    this.pendingRead = new AeadProtection(crypto, this.suite!, this.keys.serverKey, this.keys.serverIv);
  }

  private checkComplete(): void {
    if (this.serverFinishedVerified && this.clientFinishedSent) this.phase = 'Complete';
  }

  // -------------------------------------------------------------------------------------
  // Records in

  /** Bytes from the server. Throws TlsClientError if the server misbehaves. */
  receive(data: Uint8Array): void {
    this.inbound = concat(this.inbound, data);
    const { records, rest } = splitRecords(this.inbound);
    this.inbound = rest.slice();
    const before = this.records.length;
    try {
      for (const r of records) this.handleRecord(r);
    } finally {
      if (this.records.length > before) this.flights.push(this.records.slice(before));
    }
  }

  private handleRecord(r: WireRecord): void {
    let plaintext: Uint8Array = r.fragment.slice();
    const encrypted = this.readProtection !== undefined;
    if (this.readProtection) {
      try {
        plaintext = this.readProtection.open(r.type, r.version, r.fragment);
      } catch (e) {
        throw new TlsClientError(`cannot decrypt a server record of type ${r.type}: ${(e as Error).message}`);
      }
    }
    this.records.push({ ...r, fragment: r.fragment.slice(), raw: r.raw.slice(), plaintext, encrypted });
    switch (r.type) {
      case ContentType.alert:
        if (plaintext.length !== 2) throw new TlsClientError(`alert record of ${plaintext.length} bytes`);
        this.alerts.push({ level: plaintext[0]!, description: plaintext[1]!, encrypted });
        if (plaintext[1] === 0) this.receivedCloseNotify = true;
        return;
      case ContentType.change_cipher_spec:
        if (plaintext.length !== 1 || plaintext[0] !== 1) throw new TlsClientError('malformed ChangeCipherSpec');
        if (!this.pendingRead || this.handshakeBuffer.length > 0) throw new TlsClientError('unexpected ChangeCipherSpec');
        if (this.phase !== 'ServerFinished') throw new TlsClientError(`ChangeCipherSpec in phase ${this.phase}`);
        this.readProtection = this.pendingRead;
        this.pendingRead = undefined;
        return;
      case ContentType.application_data:
        if (!this.handshakeComplete) throw new TlsClientError('application data before the handshake completed');
        this.plaintext.push(plaintext);
        return;
      case ContentType.handshake:
        this.handshakeBuffer = concat(this.handshakeBuffer, plaintext);
        while (this.handshakeBuffer.length >= 4) {
          const b = this.handshakeBuffer;
          const length = (b[1]! << 16) | (b[2]! << 8) | b[3]!;
          if (b.length < 4 + length) break;
          const raw = b.slice(0, 4 + length);
          this.handshakeBuffer = b.slice(4 + length);
          this.messages.push({ type: raw[0]!, raw });
          this.handleMessage(raw[0]!, raw, raw.subarray(4));
        }
        return;
      default:
        throw new TlsClientError(`record of unknown type ${r.type}`);
    }
  }

  private expectPhase(phase: Phase, what: string): void {
    if (this.phase !== phase) throw new TlsClientError(`${what} in phase ${this.phase}`);
  }

  private handleMessage(type: number, raw: Uint8Array, body: Uint8Array): void {
    switch (type) {
      case HandshakeType.server_hello:
        this.expectPhase('ServerHello', 'ServerHello');
        this.transcript.push(raw);
        this.processServerHello(body);
        return;
      case HandshakeType.certificate: {
        this.expectPhase('Certificate', 'Certificate');
        this.transcript.push(raw);
        this.serverCertificates.push(...decoded('Certificate', () => decodeCertificate(body)));
        if (this.serverCertificates.length === 0) throw new TlsClientError('empty server certificate list');
        this.certificateNodeKey = new X509Certificate(this.serverCertificates[0]!).publicKey;
        if (this.certificateNodeKey.asymmetricKeyType === 'ec') this.certificateKey = certificatePublicKey(this.serverCertificates[0]!);
        this.phase = 'ServerKeyExchange';
        return;
      }
      case HandshakeType.server_key_exchange:
        this.expectPhase('ServerKeyExchange', 'ServerKeyExchange');
        this.transcript.push(raw);
        this.processServerKeyExchange(body);
        this.phase = 'ServerHelloDone';
        return;
      case HandshakeType.certificate_request: {
        this.expectPhase('ServerHelloDone', 'CertificateRequest');
        if (this.certificateRequest) throw new TlsClientError('a second CertificateRequest');
        this.transcript.push(raw);
        this.certificateRequest = decoded('CertificateRequest', () => decodeCertificateRequest(body));
        return;
      }
      case HandshakeType.server_hello_done:
        this.expectPhase('ServerHelloDone', 'ServerHelloDone');
        decoded('ServerHelloDone', () => decodeServerHelloDone(body));
        this.transcript.push(raw);
        this.phase = 'SendFlight';
        if (this.options.autoRespond ?? true) this.output.push(this.secondFlight());
        return;
      case HandshakeType.new_session_ticket: {
        if (this.phase !== 'ServerFinished') throw new TlsClientError(`NewSessionTicket in phase ${this.phase}`);
        this.transcript.push(raw);
        this.newSessionTicket = decoded('NewSessionTicket', () => decodeNewSessionTicket(body));
        return;
      }
      case HandshakeType.finished: {
        this.expectPhase('ServerFinished', 'server Finished');
        if (!this.readProtection) throw new TlsClientError('server Finished in clear');
        const expected = verifyData(crypto, this.suite!.hash, this.masterSecret!, 'server', this.transcriptHash());
        if (!bytesEqual(body, expected)) throw new TlsClientError('the server Finished does not verify');
        this.transcript.push(raw);
        this.serverFinishedVerified = true;
        if (this.resumed) {
          this.phase = 'ResumeFlight';
          if (this.options.autoRespond ?? true) this.output.push(this.secondFlight());
        }
        this.checkComplete();
        return;
      }
      case HandshakeType.hello_request:
        return; // not part of the transcript; this client never renegotiates
      default:
        throw new TlsClientError(`unexpected handshake message ${type} in phase ${this.phase}`);
    }
  }

  private processServerHello(body: Uint8Array): void {
    const hello = decoded('ServerHello', () => decodeServerHello(body));
    this.serverHello = { ...hello, extensionList: serverHelloExtensionList(body) };
    const { version, sessionId, cipherSuite } = hello;
    if (version !== TLS12) throw new TlsClientError(`server chose version 0x${version.toString(16)}`);
    const offered = this.options.cipherSuites ?? ALL_SUITES;
    const suite = suiteById(cipherSuite);
    if (!offered.includes(cipherSuite) || !suite) throw new TlsClientError(`server chose suite 0x${cipherSuite.toString(16)}`);
    this.suite = suite;

    const offeredEms = this.options.extendedMasterSecret ?? true;
    this.extendedMasterSecret = hello.extensions.extendedMasterSecret;
    if (this.extendedMasterSecret && !offeredEms) throw new TlsClientError('unsolicited extended_master_secret');
    this.alpnProtocol = hello.extensions.alpnProtocol;
    if (this.alpnProtocol !== undefined) {
      if (!this.options.alpn) throw new TlsClientError('unsolicited ALPN');
      if (!this.options.alpn.includes(this.alpnProtocol)) throw new TlsClientError(`server chose ALPN ${this.alpnProtocol}`);
    }

    const resume = this.options.resume;
    this.resumed = resume !== undefined && this.offeredSessionId.length > 0 && bytesEqual(sessionId, this.offeredSessionId);
    if (this.resumed) {
      if (cipherSuite !== resume!.cipherSuite) throw new TlsClientError('resumption with another suite');
      if (this.extendedMasterSecret !== resume!.extendedMasterSecret) throw new TlsClientError('resumption changes EMS');
      this.masterSecret = resume!.masterSecret;
      this.prepareKeys();
      this.phase = 'ServerFinished';
    } else {
      this.phase = 'Certificate';
    }
  }

  private processServerKeyExchange(body: Uint8Array): void {
    const ske = decoded('ServerKeyExchange', () => decodeServerKeyExchange(body));
    this.serverKeyExchange = ske;
    const { group, params, signatureScheme, signature } = ske;
    // What this client offered, from its own options (not from its hello as the server's decoder reads it).
    // Without the extensions, RFC 4492 §4 and RFC 5246 §7.4.1.4.1 defaults apply.
    const offeredGroups = offeredList(this.options, 'groups', Ext.supported_groups) ?? [Group.secp256r1];
    if (!offeredGroups.includes(group)) throw new TlsClientError(`server chose group ${group}`);
    const offeredSigs = offeredList(this.options, 'signatureAlgorithms', Ext.signature_algorithms) ?? [Sig.ecdsa_sha1];
    if (!offeredSigs.includes(signatureScheme)) throw new TlsClientError(`server chose signature scheme 0x${signatureScheme.toString(16)}`);
    const signed = concat(this.clientRandom, this.serverHello!.random, params);
    const hash = SIGNATURE_HASHES.get(signatureScheme);
    if (!hash) {
      // RSA (PSS, PKCS#1 v1.5) and EdDSA: OpenSSL's verification, through node:crypto.
      if (!nodeSchemeVerify(this.certificateNodeKey!, signatureScheme, signed, signature)) {
        throw new TlsClientError(`the ServerKeyExchange signature (scheme 0x${signatureScheme.toString(16)}) does not verify`);
      }
      return;
    }
    const key = this.certificateKey;
    if (!key) throw new TlsClientError(`an ECDSA ServerKeyExchange signature with a ${this.certificateNodeKey!.asymmetricKeyType} certificate`);
    const digest = hash(signed);
    const curve = key.curve === 'P-256' ? p256 : p384;
    if (!curve.verify(signature, digest, key.point, { prehash: false, format: 'der', lowS: false })) {
      throw new TlsClientError('the ServerKeyExchange signature does not verify');
    }
  }
}

/** A server's malformed message is the server's fault: a TlsClientError, whatever the codec threw. */
function decoded<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof TlsError) throw new TlsClientError(`malformed ${what}: ${e.message}`);
    throw e;
  }
}

/** The ServerHello's extensions as on the wire (the fields before them were checked by decodeServerHello). */
function serverHelloExtensionList(body: Uint8Array): RawExtension[] | undefined {
  const r = new Reader(body);
  r.bytes(2 + 32);
  r.vec8();
  r.bytes(2 + 1);
  return r.remaining === 0 ? undefined : readExtensions(r.sub16());
}

// ---------------------------------------------------------------------------------------
// Over TCP

export class TcpTlsClient {
  /** Every byte the server sent, chunk by chunk. */
  readonly chunks: Uint8Array[] = [];
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;
  isClosed = false;
  /** The server ended its side (FIN). */
  gotEnd = false;
  socketError: Error | undefined;
  /** What the TlsClient threw while reading the server's bytes. */
  clientError: unknown;
  private waiters: Array<() => void> = [];

  private constructor(
    readonly socket: net.Socket,
    readonly tls: TlsClient,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(new Uint8Array(chunk));
      if (this.clientError === undefined) {
        try {
          tls.receive(chunk);
          const out = tls.takeOutput();
          if (out && !socket.destroyed) socket.write(out);
        } catch (e) {
          this.clientError = e;
        }
      }
      this.notify();
    });
    socket.on('end', () => {
      this.gotEnd = true;
    });
    socket.on('error', (e) => {
      this.socketError = e;
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        this.notify();
        resolve();
      }),
    );
  }

  static connect(port: number, options: ClientOptions = {}, host = '127.0.0.1'): Promise<TcpTlsClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new TcpTlsClient(socket, new TlsClient(options)));
      });
    });
  }

  /** Everything the server sent. */
  get received(): Uint8Array {
    return concat(...this.chunks);
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Resolves once `predicate()` holds; rejects if the connection closes or the client fails first. */
  waitFor(predicate: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (predicate()) {
          resolve();
          return true;
        }
        if (this.clientError !== undefined || this.isClosed) {
          const alerts = this.tls.alerts.map((a) => `${a.level}/${a.description}`).join(',');
          reject(new Error(`waiting for ${what}: ${this.clientError ? String(this.clientError) : 'connection closed'} (alerts: ${alerts || 'none'})`));
          return true;
        }
        return false;
      };
      if (check()) return;
      const waiter = (): void => {
        if (check()) this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      this.waiters.push(waiter);
    });
  }

  /** Sends the ClientHello and waits until the handshake completes (autoRespond clients). */
  async handshake(): Promise<void> {
    this.send(this.tls.start());
    await this.waitFor(() => this.tls.handshakeComplete, 'the handshake');
  }

  /** Sends application data and waits for `expectedLength` bytes back; returns them. */
  async roundTrip(data: Uint8Array, expectedLength = data.length): Promise<Uint8Array> {
    const got: Uint8Array[] = [];
    let n = 0;
    this.send(this.tls.write(data));
    await this.waitFor(() => {
      const p = this.tls.takePlaintext();
      if (p.length) got.push(p);
      n += p.length;
      return n >= expectedLength;
    }, `${expectedLength} bytes of application data`);
    return concat(...got);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}
