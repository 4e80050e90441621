/**
 * X.509 certificates built by hand (the project's DER writer and noble's ECDSA), for what the
 * openssl CLI cannot express (a loop, a look-alike issuer name, a forged chain) and for
 * chains of a hundred certificates made in milliseconds.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { Tag, bitString, boolean, explicit, octetString, oid, sequence, set, time, tlv, uint } from '../../src/codec/der.js';
import { CURVE_OIDS, OID_EC_PUBLIC_KEY, ecdsaFor, type EcCurveName, type EcPrivateKey } from '../../src/pki/keys.js';

export function newKey(curve: EcCurveName): EcPrivateKey {
  const ecdsa = ecdsaFor(curve);
  const secret = ecdsa.utils.randomSecretKey();
  return { type: 'EC', curve, secret, publicKey: ecdsa.getPublicKey(secret, false) };
}

export const CN = '2.5.4.3';
export const nameOf = (...rdns: [string, number, string][]): Uint8Array =>
  sequence(...rdns.map(([type, tag, value]) => set(sequence(oid(type), tlv(tag, new TextEncoder().encode(value))))));
/** A Name with one UTF8String common name. */
export const cnName = (cn: string): Uint8Array => nameOf([CN, Tag.UTF8String, cn]);
export const ext = (id: string, critical: boolean, value: Uint8Array): Uint8Array =>
  sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
/** basicConstraints cA (critical) and keyUsage keyCertSign, cRLSign (critical). */
export const caExts = (): Uint8Array[] => [ext('2.5.29.19', true, sequence(boolean(true))), ext('2.5.29.15', true, tlv(Tag.BIT_STRING, Uint8Array.of(1, 0x06)))];
/** extendedKeyUsage clientAuth. */
export const clientExts = (): Uint8Array[] => [ext('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.2')))];

/** What signs a certificate: a key and the name it issues under. */
export interface Signer {
  key: EcPrivateKey;
  subject: Uint8Array;
}

export interface CertificateSpec {
  subject: Uint8Array;
  /** Default: the signer's subject. */
  issuer?: Uint8Array;
  key?: EcPrivateKey;
  /** Default: self-signed. */
  signer?: Signer;
  exts?: Uint8Array[];
  notBefore?: Date;
  notAfter?: Date;
  outerSigAlg?: string;
  sha1?: boolean;
  /** A version 1 certificate: no version field, no extensions. */
  v1?: boolean;
  serial?: number;
}

export interface BuiltCertificate extends Signer {
  der: Uint8Array;
}

let nextSerial = 1_000_000;

/** A DER certificate; every one gets an RFC 7093 subjectKeyIdentifier, as OpenSSL needs one in a CA. */
export function buildCertificate(o: CertificateSpec): BuiltCertificate {
  const key = o.key ?? newKey('P-256');
  const signer = o.signer ?? { key, subject: o.subject };
  const sigOid = o.sha1 ? '1.2.840.10045.4.1' : signer.key.curve === 'P-256' ? '1.2.840.10045.4.3.2' : '1.2.840.10045.4.3.3';
  const exts = [...(o.exts ?? []), ext('2.5.29.14', false, octetString(sha256(key.publicKey).subarray(0, 20)))];
  const notBefore = o.notBefore ?? new Date(Date.now() - 3600_000);
  const notAfter = o.notAfter ?? new Date(Date.now() + 10 * 86400_000);
  const tbs = sequence(
    ...(o.v1 ? [] : [explicit(0, uint(2))]),
    uint(o.serial ?? nextSerial++),
    sequence(oid(sigOid)),
    o.issuer ?? signer.subject,
    sequence(time(notBefore), time(notAfter)),
    o.subject,
    sequence(sequence(oid(OID_EC_PUBLIC_KEY), oid(CURVE_OIDS[key.curve])), bitString(key.publicKey)),
    ...(o.v1 ? [] : [explicit(3, sequence(...exts))]),
  );
  const hash = o.sha1 ? sha1(tbs) : signer.key.curve === 'P-256' ? sha256(tbs) : sha384(tbs);
  const signature = ecdsaFor(signer.key.curve).sign(hash, signer.key.secret, { prehash: false, format: 'der' });
  const der = sequence(tbs, sequence(oid(o.outerSigAlg ?? sigOid)), bitString(signature));
  return { der, key, subject: o.subject };
}

export interface BuiltChain {
  /** What the client sends: leaf first, then the CAs up to (not including) the root. */
  chain: Uint8Array[];
  leaf: BuiltCertificate;
  root: BuiltCertificate;
}

/**
 * A root and `length` certificates under it (a leaf and `length - 1` intermediates), each CA
 * issuing the next. `forgedUnder` names the chain's root after another (trusted) root while
 * signing with a key of its own: every name matches a path to that root, no signature does.
 */
export function buildChain(length: number, o: { label: string; forgedUnder?: BuiltCertificate }): BuiltChain {
  const root = o.forgedUnder
    ? { der: o.forgedUnder.der, key: newKey('P-256'), subject: o.forgedUnder.subject }
    : buildCertificate({ subject: cnName(`${o.label} root`), exts: caExts() });
  let signer: Signer = root;
  const chain: Uint8Array[] = [];
  for (let i = length - 1; i >= 1; i--) {
    const ca = buildCertificate({ subject: cnName(`${o.label} CA ${i}`), signer, exts: caExts() });
    chain.unshift(ca.der);
    signer = ca;
  }
  const leaf = buildCertificate({ subject: cnName(`${o.label} leaf`), signer, exts: clientExts() });
  chain.unshift(leaf.der);
  return { chain, leaf, root };
}
