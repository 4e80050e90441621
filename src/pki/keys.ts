import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { p256, p384 } from '@noble/curves/nist.js';
import type { ECDSA } from '@noble/curves/abstract/weierstrass.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { bytesEqual } from '../codec/bytes.js';
import { DerReader, Tag, bitString, contextTag, explicit, octetString, oid, sequence, uint, uintBytes } from '../codec/der.js';
import { decodePemBlocks, encodePem, type PemBlock } from '../codec/pem.js';
import type { EddsaAlgorithm, RsaHash, RsaPrivateKeyParts, RsaSignatureScheme } from '../crypto/provider.js';
import {
  RSA_SIGNING_MAX_BITS,
  RSA_SIGNING_MIN_BITS,
  bigIntToBytes,
  bitLength,
  bytesToBigInt,
  checkRsaPrivateKey,
} from '../crypto/rsa.js';
import { TlsConfigError, TlsDecodeError } from '../errors.js';

export type EcCurveName = 'P-256' | 'P-384';

/** Every private key puretls signs with, told apart by `type`. */
export type PrivateKey = EcPrivateKey | RsaPrivateKey | EddsaPrivateKey;

export interface EcPrivateKey {
  type: 'EC';
  curve: EcCurveName;
  /** Big-endian scalar, 32 bytes (P-256) or 48 bytes (P-384). */
  secret: Uint8Array;
  /** Uncompressed point 0x04||X||Y. */
  publicKey: Uint8Array;
}

/** RSASSA-PSS-params (RFC 4055 §3.1), its hashes named; 'sha1' and others stay visible so callers can refuse them. */
export interface RsaPssParameters {
  hash: PssHashName;
  mgf1Hash: PssHashName;
  saltLength: number;
  trailerField: number;
}
export type PssHashName = RsaHash | 'sha1' | 'sha224' | 'sha512-224' | 'sha512-256' | `unknown ${string}`;

export interface RsaPrivateKey extends RsaPrivateKeyParts {
  type: 'RSA';
  /** Modulus size in bits, 2048 to 4096. */
  bits: number;
  /** DER RSAPublicKey: what a certificate for this key carries as its subjectPublicKey. */
  publicKey: Uint8Array;
  /**
   * 'rsaEncryption' keys sign PSS and PKCS#1 v1.5; 'RSASSA-PSS' keys (id-RSASSA-PSS, RFC 4055)
   * sign PSS only, and only with `pssParameters`' hash when the key has them.
   */
  algorithm: 'rsaEncryption' | 'RSASSA-PSS';
  pssParameters: RsaPssParameters | undefined;
}

export interface EddsaPrivateKey {
  type: EddsaAlgorithm;
  /** The RFC 8032 private key: 32 bytes (Ed25519) or 57 (Ed448). */
  secret: Uint8Array;
  publicKey: Uint8Array;
}

export const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
export const OID_RSASSA_PSS = '1.2.840.113549.1.1.10';
export const OID_MGF1 = '1.2.840.113549.1.1.8';
export const EDDSA_OIDS: Readonly<Record<EddsaAlgorithm, string>> = { Ed25519: '1.3.101.112', Ed448: '1.3.101.113' };
const EDDSA_KEY_LENGTH: Readonly<Record<EddsaAlgorithm, number>> = { Ed25519: 32, Ed448: 57 };
const EDDSA_IMPL = { Ed25519: ed25519, Ed448: ed448 } as const;
/** Digest OIDs (NIST CSOR, RFC 3279). */
const HASH_OIDS: Readonly<Record<string, PssHashName>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.5': 'sha512-224',
  '2.16.840.1.101.3.4.2.6': 'sha512-256',
};
export const CURVE_OIDS: Readonly<Record<EcCurveName, string>> = {
  'P-256': '1.2.840.10045.3.1.7', // prime256v1 / secp256r1
  'P-384': '1.3.132.0.34', // secp384r1
};
const SECRET_SIZE: Readonly<Record<EcCurveName, number>> = { 'P-256': 32, 'P-384': 48 };

