import { DerReader, Tag, contextTag, derUintValue, type Tlv } from '../codec/der.js';
import { decodePemBlocks } from '../codec/pem.js';
import { TlsConfigError, TlsDecodeError } from '../errors.js';
import { bytesEqual } from '../codec/bytes.js';
import {
  EDDSA_OIDS,
  OID_EC_PUBLIC_KEY,
  OID_RSASSA_PSS,
  OID_RSA_ENCRYPTION,
  curveFromOid,
  samePoint,
  type EcCurveName,
  type PrivateKey,
} from './keys.js';
import { decodeRsaPublicKey } from '../crypto/rsa.js';

export interface CertificateInfo {
  /** The whole certificate. */
  der: Uint8Array;
  /** undefined unless the key is EC on P-256 or P-384. */
  publicKeyCurve: EcCurveName | undefined;
  /** subjectPublicKey BIT STRING contents. */
  publicKey: Uint8Array;
  subjectCommonName: string | undefined;
  /** dNSName and iPAddress entries of subjectAltName; addresses in dotted (v4) or RFC 5952 (v6) text. */
  altNames: string[];
  notBefore: Date;
  notAfter: Date;
  /** X.509 version: 1, 2 or 3. */
  version: number;
  /** serialNumber INTEGER content octets, as encoded. */
  serialNumber: Uint8Array;
  /** The whole TBSCertificate element: the bytes the issuer signed. */
  tbs: Uint8Array;
  /** signatureAlgorithm OID (outside the TBS). */
  signatureAlgorithm: string;
  /** The whole signatureAlgorithm element outside the TBS, and the `signature` one inside it (they must be equal). */
  signatureAlgorithmDer: Uint8Array;
  tbsSignatureAlgorithmDer: Uint8Array;
  /** signatureValue BIT STRING contents (for ECDSA, a DER Ecdsa-Sig-Value). */
  signatureValue: Uint8Array;
  /** issuer and subject Name elements, raw DER. */
  issuer: Uint8Array;
  subject: Uint8Array;
  /** subjectPublicKeyInfo algorithm OID, and its parameters element (undefined when absent). */
  publicKeyAlgorithm: string;
  publicKeyParameters: Uint8Array | undefined;
  /** The extensions in certificate order (empty before v3). Decode them with decodeCertificateExtensions(). */
  extensions: readonly CertificateExtension[];
}

export interface CertificateExtension {
  oid: string;
  critical: boolean;
  /** extnValue OCTET STRING contents: the DER of the extension's own value. */
  value: Uint8Array;
}

const OID_COMMON_NAME = '2.5.4.3';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';

function malformed(message: string): TlsDecodeError {
  return new TlsDecodeError('ERR_CERT_DECODE', message);
}

/** Every "CERTIFICATE" block, as DER, in file order (leaf first, as TLS sends them). */
export function loadCertificateChain(pem: string | Uint8Array): Uint8Array[] {
  const chain = decodePemBlocks(pem)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => b.der);
  if (chain.length === 0) throw new TlsConfigError('ERR_NO_CERTIFICATE', 'no "-----BEGIN CERTIFICATE-----" block found');
  // Parse now so a broken file fails at load time rather than in the middle of a handshake.
  chain.forEach((der, i) => {
    try {
      parseCertificate(der);
    } catch (e) {
      if (e instanceof TlsDecodeError) throw new TlsDecodeError(e.code, `certificate ${i + 1} of ${chain.length}: ${e.message}`);
      throw e;
    }
  });
  return chain;
}

