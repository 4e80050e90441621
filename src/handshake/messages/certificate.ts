import { HandshakeType } from '../../codec/enums.js';
import { Reader } from '../../codec/reader.js';
import { AlertDescription, TlsError } from '../../errors.js';
import { encodeHandshake } from './framing.js';

/** RFC 5246 §7.4.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>, leaf first. */
export function encodeCertificate(chain: readonly Uint8Array[]): Uint8Array {
  const size = chain.reduce((n, c) => n + c.length + 3, 8);
  return encodeHandshake(
    HandshakeType.certificate,
    (w) => {
      w.lengthPrefixed(3, (list) => {
        for (const cert of chain) list.vec24(cert);
      });
    },
    size,
  );
}

/** A client's Certificate message (client authentication); may be empty. */
export function decodeCertificate(body: Uint8Array): Uint8Array[] {
  const r = new Reader(body);
  const list = r.sub24();
  r.expectEmpty('Certificate');
  const chain: Uint8Array[] = [];
  while (list.remaining > 0) {
    const cert = list.vec24();
    if (cert.length === 0) throw new TlsError(AlertDescription.decode_error, 'empty certificate in chain');
    chain.push(cert);
  }
  return chain;
}

/**
 * RFC 5246 §7.4.4: certificate types (default RFC 8422's ecdsa_sign alone; rsa_sign is 1),
 * signature schemes, no CA names.
 */
export function encodeCertificateRequest(signatureSchemes: readonly number[], certificateTypes: readonly number[] = [64]): Uint8Array {
  return encodeHandshake(HandshakeType.certificate_request, (w) => {
    w.lengthPrefixed(1, (l) => {
      for (const t of certificateTypes) l.u8(t);
    });
    w.lengthPrefixed(2, (l) => {
      for (const s of signatureSchemes) l.u16(s);
    });
    w.u16(0); // certificate_authorities: any
  });
}

/** RFC 5246 §7.4.8: digitally-signed struct { SignatureAndHashAlgorithm; opaque<0..2^16-1> }. */
export function decodeCertificateVerify(body: Uint8Array): { scheme: number; signature: Uint8Array } {
  const r = new Reader(body);
  const scheme = r.u16();
  const signature = r.vec16();
  r.expectEmpty('CertificateVerify');
  return { scheme, signature };
}