// Names for what we refuse, so the error says what the user actually has.
const OTHER_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.1': 'RSA',
  '1.2.840.113549.1.1.10': 'RSA-PSS',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
  '1.3.101.110': 'X25519',
  '1.3.101.111': 'X448',
  '1.2.840.10040.4.1': 'DSA',
  '1.2.840.113549.1.3.1': 'DH',
  '1.2.840.10046.2.1': 'DH',
  '1.2.156.10197.1.301': 'SM2',
};
const OTHER_CURVES: Readonly<Record<string, string>> = {
  '1.3.132.0.35': 'P-521 (secp521r1)',
  '1.3.132.0.33': 'P-224 (secp224r1)',
  '1.2.840.10045.3.1.1': 'P-192 (prime192v1)',
  '1.3.132.0.10': 'secp256k1',
  '1.3.36.3.3.2.8.1.1.7': 'brainpoolP256r1',
  '1.3.36.3.3.2.8.1.1.11': 'brainpoolP384r1',
  '1.3.36.3.3.2.8.1.1.13': 'brainpoolP512r1',
  '1.2.156.10197.1.301': 'SM2',
};
/** loadPrivateKey's refusals: it reads ECDSA keys only (loadAnyPrivateKey reads every kind the handshake serves). */
const SERVED = 'loadPrivateKey reads ECDSA keys (P-256, P-384); loadAnyPrivateKey also RSA, Ed25519 and Ed448 keys';
const SIGNED_WITH = `puretls signs with ECDSA (P-256, P-384), RSA (${RSA_SIGNING_MIN_BITS} to ${RSA_SIGNING_MAX_BITS} bits), Ed25519 and Ed448 keys`;

export function curveFromOid(curveOid: string): EcCurveName | undefined {
  return (Object.keys(CURVE_OIDS) as EcCurveName[]).find((c) => CURVE_OIDS[c] === curveOid);
}

export function ecdsaFor(curve: EcCurveName): ECDSA {
  return curve === 'P-256' ? p256 : p384;
}

/** Same point on the curve, whatever the encoding (compressed or not); false if either is not a point. */
export function samePoint(curve: EcCurveName, a: Uint8Array, b: Uint8Array): boolean {
  try {
    const { Point } = ecdsaFor(curve);
    return Point.fromBytes(a).equals(Point.fromBytes(b));
  } catch {
    return false;
  }
}

function unsupported(message: string): TlsConfigError {
  return new TlsConfigError('ERR_UNSUPPORTED_KEY', message);
}

function malformed(message: string): TlsDecodeError {
  return new TlsDecodeError('ERR_KEY_DECODE', message);
}

/**
 * The one private-key block of a PEM text (other blocks, such as an "EC PARAMETERS" block or
 * certificates, are ignored). Encrypted keys and texts with none or several are refused.
 */
function privateKeyBlock(pem: string | Uint8Array): PemBlock {
  const text = typeof pem === 'string' ? pem : new TextDecoder().decode(pem);
  // The PEM codec would call these malformed; they are well-formed, just not something we can use.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(text)) {
    throw unsupported('encrypted private keys are not supported: decrypt it first (openssl pkey -in key.pem -out plain.pem)');
  }
  const blocks = decodePemBlocks(text);
  const keys = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (keys.length === 0) {
    if (blocks.length === 0) throw new TlsDecodeError('ERR_PEM_DECODE', 'no PEM private key found (expected "-----BEGIN PRIVATE KEY-----")');
    throw unsupported(`no private key found in the PEM, only: ${[...new Set(blocks.map((b) => b.label))].join(', ')}`);
  }
  if (keys.length > 1) throw unsupported(`the PEM holds ${keys.length} private keys; give exactly one`);
  return keys[0]!;
}

/**
 * Loads one ECDSA private key (P-256 or P-384) from PEM: PKCS#8 "PRIVATE KEY" or SEC1
 * "EC PRIVATE KEY". Other blocks in the text (an "EC PARAMETERS" block, certificates) are ignored.
 * TlsContext loads keys with loadAnyPrivateKey(), which also takes RSA and EdDSA keys.
 */