/** A strict walk of the X.509 structure (RFC 5280 §4.1), keeping what a TLS server needs. */
export function parseCertificate(der: Uint8Array): CertificateInfo {
  const outer = new DerReader(der);
  const cert = outer.sequence('Certificate');
  outer.end('Certificate');
  const tbsElement = cert.element(Tag.SEQUENCE, 'TBSCertificate');
  const tbs = new DerReader(tbsElement.value);
  const signatureAlgorithmDer = cert.element(Tag.SEQUENCE, 'signatureAlgorithm').raw;
  const signatureAlgorithm = new DerReader(signatureAlgorithmDer).sequence('signatureAlgorithm').oid('signatureAlgorithm');
  const signatureValue = cert.bitString('signatureValue');
  cert.end('Certificate');

  let version = 0; // v1, the DEFAULT
  const versionField = tbs.explicit(0);
  if (versionField) {
    version = versionField.uint('version');
    versionField.end('version');
    if (version === 0) throw malformed('DER forbids encoding the default version');
    if (version > 2) throw malformed(`unknown certificate version ${version}`);
  }
  const serialNumber = tbs.expect(Tag.INTEGER, 'serialNumber');
  const tbsSignatureAlgorithmDer = tbs.element(Tag.SEQUENCE, 'signature').raw;
  const issuer = tbs.element(Tag.SEQUENCE, 'issuer').raw;
  const validity = tbs.sequence('validity');
  const notBefore = validity.time('notBefore');
  const notAfter = validity.time('notAfter');
  validity.end('validity');
  const subjectElement = tbs.element(Tag.SEQUENCE, 'subject');
  const subjectCommonName = commonName(new DerReader(subjectElement.value));

  const spki = tbs.sequence('subjectPublicKeyInfo');
  const algorithm = spki.sequence('subjectPublicKeyInfo algorithm');
  const publicKeyAlgorithm = algorithm.oid('subjectPublicKeyInfo algorithm');
  const publicKeyParameters = algorithm.atEnd() ? undefined : algorithm.read().raw;
  algorithm.end('subjectPublicKeyInfo algorithm');
  let publicKeyCurve: EcCurveName | undefined;
  // Other algorithms' parameters are not ours to judge: we only need to recognise our curves.
  if (publicKeyAlgorithm === OID_EC_PUBLIC_KEY && publicKeyParameters?.[0] === Tag.OID) {
    publicKeyCurve = curveFromOid(new DerReader(publicKeyParameters).oid('namedCurve'));
  }
  const publicKey = spki.bitString('subjectPublicKey');
  spki.end('subjectPublicKeyInfo');

  if (version >= 1) {
    tbs.optional(contextTag(1, false)); // issuerUniqueID
    tbs.optional(contextTag(2, false)); // subjectUniqueID
  }
  let altNames: string[] = [];
  let extensions: CertificateExtension[] = [];
  const extensionsField = tbs.explicit(3);
  if (extensionsField) {
    if (version !== 2) throw malformed('extensions in a certificate that is not v3');
    extensions = readExtensions(extensionsField);
    const san = extensions.find((e) => e.oid === OID_SUBJECT_ALT_NAME);
    if (san) altNames = generalNames(san.value);
  }
  tbs.end('TBSCertificate');
  return {
    der, publicKeyCurve, publicKey, subjectCommonName, altNames, notBefore, notAfter,
    version: version + 1, serialNumber, tbs: tbsElement.raw, signatureAlgorithm, signatureAlgorithmDer, tbsSignatureAlgorithmDer,
    signatureValue, issuer, subject: subjectElement.raw, publicKeyAlgorithm, publicKeyParameters, extensions,
  };
}

/**
 * Whether the certificate is for this private key (OpenSSL's X509_check_private_key): the same
 * key type (an rsaEncryption key does not match an id-RSASSA-PSS certificate, nor the reverse)
 * and the same public key.
 */
export function keyMatchesCertificate(key: PrivateKey, cert: CertificateInfo): boolean {
  switch (key.type) {
    case 'EC':
      return cert.publicKeyCurve === key.curve && samePoint(key.curve, key.publicKey, cert.publicKey);
    case 'RSA': {
      if (cert.publicKeyAlgorithm !== (key.algorithm === 'rsaEncryption' ? OID_RSA_ENCRYPTION : OID_RSASSA_PSS)) return false;
      try {
        const { n, e } = decodeRsaPublicKey(cert.publicKey);
        return n === key.n && e === key.e;
      } catch {
        return false;
      }
    }
    case 'Ed25519':
    case 'Ed448':
      return cert.publicKeyAlgorithm === EDDSA_OIDS[key.type] && bytesEqual(cert.publicKey, key.publicKey);
  }
}

