import { p256, p384 } from '@noble/curves/nist.js';
import type { ECDSA } from '@noble/curves/abstract/weierstrass.js';
import { DerReader, Tag, bitString, contextTag, explicit, octetString, oid, sequence, uint } from '../codec/der.js';
import { decodePemBlocks, encodePem } from '../codec/pem.js';
import { TlsConfigError, TlsDecodeError } from '../errors.js';

export type EcCurveName = 'P-256' | 'P-384';

export interface EcPrivateKey {
  curve: EcCurveName;
  /** Big-endian scalar, 32 bytes (P-256) or 48 bytes (P-384). */
  secret: Uint8Array;
  /** Uncompressed point 0x04||X||Y. */
  publicKey: Uint8Array;
}

export const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
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
const SERVED = 'puretls serves ECDSA certificates (P-256, P-384)';

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
 * Loads one ECDSA private key (P-256 or P-384) from PEM: PKCS#8 "PRIVATE KEY" or SEC1
 * "EC PRIVATE KEY". Other blocks in the text (an "EC PARAMETERS" block, certificates) are ignored.
 */
export function loadPrivateKey(pem: string | Uint8Array): EcPrivateKey {
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
  const { label, der } = keys[0]!;
  switch (label) {
    case 'PRIVATE KEY':
      return fromPkcs8(der);
    case 'EC PRIVATE KEY':
      return fromSec1(der, undefined, []);
    case 'RSA PRIVATE KEY':
      throw unsupported(`RSA keys are not supported: ${SERVED}`);
    case 'DSA PRIVATE KEY':
      throw unsupported(`DSA keys are not supported: ${SERVED}`);
    default:
      throw unsupported(`"${label}" PEM blocks are not supported: ${SERVED}; use a PKCS#8 "PRIVATE KEY"`);
  }
}

/** PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5208, RFC 5958) around an RFC 5915 ECPrivateKey. */
function fromPkcs8(der: Uint8Array): EcPrivateKey {
  const outer = new DerReader(der);
  const info = outer.sequence('PrivateKeyInfo');
  outer.end('PrivateKeyInfo');
  const version = info.uint('PrivateKeyInfo version');
  if (version > 1) throw malformed(`unknown PKCS#8 version ${version}`);
  const alg = info.sequence('privateKeyAlgorithm');
  const algOid = alg.oid('privateKeyAlgorithm');
  if (algOid !== OID_EC_PUBLIC_KEY) {
    const name = OTHER_ALGORITHMS[algOid];
    throw unsupported(`${name ? `${name} keys` : `keys of algorithm ${algOid}`} are not supported: ${SERVED}`);
  }
  const curve = readEcParameters(alg);
  alg.end('privateKeyAlgorithm');
  const inner = info.octetString('privateKey');
  info.optional(contextTag(0, true)); // attributes: nothing we use
  const claimed: Uint8Array[] = [];
  const v2PublicKey = version === 1 ? info.optional(contextTag(1, false)) : undefined;
  if (v2PublicKey) {
    if (v2PublicKey[0] !== 0) throw malformed('publicKey: unused bits are not supported');
    claimed.push(v2PublicKey.subarray(1));
  }
  info.end('PrivateKeyInfo');
  return fromSec1(inner, curve, claimed);
}

/** RFC 5915 ECPrivateKey; `outerCurve` is the curve named by an enclosing PKCS#8 wrapper. */
function fromSec1(der: Uint8Array, outerCurve: EcCurveName | undefined, claimed: Uint8Array[]): EcPrivateKey {
  const outer = new DerReader(der);
  const k = outer.sequence('ECPrivateKey');
  outer.end('ECPrivateKey');
  if (k.uint('ECPrivateKey version') !== 1) throw malformed('unknown ECPrivateKey version');
  const scalar = k.octetString('ECPrivateKey privateKey');
  let curve = outerCurve;
  const params = k.explicit(0);
  if (params) {
    const named = readEcParameters(params);
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
function readEcParameters(r: DerReader): EcCurveName {
  const tag = r.peekTag();
  if (tag === Tag.SEQUENCE) {
    throw unsupported(`EC keys with explicit curve parameters are not supported: ${SERVED} by named curve`);
  }
  if (tag !== Tag.OID) throw malformed('EC key parameters are neither a named curve nor explicit parameters');
  const curveOid = r.oid('namedCurve');
  const curve = curveFromOid(curveOid);
  if (curve === undefined) {
    throw unsupported(`EC keys on ${OTHER_CURVES[curveOid] ?? `curve ${curveOid}`} are not supported: ${SERVED}`);
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
  return { curve, secret, publicKey };
}

/** PKCS#8 "PRIVATE KEY" PEM (with the public key inside, as OpenSSL writes it). */
export function privateKeyToPem(key: EcPrivateKey): string {
  const ecPrivateKey = sequence(uint(1), octetString(key.secret), explicit(1, bitString(key.publicKey)));
  const algorithm = sequence(oid(OID_EC_PUBLIC_KEY), oid(CURVE_OIDS[key.curve]));
  return encodePem('PRIVATE KEY', sequence(uint(0), algorithm, octetString(ecPrivateKey)));
}
