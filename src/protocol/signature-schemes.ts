import { SignatureScheme } from '../codec/enums.js';
import type { EcdsaCurve, EddsaAlgorithm, RsaSignatureScheme, SignatureHash } from '../crypto/provider.js';

/**
 * The ECDSA signature schemes (RFC 8446 §4.2.3 code points, used by TLS 1.2 too) we sign or
 * verify with, by the hash each names. In TLS 1.2 the scheme names the hash only; the curve
 * binds in TLS 1.3. Never SHA-1 (RFC 9155).
 */
export const ECDSA_SCHEME_HASH: ReadonlyMap<number, SignatureHash> = new Map([
  [SignatureScheme.ecdsa_secp256r1_sha256, 'sha256'],
  [SignatureScheme.ecdsa_secp384r1_sha384, 'sha384'],
  [SignatureScheme.ecdsa_secp521r1_sha512, 'sha512'],
  [SignatureScheme.ecdsa_sha224, 'sha224'],
]);

/**
 * What an ECDSA key signs the ServerKeyExchange with, best first: the curve's own hash, then
 * the stronger ones, SHA-224 (112-bit, still allowed at OpenSSL's default security level) last.
 */
export const ECDSA_SCHEME_PREFERENCE: Readonly<Record<EcdsaCurve, readonly number[]>> = {
  'P-256': [
    SignatureScheme.ecdsa_secp256r1_sha256,
    SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.ecdsa_secp521r1_sha512,
    SignatureScheme.ecdsa_sha224,
  ],
  'P-384': [
    SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.ecdsa_secp521r1_sha512,
    SignatureScheme.ecdsa_secp256r1_sha256,
    SignatureScheme.ecdsa_sha224,
  ],
};

/** The RSA schemes by code point (RFC 8446 §4.2.3; TLS 1.2 uses them through signature_algorithms). No SHA-1 (RFC 9155). */
export const RSA_SCHEME_BY_CODE: ReadonlyMap<number, RsaSignatureScheme> = new Map([
  [SignatureScheme.rsa_pss_rsae_sha256, 'rsa_pss_rsae_sha256'],
  [SignatureScheme.rsa_pss_rsae_sha384, 'rsa_pss_rsae_sha384'],
  [SignatureScheme.rsa_pss_rsae_sha512, 'rsa_pss_rsae_sha512'],
  [SignatureScheme.rsa_pss_pss_sha256, 'rsa_pss_pss_sha256'],
  [SignatureScheme.rsa_pss_pss_sha384, 'rsa_pss_pss_sha384'],
  [SignatureScheme.rsa_pss_pss_sha512, 'rsa_pss_pss_sha512'],
  [SignatureScheme.rsa_pkcs1_sha256, 'rsa_pkcs1_sha256'],
  [SignatureScheme.rsa_pkcs1_sha384, 'rsa_pkcs1_sha384'],
  [SignatureScheme.rsa_pkcs1_sha512, 'rsa_pkcs1_sha512'],
] as [number, RsaSignatureScheme][]);

export const RSA_SCHEME_CODE: Readonly<Record<RsaSignatureScheme, number>> = Object.fromEntries(
  [...RSA_SCHEME_BY_CODE].map(([code, name]) => [name, code]),
) as Record<RsaSignatureScheme, number>;

/** PureEdDSA's one scheme per curve (RFC 8422 §5.1.3). */
export const EDDSA_SCHEME: Readonly<Record<EddsaAlgorithm, number>> = {
  Ed25519: SignatureScheme.ed25519,
  Ed448: SignatureScheme.ed448,
};

/** A scheme as OpenSSL prints it (`-sigalgs` names), for messages. */
export function signatureSchemeName(code: number): string {
  const rsa = RSA_SCHEME_BY_CODE.get(code);
  if (rsa) return rsa;
  return SignatureScheme[code] ?? `0x${code.toString(16).padStart(4, '0')}`;
}