/** The last CN in the Name: in DN order, the most specific one. */
function commonName(name: DerReader): string | undefined {
  let cn: string | undefined;
  while (!name.atEnd()) {
    const rdn = new DerReader(name.expect(Tag.SET, 'RelativeDistinguishedName'));
    do {
      const atv = rdn.sequence('AttributeTypeAndValue');
      const type = atv.oid('attribute type');
      const value = atv.read();
      atv.end('AttributeTypeAndValue');
      if (type === OID_COMMON_NAME) cn = directoryString(value);
    } while (!rdn.atEnd());
  }
  return cn;
}

/** DirectoryString (RFC 5280 §4.1.2.4) and the IA5String some CAs use. */
function directoryString({ tag, value }: Tlv): string {
  switch (tag) {
    case Tag.UTF8String:
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(value);
      } catch {
        throw malformed('commonName is not valid UTF-8');
      }
    case Tag.PrintableString:
    case Tag.IA5String:
      return ascii(value, 'commonName');
    case 0x14: // TeletexString: in practice Latin-1
      return fromCodes(value);
    case 0x1e: // BMPString: UTF-16BE
    case 0x1c: {
      // UniversalString: UTF-32BE
      const unit = tag === 0x1e ? 2 : 4;
      if (value.length % unit) throw malformed('commonName has a partial character');
      const codes: number[] = [];
      for (let i = 0; i < value.length; i += unit) {
        let c = 0;
        for (let j = 0; j < unit; j++) c = c * 256 + value[i + j]!;
        codes.push(c);
      }
      try {
        return fromCodes(codes, unit === 4);
      } catch {
        throw malformed('commonName is not valid UniversalString');
      }
    }
    default:
      throw malformed(`commonName has string tag 0x${tag.toString(16)}`);
  }
}

function ascii(bytes: Uint8Array, what: string): string {
  if (bytes.some((b) => b > 0x7f)) throw malformed(`${what} is not ASCII`);
  return fromCodes(bytes);
}

// Not String.fromCharCode(...codes): spreading a large hostile array overflows the stack.
function fromCodes(codes: ArrayLike<number>, codePoints = false): string {
  return Array.from(codes, (c) => (codePoints ? String.fromCodePoint(c) : String.fromCharCode(c))).join('');
}

function readExtensions(wrapper: DerReader): CertificateExtension[] {
  const list = wrapper.sequence('Extensions');
  wrapper.end('extensions');
  const seen = new Set<string>();
  const out: CertificateExtension[] = [];
  do {
    const ext = list.sequence('Extension');
    const id = ext.oid('extnID');
    let critical = false;
    if (ext.peekTag() === Tag.BOOLEAN) {
      const flag = ext.expect(Tag.BOOLEAN, 'critical');
      if (flag.length !== 1) throw malformed('critical: a BOOLEAN is one byte');
      critical = flag[0] !== 0; // OpenSSL takes any non-zero byte as TRUE
    }
    const value = ext.octetString('extnValue');
    ext.end('Extension');
    if (seen.has(id)) throw malformed(`extension ${id} appears twice`);
    seen.add(id);
    out.push({ oid: id, critical, value });
  } while (!list.atEnd());
  return out;
}

function generalNames(der: Uint8Array): string[] {
  const outer = new DerReader(der);
  const names = outer.sequence('subjectAltName');
  outer.end('subjectAltName');
  const out: string[] = [];
  do {
    const { tag, value } = names.read();
    if (tag === contextTag(2, false)) out.push(ascii(value, 'dNSName'));
    else if (tag === contextTag(7, false)) out.push(formatIp(value));
  } while (!names.atEnd());
  return out;
}

/** IPv4 dotted quad, or IPv6 in RFC 5952 form (lower case, longest zero run as '::', ::ffff:a.b.c.d). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length !== 16) throw malformed(`an iPAddress of ${bytes.length} bytes`);
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.subarray(12).join('.')}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes[i]! * 256 + bytes[i + 1]!);
  let best = -1;
  let bestLen = 1; // a lone zero group stays '0'
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

// ---------------------------------------------------------------------------------------
// The extensions certificate path validation reads (RFC 5280 §4.2), decoded on demand so that
// parseCertificate() keeps accepting what it always accepted.

/** A GeneralName (RFC 5280 §4.2.1.6): `tag` is the CHOICE number, 0 (otherName) .. 8 (registeredID). */
export interface GeneralName {
  tag: number;
  /** The content octets; for directoryName (4) the whole inner Name element; for otherName (0) the value inside [0]. */
  value: Uint8Array;
  /** otherName only: its type-id OID. */
  typeId?: string;
}

