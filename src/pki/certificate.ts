import { DerReader, Tag, contextTag, type Tlv } from '../codec/der.js';
import { decodePemBlocks } from '../codec/pem.js';
import { TlsConfigError, TlsDecodeError } from '../errors.js';
import { OID_EC_PUBLIC_KEY, curveFromOid, samePoint, type EcCurveName, type EcPrivateKey } from './keys.js';

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
  const tbs = cert.sequence('TBSCertificate');
  cert.sequence('signatureAlgorithm');
  cert.bitString('signatureValue');
  cert.end('Certificate');

  let version = 0; // v1, the DEFAULT
  const versionField = tbs.explicit(0);
  if (versionField) {
    version = versionField.uint('version');
    versionField.end('version');
    if (version === 0) throw malformed('DER forbids encoding the default version');
    if (version > 2) throw malformed(`unknown certificate version ${version}`);
  }
  tbs.expect(Tag.INTEGER, 'serialNumber');
  tbs.sequence('signature');
  tbs.sequence('issuer');
  const validity = tbs.sequence('validity');
  const notBefore = validity.time('notBefore');
  const notAfter = validity.time('notAfter');
  validity.end('validity');
  const subjectCommonName = commonName(tbs.sequence('subject'));

  const spki = tbs.sequence('subjectPublicKeyInfo');
  const algorithm = spki.sequence('subjectPublicKeyInfo algorithm');
  let publicKeyCurve: EcCurveName | undefined;
  // Other algorithms' parameters are not ours to judge: we only need to recognise our curves.
  if (algorithm.oid('subjectPublicKeyInfo algorithm') === OID_EC_PUBLIC_KEY && algorithm.peekTag() === Tag.OID) {
    publicKeyCurve = curveFromOid(algorithm.oid('namedCurve'));
  }
  const publicKey = spki.bitString('subjectPublicKey');
  spki.end('subjectPublicKeyInfo');

  if (version >= 1) {
    tbs.optional(contextTag(1, false)); // issuerUniqueID
    tbs.optional(contextTag(2, false)); // subjectUniqueID
  }
  let altNames: string[] = [];
  const extensions = tbs.explicit(3);
  if (extensions) {
    if (version !== 2) throw malformed('extensions in a certificate that is not v3');
    altNames = subjectAltNames(extensions);
  }
  tbs.end('TBSCertificate');
  return { der, publicKeyCurve, publicKey, subjectCommonName, altNames, notBefore, notAfter };
}

export function keyMatchesCertificate(key: EcPrivateKey, cert: CertificateInfo): boolean {
  return cert.publicKeyCurve === key.curve && samePoint(key.curve, key.publicKey, cert.publicKey);
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

function subjectAltNames(wrapper: DerReader): string[] {
  const list = wrapper.sequence('Extensions');
  wrapper.end('extensions');
  const seen = new Set<string>();
  let altNames: string[] = [];
  do {
    const ext = list.sequence('Extension');
    const id = ext.oid('extnID');
    if (ext.peekTag() === Tag.BOOLEAN) ext.expect(Tag.BOOLEAN, 'critical');
    const value = ext.octetString('extnValue');
    ext.end('Extension');
    if (seen.has(id)) throw malformed(`extension ${id} appears twice`);
    seen.add(id);
    if (id === OID_SUBJECT_ALT_NAME) altNames = generalNames(value);
  } while (!list.atEnd());
  return altNames;
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
