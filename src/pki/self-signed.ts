import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import {
  Tag,
  bitString,
  boolean,
  explicit,
  octetString,
  oid,
  sequence,
  set,
  time,
  tlv,
  uint,
  uintBytes,
  utf8String,
  contextTag,
} from '../codec/der.js';
import { encodePem } from '../codec/pem.js';
import { TlsConfigError } from '../errors.js';
import { CURVE_OIDS, OID_EC_PUBLIC_KEY, ecdsaFor, privateKeyToPem, type EcCurveName, type EcPrivateKey } from './keys.js';

/** Options of createSelfSignedCertificate. */
export interface SelfSignedOptions {
  /** Default 'localhost'. */
  commonName?: string;
  /** DNS names and IP addresses. Default ['localhost', '127.0.0.1', '::1'], or [commonName] when a commonName is given. */
  altNames?: string[];
  /** Validity in days from `now`. Default 365. */
  days?: number;
  /** Default 'P-256'. */
  curve?: EcCurveName;
  /** notBefore. Default: the current time. */
  now?: Date;
}

const SIGNATURE_OID: Readonly<Record<EcCurveName, string>> = {
  'P-256': '1.2.840.10045.4.3.2', // ecdsa-with-SHA256
  'P-384': '1.2.840.10045.4.3.3', // ecdsa-with-SHA384
};
const OID = {
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

function badOption(message: string): TlsConfigError {
  return new TlsConfigError('ERR_INVALID_OPTION', message);
}

/**
 * A fresh key and a self-signed X.509 v3 certificate for it, for development and tests.
 *
 * The certificate is an end entity (basicConstraints cA FALSE, keyUsage digitalSignature only,
 * extendedKeyUsage serverAuth+clientAuth) that clients trust by pinning it as its own trust
 * anchor: OpenSSL 3 (`openssl verify -CAfile cert.pem cert.pem`, Node's `ca: certPem`) and Go
 * accept that. We do not mark it cA TRUE (as `openssl req -x509` does by default) because
 * rustls/webpki and Firefox refuse a CA certificate presented as the server's own certificate.
 */
export function createSelfSignedCertificate(opts: SelfSignedOptions = {}): {
  key: EcPrivateKey;
  keyPem: string;
  certPem: string;
  certDer: Uint8Array;
} {
  const curve = opts.curve ?? 'P-256';
  if (curve !== 'P-256' && curve !== 'P-384') throw badOption(`curve must be 'P-256' or 'P-384', not ${String(curve)}`);
  const commonName = opts.commonName ?? 'localhost';
  if (commonName.length === 0 || commonName.length > 64) throw badOption('commonName must be 1 to 64 characters');
  const altNames = opts.altNames ?? (opts.commonName === undefined ? ['localhost', '127.0.0.1', '::1'] : [commonName]);
  const days = opts.days ?? 365;
  if (!(days > 0 && days <= 36500)) throw badOption(`days must be a positive number of days (at most 36500), not ${days}`);
  // X.509 times are whole seconds.
  const notBefore = new Date(Math.floor((opts.now ?? new Date()).getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + Math.round(days * 86400) * 1000);
  // X.509 Time spans the years 1950..9999 (NaN fails both tests).
  if (!(notBefore.getUTCFullYear() >= 1950 && notAfter.getUTCFullYear() <= 9999)) {
    throw badOption('now must be a valid Date in the years 1950..9999');
  }

  const ecdsa = ecdsaFor(curve);
  const secret = ecdsa.utils.randomSecretKey();
  const key: EcPrivateKey = { type: 'EC', curve, secret, publicKey: ecdsa.getPublicKey(secret, false) };

  // RFC 7093 §2 method 1: the leftmost 160 bits of SHA-256 of the subjectPublicKey.
  const keyId = sha256(key.publicKey).subarray(0, 20);
  const extensions = [
    extension(OID.basicConstraints, true, sequence()), // cA FALSE is the DEFAULT, so DER leaves it out
    // digitalSignature is bit 0: 0b1000_0000 with 7 unused trailing bits (DER drops trailing zero bits).
    extension(OID.keyUsage, true, tlv(Tag.BIT_STRING, Uint8Array.of(7, 0x80))),
    extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth), oid(OID.clientAuth))),
    extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
    extension(OID.authorityKeyIdentifier, false, sequence(tlv(contextTag(0, false), keyId))),
  ];
  if (altNames.length > 0) {
    extensions.push(extension(OID.subjectAltName, false, sequence(...altNames.map(generalName))));
  }

  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive, and exactly 16 bytes once encoded
  const name = sequence(set(sequence(oid(OID.commonName), utf8String(commonName))));
  const signatureAlgorithm = sequence(oid(SIGNATURE_OID[curve]));
  const tbs = sequence(
    explicit(0, uint(2)), // v3
    uintBytes(serial),
    signatureAlgorithm,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    sequence(sequence(oid(OID_EC_PUBLIC_KEY), oid(CURVE_OIDS[curve])), bitString(key.publicKey)),
    explicit(3, sequence(...extensions)),
  );
  // prehash hashes with the curve's own hash: SHA-256 for P-256, SHA-384 for P-384.
  const signature = ecdsa.sign(tbs, secret, { prehash: true, format: 'der' });
  const certDer = sequence(tbs, signatureAlgorithm, bitString(signature));
  return { key, keyPem: privateKeyToPem(key), certPem: encodePem('CERTIFICATE', certDer), certDer };
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  // DER omits a FALSE critical flag (it is the DEFAULT).
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/** iPAddress [7] for an IPv4/IPv6 literal, dNSName [2] otherwise. */
function generalName(name: string): Uint8Array {
  const ip = parseIp(name);
  if (ip) return tlv(contextTag(7, false), ip);
  if (name.length > 253 || !DNS_NAME.test(name)) throw badOption(`altNames: ${JSON.stringify(name)} is neither an IP address nor an ASCII DNS name`);
  return tlv(contextTag(2, false), new TextEncoder().encode(name));
}

// Labels of letters, digits, '-' and '_', with an optional leading wildcard label.
const DNS_NAME = /^(\*\.)?[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function parseIpv4(s: string): number[] | undefined {
  return IPV4.test(s) ? s.split('.').map(Number) : undefined;
}

/** The 4 or 16 address bytes, or undefined if `s` is not an IP literal. */
function parseIp(s: string): Uint8Array | undefined {
  const v4 = parseIpv4(s);
  if (v4) return Uint8Array.from(v4);
  if (!s.includes(':')) return undefined;
  const invalid = (): never => {
    throw badOption(`altNames: ${JSON.stringify(s)} is not a valid IPv6 address`);
  };
  const halves = s.split('::');
  if (halves.length > 2) invalid();
  const groups = (part: string, last: boolean): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    const fields = part.split(':');
    fields.forEach((f, i) => {
      const tail = last && i === fields.length - 1 ? parseIpv4(f) : undefined; // e.g. ::ffff:192.0.2.1
      if (tail) out.push(tail[0]! * 256 + tail[1]!, tail[2]! * 256 + tail[3]!);
      else if (/^[0-9A-Fa-f]{1,4}$/.test(f)) out.push(parseInt(f, 16));
      else invalid();
    });
    return out;
  };
  const head = groups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1]!, true) : [];
  if (halves.length === 2 && head.length + tail.length > 7) invalid();
  if (halves.length === 1 && head.length !== 8) invalid();
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  return Uint8Array.from(all.flatMap((g) => [g >> 8, g & 0xff]));
}