export const GeneralNameTag = {
  otherName: 0,
  rfc822Name: 1,
  dNSName: 2,
  x400Address: 3,
  directoryName: 4,
  ediPartyName: 5,
  uniformResourceIdentifier: 6,
  iPAddress: 7,
  registeredID: 8,
} as const;

export interface GeneralSubtree {
  base: GeneralName;
  /** False when minimum is not 0 or maximum is present (RFC 5280 says they MUST NOT be used). */
  minMaxValid: boolean;
}

/** keyUsage bits laid out as OpenSSL's ex_kusage: first content byte | second byte << 8. */
export const KeyUsage = {
  digitalSignature: 0x80,
  nonRepudiation: 0x40,
  keyEncipherment: 0x20,
  dataEncipherment: 0x10,
  keyAgreement: 0x08,
  keyCertSign: 0x04,
  cRLSign: 0x02,
  encipherOnly: 0x01,
  decipherOnly: 0x8000,
} as const;

export const ExtensionOid = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  inhibitAnyPolicy: '2.5.29.54',
  nsCertType: '2.16.840.1.113730.1.1',
  ipAddrBlocks: '1.3.6.1.5.5.7.1.7',
  autonomousSysIds: '1.3.6.1.5.5.7.1.8',
  proxyCertInfo: '1.3.6.1.5.5.7.1.14',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
} as const;

export const ExtendedKeyUsageOid = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;

export interface CertificateExtensions {
  basicConstraints: { ca: boolean; pathLen: number | undefined } | undefined;
  /** See KeyUsage; undefined when the extension is absent. */
  keyUsage: number | undefined;
  /** extendedKeyUsage purpose OIDs; undefined when the extension is absent. */
  extKeyUsage: string[] | undefined;
  subjectKeyId: Uint8Array | undefined;
  authorityKeyId: { keyId: Uint8Array | undefined; issuer: GeneralName[] | undefined; serial: Uint8Array | undefined } | undefined;
  /** Netscape cert type, first byte (sslClient = 0x80, sslCA = 0x04); undefined when absent. */
  nsCertType: number | undefined;
  proxyCertInfo: boolean;
  subjectAltNames: GeneralName[] | undefined;
  nameConstraints: { permitted: GeneralSubtree[]; excluded: GeneralSubtree[] } | undefined;
}

/**
 * Decodes the extensions path validation uses. Throws TlsDecodeError when one of them is malformed
 * (where OpenSSL marks the certificate EXFLAG_INVALID), including an empty keyUsage and a negative pathLen.
 */