export function loadPrivateKey(pem: string | Uint8Array): EcPrivateKey {
  const { label, der } = privateKeyBlock(pem);
  switch (label) {
    case 'PRIVATE KEY': {
      const info = readPkcs8(der);
      if (info.algorithm !== OID_EC_PUBLIC_KEY) throw unsupported(`${algorithmName(info.algorithm)} are not supported: ${SERVED}`);
      return fromPkcs8Ec(info, SERVED);
    }
    case 'EC PRIVATE KEY':
      return fromSec1(der, undefined, [], SERVED);
    case 'RSA PRIVATE KEY':
      throw unsupported(`RSA keys are not supported: ${SERVED}`);
    case 'DSA PRIVATE KEY':
      throw unsupported(`DSA keys are not supported: ${SERVED}`);
    default:
      throw unsupported(`"${label}" PEM blocks are not supported: ${SERVED}; use a PKCS#8 "PRIVATE KEY"`);
  }
}

/**
 * Loads one private key of any type puretls signs with, from PEM: ECDSA (PKCS#8 or SEC1
 * "EC PRIVATE KEY"), RSA of 2048 to 4096 bits (PKCS#8 rsaEncryption or id-RSASSA-PSS, or
 * PKCS#1 "RSA PRIVATE KEY"), Ed25519 and Ed448 (PKCS#8, RFC 8410). An RSA key is checked
 * for consistency (rsaPrivateKeyProblem) and signs once before it is returned.
 */
export function loadAnyPrivateKey(pem: string | Uint8Array): PrivateKey {
  const { label, der } = privateKeyBlock(pem);
  switch (label) {
    case 'PRIVATE KEY':
      return fromPkcs8Any(readPkcs8(der));
    case 'EC PRIVATE KEY':
      return fromSec1(der, undefined, [], SIGNED_WITH);
    case 'RSA PRIVATE KEY':
      return fromRsaPrivateKey(der, 'rsaEncryption', undefined);
    case 'DSA PRIVATE KEY':
      throw unsupported(`DSA keys are not supported: ${SIGNED_WITH}`);
    default:
      throw unsupported(`"${label}" PEM blocks are not supported: ${SIGNED_WITH}; use a PKCS#8 "PRIVATE KEY"`);
  }
}

function algorithmName(algorithmOid: string): string {
  const name = OTHER_ALGORITHMS[algorithmOid];
  return name ? `${name} keys` : `keys of algorithm ${algorithmOid}`;
}

/** PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5208, RFC 5958), its fields. */
interface Pkcs8 {
  algorithm: string;
  /** The AlgorithmIdentifier's parameters element, whole; undefined when absent. */
  parameters: Uint8Array | undefined;
  privateKey: Uint8Array;
  /** v2 publicKey [1] contents (no unused bits). */
  publicKey: Uint8Array | undefined;
}

function readPkcs8(der: Uint8Array): Pkcs8 {
  const outer = new DerReader(der);
  const info = outer.sequence('PrivateKeyInfo');
  outer.end('PrivateKeyInfo');
  const version = info.uint('PrivateKeyInfo version');
  if (version > 1) throw malformed(`unknown PKCS#8 version ${version}`);
  const alg = info.sequence('privateKeyAlgorithm');
  const algorithm = alg.oid('privateKeyAlgorithm');
  const parameters = alg.atEnd() ? undefined : alg.read().raw;
  alg.end('privateKeyAlgorithm');
  const privateKey = info.octetString('privateKey');
  info.optional(contextTag(0, true)); // attributes: nothing we use
  let publicKey: Uint8Array | undefined;
  const v2PublicKey = version === 1 ? info.optional(contextTag(1, false)) : undefined;
  if (v2PublicKey) {
    if (v2PublicKey[0] !== 0) throw malformed('publicKey: unused bits are not supported');
    publicKey = v2PublicKey.subarray(1);
  }
  info.end('PrivateKeyInfo');
  return { algorithm, parameters, privateKey, publicKey };
}

