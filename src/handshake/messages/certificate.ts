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

/** A Certificate message's chain, leaf first (the client's may be empty; a server's never is, which its peer checks). */
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

/** RFC 5246 §7.4.4: what the server asks a client certificate to be, and who may have issued it. */
export interface CertificateRequest {
  /** ClientCertificateType values (RFC 8422's ecdsa_sign is 64). */
  certificateTypes: number[];
  signatureSchemes: number[];
  /** DER distinguished names of acceptable CAs; empty means any. */
  authorities: Uint8Array[];
}

/** RFC 8422 §5.5 ClientCertificateType ecdsa_sign. */
export const ECDSA_SIGN = 64;
/** RFC 5246 §7.4.4 ClientCertificateType rsa_sign. */
export const RSA_SIGN = 1;

/** RFC 5246 §7.4.4 with RFC 8422's ecdsa_sign: types, signature schemes, and (by default) no CA names. */
export function encodeCertificateRequest(
  signatureSchemes: readonly number[],
  certificateTypes: readonly number[] = [ECDSA_SIGN],
  authorities: readonly Uint8Array[] = [],
): Uint8Array {
  return encodeHandshake(HandshakeType.certificate_request, (w) => {
    w.vec8(Uint8Array.from(certificateTypes));
    w.lengthPrefixed(2, (l) => {
      for (const s of signatureSchemes) l.u16(s);
    });
    w.lengthPrefixed(2, (l) => {
      for (const name of authorities) l.vec16(name);
    });
  });
}

/**
 * The client's side of §7.4.4: certificate_types<1..2^8-1>,
 * supported_signature_algorithms<2..2^16-2>, certificate_authorities<0..2^16-1> of
 * DistinguishedName<1..2^16-1>.
 */
export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = new Reader(body);
  const types = r.vec8();
  if (types.length === 0) throw new TlsError(AlertDescription.decode_error, 'CertificateRequest: no certificate types');
  const schemes = r.sub16();
  if (schemes.remaining === 0 || schemes.remaining % 2 !== 0) {
    throw new TlsError(AlertDescription.decode_error, 'CertificateRequest: bad signature_algorithms length');
  }
  const signatureSchemes: number[] = [];
  while (schemes.remaining > 0) signatureSchemes.push(schemes.u16());
  const names = r.sub16();
  const authorities: Uint8Array[] = [];
  while (names.remaining > 0) {
    const name = names.vec16();
    if (name.length === 0) throw new TlsError(AlertDescription.decode_error, 'CertificateRequest: empty distinguished name');
    authorities.push(name);
  }
  r.expectEmpty('CertificateRequest');
  return { certificateTypes: [...types], signatureSchemes, authorities };
}

/** RFC 5246 §7.4.8: the client's signature over the handshake so far. */
export interface CertificateVerify {
  scheme: number;
  signature: Uint8Array;
}

export function encodeCertificateVerify(verify: CertificateVerify): Uint8Array {
  return encodeHandshake(
    HandshakeType.certificate_verify,
    (w) => {
      w.u16(verify.scheme).vec16(verify.signature);
    },
    verify.signature.length + 8,
  );
}

/** RFC 5246 §7.4.8: digitally-signed struct { SignatureAndHashAlgorithm; opaque<0..2^16-1> }. */
export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  const r = new Reader(body);
  const scheme = r.u16();
  const signature = r.vec16();
  r.expectEmpty('CertificateVerify');
  return { scheme, signature };
}