export function decodeCertificateExtensions(cert: CertificateInfo): CertificateExtensions {
  const out: CertificateExtensions = {
    basicConstraints: undefined, keyUsage: undefined, extKeyUsage: undefined, subjectKeyId: undefined,
    authorityKeyId: undefined, nsCertType: undefined, proxyCertInfo: false, subjectAltNames: undefined, nameConstraints: undefined,
  };
  for (const { oid, value } of cert.extensions) {
    const r = new DerReader(value);
    switch (oid) {
      case ExtensionOid.basicConstraints: {
        const bc = r.sequence('basicConstraints');
        let ca = false;
        if (bc.peekTag() === Tag.BOOLEAN) {
          const v = bc.expect(Tag.BOOLEAN, 'cA');
          if (v.length !== 1) throw malformed('basicConstraints cA: a BOOLEAN is one byte');
          ca = v[0] !== 0;
        }
        let pathLen: number | undefined;
        if (!bc.atEnd()) pathLen = bc.uint('pathLenConstraint');
        bc.end('basicConstraints');
        out.basicConstraints = { ca, pathLen };
        break;
      }
      case ExtensionOid.keyUsage: {
        const { bytes } = r.bitStringBits('keyUsage');
        const bits = (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8);
        if (bits === 0) throw malformed('keyUsage asserts no bit'); // RFC 5280 §4.2.1.3; OpenSSL: invalid
        out.keyUsage = bits;
        break;
      }
      case ExtensionOid.extKeyUsage: {
        const list = r.sequence('extKeyUsage');
        const oids: string[] = [];
        while (!list.atEnd()) oids.push(list.oid('KeyPurposeId'));
        out.extKeyUsage = oids;
        break;
      }
      case ExtensionOid.nsCertType:
        out.nsCertType = r.bitStringBits('nsCertType').bytes[0] ?? 0;
        break;
      case ExtensionOid.subjectKeyIdentifier:
        out.subjectKeyId = r.octetString('subjectKeyIdentifier');
        break;
      case ExtensionOid.authorityKeyIdentifier: {
        const aki = r.sequence('authorityKeyIdentifier');
        const keyId = aki.optional(contextTag(0, false));
        const issuerField = aki.optional(contextTag(1, true));
        const serial = aki.optional(contextTag(2, false));
        aki.end('authorityKeyIdentifier');
        out.authorityKeyId = { keyId, issuer: issuerField && readGeneralNames(new DerReader(issuerField), true), serial };
        break;
      }
      case ExtensionOid.proxyCertInfo:
        r.sequence('proxyCertInfo');
        out.proxyCertInfo = true;
        break;
      case ExtensionOid.subjectAltName: {
        const names = r.sequence('subjectAltName');
        out.subjectAltNames = readGeneralNames(names, false);
        break;
      }
      case ExtensionOid.nameConstraints: {
        const nc = r.sequence('nameConstraints');
        const permitted = nc.optional(contextTag(0, true));
        const excluded = nc.optional(contextTag(1, true));
        nc.end('nameConstraints');
        out.nameConstraints = {
          permitted: permitted ? readSubtrees(new DerReader(permitted)) : [],
          excluded: excluded ? readSubtrees(new DerReader(excluded)) : [],
        };
        break;
      }
      default:
        continue;
    }
    r.end(`extension ${oid}`);
  }
  return out;
}

function readGeneralNames(names: DerReader, allowEmpty: boolean): GeneralName[] {
  const out: GeneralName[] = [];
  if (!allowEmpty && names.atEnd()) throw malformed('an empty GeneralNames');
  while (!names.atEnd()) out.push(readGeneralName(names.read()));
  return out;
}

function readGeneralName({ tag, value }: Tlv): GeneralName {
  const n = tag & 0x1f;
  if ((tag & 0xc0) !== 0x80 || n > 8) throw malformed(`GeneralName: unexpected tag 0x${tag.toString(16)}`);
  const constructed = (tag & 0x20) !== 0;
  // otherName, x400Address, directoryName and ediPartyName are constructed; the strings and OIDs are not.
  if (constructed !== (n === 0 || n === 3 || n === 4 || n === 5)) throw malformed(`GeneralName [${n}]: wrong form`);
  if (n === GeneralNameTag.directoryName) {
    const r = new DerReader(value);
    const name = r.element(Tag.SEQUENCE, 'directoryName').raw;
    r.end('directoryName');
    return { tag: n, value: name };
  }
  if (n === GeneralNameTag.otherName) {
    const r = new DerReader(value);
    const typeId = r.oid('otherName type-id');
    const inner = r.expect(contextTag(0, true), 'otherName value');
    r.end('otherName');
    return { tag: n, value: inner, typeId };
  }
  return { tag: n, value };
}

/** The content of an IMPLICIT [n] GeneralSubtrees: the GeneralSubtree elements themselves. */
function readSubtrees(subtrees: DerReader): GeneralSubtree[] {
  const out: GeneralSubtree[] = [];
  while (!subtrees.atEnd()) {
    const st = subtrees.sequence('GeneralSubtree');
    const base = readGeneralName(st.read());
    let minMaxValid = true;
    const minimum = st.optional(contextTag(0, false));
    if (minimum !== undefined && derUintValue(minimum, 'minimum') !== 0) minMaxValid = false;
    if (st.optional(contextTag(1, false)) !== undefined) minMaxValid = false;
    st.end('GeneralSubtree');
    out.push({ base, minMaxValid });
  }
  return out;
}
