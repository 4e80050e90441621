import { SignatureScheme } from '../codec/enums.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { AlertDescription, TlsError, fatal } from '../errors.js';
import { parseCertificate, type CertificateInfo } from '../pki/certificate.js';
import { signatureBudget, verifyClientChain, type ChainVerification, type TrustStore } from '../pki/verify.js';
import { ECDSA_SCHEME_HASH } from '../protocol/signature-schemes.js';
import { decodeCertificateVerify } from './messages/certificate.js';

/**
 * Client authentication (RFC 5246 §7.4.4, §7.4.6, §7.4.8) with ECDSA client certificates,
 * the only kind our crypto can check. The chain is verified as OpenSSL does for purpose
 * sslclient, and the result is kept in the session (its `verifyResult`).
 */

/** What we ask clients to sign with, in CertificateRequest. */
export const CLIENT_SIGNATURE_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ecdsa_secp521r1_sha512,
];

export interface ClientAuthPolicy {
  trust: TrustStore | undefined;
  /** Fail the handshake when the client sends no certificate or one that does not verify. */
  rejectUnauthorized: boolean;
  now: Date;
  crypto: CryptoProvider;
  /** Most certificates accepted in the Certificate message; more is refused before any is parsed. */
  maxCertificateChain: number;
}

/** The client's identity as far as the handshake established it. */
export interface PeerIdentity {
  chain: Uint8Array[];
  leaf: CertificateInfo | undefined;
  verification: ChainVerification | undefined;
}

/** OpenSSL's ssl_verify_alarm_type: the alert that goes with a chain verification error. */
export function alertForVerifyError(code: number): AlertDescription {
  switch (code) {
    case 9: // CERT_NOT_YET_VALID
    case 13: // ERROR_IN_CERT_NOT_BEFORE_FIELD
    case 14: // ERROR_IN_CERT_NOT_AFTER_FIELD
      return AlertDescription.bad_certificate;
    case 10: // CERT_HAS_EXPIRED
      return AlertDescription.certificate_expired;
    case 7: // CERT_SIGNATURE_FAILURE
      return AlertDescription.decrypt_error;
    case 2: // UNABLE_TO_GET_ISSUER_CERT
    case 22: // CERT_CHAIN_TOO_LONG
    case 25: // PATH_LENGTH_EXCEEDED
    case 18: // DEPTH_ZERO_SELF_SIGNED_CERT
    case 19: // SELF_SIGNED_CERT_IN_CHAIN
    case 20: // UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    case 21: // UNABLE_TO_VERIFY_LEAF_SIGNATURE
    case 79: // INVALID_CA (OpenSSL 3.0's number)
      return AlertDescription.unknown_ca;
    case 26: // INVALID_PURPOSE
      return AlertDescription.unsupported_certificate;
    default:
      return AlertDescription.bad_certificate;
  }
}

/** Handles the client's Certificate message: an empty chain, or one checked against the trust store. */
export function acceptClientCertificate(chain: Uint8Array[], policy: ClientAuthPolicy): PeerIdentity {
  if (chain.length === 0) {
    // RFC 5246 §7.4.6: the server may go on without client authentication, or refuse.
    if (policy.rejectUnauthorized) {
      throw fatal(AlertDescription.handshake_failure, 'the client sent no certificate', 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
    }
    return { chain, leaf: undefined, verification: undefined };
  }
  if (chain.length > policy.maxCertificateChain) {
    // Refused whatever rejectUnauthorized says: nothing in such a chain is looked at. The
    // alert is OpenSSL's for X509_V_ERR_CERT_CHAIN_TOO_LONG (ssl_x509err2alert).
    throw new TlsError(
      AlertDescription.unknown_ca,
      `the client sent ${chain.length} certificates; at most ${policy.maxCertificateChain} are accepted`,
      { code: 'CERT_CHAIN_TOO_LONG' },
    );
  }
  const verification = verifyClientChain(chain, policy.trust, {
    now: policy.now,
    crypto: policy.crypto,
    // One check stays for the CertificateVerify.
    maxSignatureChecks: signatureBudget(policy.maxCertificateChain) - 1,
  });
  if (verification.code !== 0 && policy.rejectUnauthorized) {
    throw new TlsError(
      alertForVerifyError(verification.code),
      `client certificate: ${verification.reason} at depth ${verification.depth} (${verification.message})`,
      { code: verification.reason },
    );
  }
  let leaf = verification.leaf;
  if (!leaf) {
    try {
      leaf = parseCertificate(chain[0]!);
    } catch {
      throw fatal(AlertDescription.bad_certificate, 'the client certificate does not parse');
    }
  }
  if (!leaf.publicKeyCurve) {
    // We asked for ecdsa_sign only (CertificateRequest); anything else cannot sign for us.
    throw fatal(AlertDescription.unsupported_certificate, 'the client certificate is not an ECDSA P-256/P-384 certificate');
  }
  return { chain, leaf, verification };
}

/**
 * CertificateVerify: the client's signature over every handshake message before it
 * (RFC 5246 §7.4.8), with a scheme we offered. A bad signature is decrypt_error.
 */
export function checkCertificateVerify(identity: PeerIdentity, body: Uint8Array, handshakeMessages: Uint8Array, crypto: CryptoProvider): void {
  const leaf = identity.leaf!;
  const { scheme, signature } = decodeCertificateVerify(body);
  // Only what CertificateRequest offered: never SHA-1 (RFC 9155), which OpenSSL also refuses with illegal_parameter.
  const hash = CLIENT_SIGNATURE_SCHEMES.includes(scheme) ? ECDSA_SCHEME_HASH.get(scheme) : undefined;
  if (!hash) throw fatal(AlertDescription.illegal_parameter, `CertificateVerify with a scheme we did not offer (0x${scheme.toString(16)})`);
  if (!crypto.ecdsaVerify(leaf.publicKeyCurve!, leaf.publicKey, hash, handshakeMessages, signature)) {
    throw fatal(AlertDescription.decrypt_error, 'the client CertificateVerify signature does not verify', 'ERR_BAD_SIGNATURE');
  }
}