function fromPkcs8Any(info: Pkcs8): PrivateKey {
  switch (info.algorithm) {
    case OID_EC_PUBLIC_KEY:
      return fromPkcs8Ec(info, SIGNED_WITH);
    case OID_RSA_ENCRYPTION:
      // RFC 8017 §A.1: the parameters are NULL (some encoders leave them out).
      if (info.parameters !== undefined && !bytesEqual(info.parameters, NULL_ELEMENT)) throw malformed('rsaEncryption parameters must be NULL');
      return fromRsaPrivateKey(info.privateKey, 'rsaEncryption', undefined, info.publicKey);
    case OID_RSASSA_PSS:
      return fromRsaPrivateKey(info.privateKey, 'RSASSA-PSS', info.parameters && decodeRsaPssParameters(info.parameters), info.publicKey);
    case EDDSA_OIDS.Ed25519:
      return fromPkcs8Eddsa(info, 'Ed25519');
    case EDDSA_OIDS.Ed448:
      return fromPkcs8Eddsa(info, 'Ed448');
    default:
      throw unsupported(`${algorithmName(info.algorithm)} are not supported: ${SIGNED_WITH}`);
  }
}

function fromPkcs8Ec(info: Pkcs8, served: string): EcPrivateKey {
  const params = new DerReader(info.parameters ?? new Uint8Array(0));
  const curve = readEcParameters(params, served);
  params.end('privateKeyAlgorithm');
  return fromSec1(info.privateKey, curve, info.publicKey ? [info.publicKey] : [], served);
}

/** RFC 5915 ECPrivateKey; `outerCurve` is the curve named by an enclosing PKCS#8 wrapper. */
function fromSec1(der: Uint8Array, outerCurve: EcCurveName | undefined, claimed: Uint8Array[], served: string): EcPrivateKey {
  const outer = new DerReader(der);
  const k = outer.sequence('ECPrivateKey');
  outer.end('ECPrivateKey');
  if (k.uint('ECPrivateKey version') !== 1) throw malformed('unknown ECPrivateKey version');
  const scalar = k.octetString('ECPrivateKey privateKey');
  let curve = outerCurve;
  const params = k.explicit(0);
  if (params) {
    const named = readEcParameters(params, served);
    params.end('ECPrivateKey parameters');
    if (curve !== undefined && named !== curve) throw malformed(`the key says both ${curve} and ${named}`);
    curve = named;
  }
  const pub = k.explicit(1);
  if (pub) {
    claimed.push(pub.bitString('ECPrivateKey publicKey'));
    pub.end('ECPrivateKey publicKey');
  }
  k.end('ECPrivateKey');
  if (curve === undefined) throw malformed('the EC private key does not name its curve');
  return makeKey(curve, scalar, claimed);
}

/** ECParameters (RFC 5480 §2.1.1): only a namedCurve we serve is accepted. */
function readEcParameters(r: DerReader, served: string): EcCurveName {
  const tag = r.peekTag();
  if (tag === Tag.SEQUENCE) {
    throw unsupported(`EC keys with explicit curve parameters are not supported: ${served} by named curve`);
  }
  if (tag !== Tag.OID) throw malformed('EC key parameters are neither a named curve nor explicit parameters');
  const curveOid = r.oid('namedCurve');
  const curve = curveFromOid(curveOid);
  if (curve === undefined) {
    throw unsupported(`EC keys on ${OTHER_CURVES[curveOid] ?? `curve ${curveOid}`} are not supported: ${served}`);
  }
  return curve;
}

function makeKey(curve: EcCurveName, scalar: Uint8Array, claimed: readonly Uint8Array[]): EcPrivateKey {
  const size = SECRET_SIZE[curve];
  // RFC 5915 fixes the length, but old encoders dropped leading zero bytes.
  if (scalar.length === 0 || scalar.length > size) throw malformed(`a ${curve} private key must be ${size} bytes, not ${scalar.length}`);
  const secret = new Uint8Array(size);
  secret.set(scalar, size - scalar.length);
  const ecdsa = ecdsaFor(curve);
  if (!ecdsa.utils.isValidSecretKey(secret)) throw malformed(`the ${curve} private scalar is out of range`);
  const publicKey = ecdsa.getPublicKey(secret, false);
  for (const p of claimed) {
    if (!samePoint(curve, p, publicKey)) throw malformed('the public key in the key file does not match its private key');
  }
  return { type: 'EC', curve, secret, publicKey };
}

// ---------------------------------------------------------------------------------------
// RSA (RFC 8017 §A.1.2) and EdDSA (RFC 8410 §7) private keys

const NULL_ELEMENT = Uint8Array.of(Tag.NULL, 0);

