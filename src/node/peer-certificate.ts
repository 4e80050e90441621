import { sha256 } from '@noble/hashes/sha2.js';
import { parseCertificate } from '../pki/certificate.js';

/** The part of node:tls's getPeerCertificate() result that puretls can give. */
export interface PeerCertificate {
  subject: { CN?: string };
  subjectaltname?: string;
  valid_from: string;
  valid_to: string;
  fingerprint256: string;
  raw: Buffer;
}

/** OpenSSL's ASN1_TIME_print form, which node:tls reports: "Nov 29 16:11:16 2026 GMT". */
function opensslDate(d: Date): string {
  const month = d.toUTCString().slice(8, 11);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const time = d.toISOString().slice(11, 19);
  return `${month} ${day} ${time} ${d.getUTCFullYear()} GMT`;
}

export function describePeerCertificate(der: Uint8Array): PeerCertificate {
  const raw = Buffer.from(der);
  const fingerprint256 = Buffer.from(sha256(der)).toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:');
  try {
    const info = parseCertificate(der);
    const subject: { CN?: string } = {};
    if (info.subjectCommonName !== undefined) subject.CN = info.subjectCommonName;
    const out: PeerCertificate = {
      subject,
      valid_from: opensslDate(info.notBefore),
      valid_to: opensslDate(info.notAfter),
      fingerprint256,
      raw,
    };
    if (info.altNames.length > 0) {
      out.subjectaltname = info.altNames.map((n) => (/^[\d.]+$|:/.test(n) ? `IP Address:${n}` : `DNS:${n}`)).join(', ');
    }
    return out;
  } catch {
    return { subject: {}, valid_from: '', valid_to: '', fingerprint256, raw };
  }
}