/**
 * RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, privateExponent, prime1,
 * prime2, exponent1, exponent2, coefficient, otherPrimeInfos OPTIONAL }: two primes only.
 */
function fromRsaPrivateKey(
  der: Uint8Array,
  algorithm: RsaPrivateKey['algorithm'],
  pssParameters: RsaPssParameters | undefined,
  claimedPublicKey?: Uint8Array,
): RsaPrivateKey {
  const outer = new DerReader(der);
  const k = outer.sequence('RSAPrivateKey');
  outer.end('RSAPrivateKey');
  const version = k.uint('RSAPrivateKey version');
  if (version === 1) throw unsupported('multi-prime RSA keys are not supported: use a key of two primes');
  if (version !== 0) throw malformed(`unknown RSAPrivateKey version ${version}`);
  const int = (what: string): bigint => bytesToBigInt(k.uintBytes(what));
  const n = int('modulus');
  const e = int('publicExponent');
  const d = int('privateExponent');
  const p = int('prime1');
  const q = int('prime2');
  const dp = int('exponent1');
  const dq = int('exponent2');
  const qInv = int('coefficient');
  k.end('RSAPrivateKey');
  const bits = bitLength(n);
  if (bits < RSA_SIGNING_MIN_BITS || bits > RSA_SIGNING_MAX_BITS) {
    throw unsupported(`RSA keys of ${bits} bits are not supported: puretls signs with RSA keys of ${RSA_SIGNING_MIN_BITS} to ${RSA_SIGNING_MAX_BITS} bits`);
  }
  if (algorithm === 'RSASSA-PSS' && pssParameters && !pssKeyUsable(pssParameters)) {
    throw unsupported(`this RSA-PSS key is restricted to ${describePss(pssParameters)}; TLS needs SHA-256, SHA-384 or SHA-512 with MGF1 of the same hash and a salt up to the hash length`);
  }
  const parts: RsaPrivateKeyParts = { n, e, d, p, q, dp, dq, qInv };
  const problem = checkRsaPrivateKey(parts, randomBytes);
  if (problem !== undefined) throw malformed(`the RSA private key is inconsistent: ${problem}`);
  const publicKey = rsaPublicKeyDer(n, e);
  if (claimedPublicKey && !bytesEqual(claimedPublicKey, publicKey)) throw malformed('the public key in the key file does not match its private key');
  return { type: 'RSA', bits, publicKey, algorithm, pssParameters, ...parts };
}

/** DER RSAPublicKey (RFC 8017 §A.1.1). */
export function rsaPublicKeyDer(n: bigint, e: bigint): Uint8Array {
  const integer = (x: bigint): Uint8Array => uintBytes(bigIntToBytes(x, Math.ceil(bitLength(x) / 8)));
  return sequence(integer(n), integer(e));
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1) with their DEFAULTs (SHA-1, MGF1 with SHA-1, salt 20,
 * trailer 1): the parameters of an id-RSASSA-PSS key or of a signature algorithm.
 */
export function decodeRsaPssParameters(element: Uint8Array): RsaPssParameters {
  const outer = new DerReader(element);
  const params = outer.sequence('RSASSA-PSS-params');
  outer.end('RSASSA-PSS-params');
  let hash: PssHashName = 'sha1';
  let mgf1Hash: PssHashName = 'sha1';
  let saltLength = 20;
  let trailerField = 1;
  const hashField = params.explicit(0);
  if (hashField) {
    hash = readHashAlgorithm(hashField.sequence('hashAlgorithm'));
    hashField.end('hashAlgorithm');
  }
  const mgfField = params.explicit(1);
  if (mgfField) {
    const mgf = mgfField.sequence('maskGenAlgorithm');
    mgfField.end('maskGenAlgorithm');
    const mgfOid = mgf.oid('maskGenAlgorithm');
    if (mgfOid !== OID_MGF1) throw malformed(`mask generation function ${mgfOid} (only MGF1 exists)`);
    mgf1Hash = readHashAlgorithm(mgf.sequence('MGF1 hash'));
    mgf.end('maskGenAlgorithm');
  }
  const saltField = params.explicit(2);
  if (saltField) {
    saltLength = saltField.uint('saltLength');
    saltField.end('saltLength');
  }
  const trailerFieldField = params.explicit(3);
  if (trailerFieldField) {
    trailerField = trailerFieldField.uint('trailerField');
    trailerFieldField.end('trailerField');
  }
  params.end('RSASSA-PSS-params');
  return { hash, mgf1Hash, saltLength, trailerField };
}

/** AlgorithmIdentifier of a digest: its OID, then NULL or nothing. */
function readHashAlgorithm(r: DerReader): PssHashName {
  const hashOid = r.oid('hash algorithm');
  if (!r.atEnd()) {
    if (r.peekTag() !== Tag.NULL) throw malformed('hash algorithm parameters must be NULL or absent');
    r.expect(Tag.NULL, 'hash algorithm parameters');
  }
  r.end('hash algorithm');
  return HASH_OIDS[hashOid] ?? `unknown ${hashOid}`;
}

export function isRsaHash(name: PssHashName): name is RsaHash {
  return name === 'sha256' || name === 'sha384' || name === 'sha512';
}

const HASH_LENGTH: Readonly<Record<RsaHash, number>> = { sha256: 32, sha384: 48, sha512: 64 };

/** A key's PSS restriction TLS can sign under: hash, the same MGF1 hash, a minimum salt not above the hash length. */
function pssKeyUsable(params: RsaPssParameters): boolean {
  return isRsaHash(params.hash) && params.mgf1Hash === params.hash && params.saltLength <= HASH_LENGTH[params.hash] && params.trailerField === 1;
}

function describePss(params: RsaPssParameters): string {
  return `${params.hash} with MGF1-${params.mgf1Hash}, salt ${params.saltLength}`;
}

/**
 * The TLS signature schemes this key can sign, in puretls's order of preference (PSS
 * before PKCS#1 v1.5, as RFC 8446 §4.2.3 prefers; then by hash). No SHA-1 (RFC 9155).
 */
export function rsaSignatureSchemes(key: RsaPrivateKey): RsaSignatureScheme[] {
  if (key.algorithm === 'rsaEncryption') {
    return ['rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pss_rsae_sha512', 'rsa_pkcs1_sha256', 'rsa_pkcs1_sha384', 'rsa_pkcs1_sha512'];
  }
  const all: [RsaHash, RsaSignatureScheme][] = [['sha256', 'rsa_pss_pss_sha256'], ['sha384', 'rsa_pss_pss_sha384'], ['sha512', 'rsa_pss_pss_sha512']];
  const restriction = key.pssParameters;
  return all.filter(([hash]) => restriction === undefined || restriction.hash === hash).map(([, scheme]) => scheme);
}

/** CurvePrivateKey ::= OCTET STRING inside the PKCS#8 privateKey (RFC 8410 §7); no parameters. */
function fromPkcs8Eddsa(info: Pkcs8, algorithm: EddsaAlgorithm): EddsaPrivateKey {
  if (info.parameters !== undefined) throw malformed(`${algorithm} keys have no algorithm parameters (RFC 8410 §3)`);
  const inner = new DerReader(info.privateKey);
  const secret = inner.octetString('CurvePrivateKey');
  inner.end('CurvePrivateKey');
  const length = EDDSA_KEY_LENGTH[algorithm];
  if (secret.length !== length) throw malformed(`an ${algorithm} private key is ${length} bytes, not ${secret.length}`);
  const publicKey = EDDSA_IMPL[algorithm].getPublicKey(secret);
  if (info.publicKey && !bytesEqual(info.publicKey, publicKey)) throw malformed('the public key in the key file does not match its private key');
  return { type: algorithm, secret: secret.slice(), publicKey };
}

/** PKCS#8 "PRIVATE KEY" PEM (with the public key inside, as OpenSSL writes it). */
export function privateKeyToPem(key: EcPrivateKey): string {
  const ecPrivateKey = sequence(uint(1), octetString(key.secret), explicit(1, bitString(key.publicKey)));
  const algorithm = sequence(oid(OID_EC_PUBLIC_KEY), oid(CURVE_OIDS[key.curve]));
  return encodePem('PRIVATE KEY', sequence(uint(0), algorithm, octetString(ecPrivateKey)));
}
