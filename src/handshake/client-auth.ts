import { SignatureScheme } from '../codec/enums.js';
import { RSA_SCHEME_PADDING, type CryptoProvider, type EddsaAlgorithm } from '../crypto/provider.js';
import { AlertDescription, TlsError, fatal } from '../errors.js';
import { parseCertificate, type CertificateInfo } from '../pki/certificate.js';
import { EDDSA_OIDS, OID_RSASSA_PSS, OID_RSA_ENCRYPTION, decodeRsaPssParameters } from '../pki/keys.js';
import { signatureBudget, verifyClientChain, type ChainVerification, type TrustStore } from '../pki/verify.js';
import { ECDSA_SCHEME_HASH, EDDSA_SCHEME, RSA_SCHEME_BY_CODE, signatureSchemeName } from '../protocol/signature-schemes.js';
import { ECDSA_SIGN, RSA_SIGN, decodeCertificateVerify } from './messages/certificate.js';

/**
 * Client authentication (RFC 5246 §7.4.4, §7.4.6, §7.4.8) with ECDSA (P-256, P-384), RSA
 * (rsaEncryption and id-RSASSA-PSS) and EdDSA (Ed25519, Ed448) client certificates. The chain
 * is verified as OpenSSL does for purpose sslclient, and the result is kept in the session
 * (its `verifyResult`).
 */

/**
 * What we ask clients to sign with, in CertificateRequest: OpenSSL's default list in its
 * order, without SHA-1 (RFC 9155) and SHA-224.
 */
export const CLIENT_SIGNATURE_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ecdsa_secp521r1_sha512,
  SignatureScheme.ed25519,
  SignatureScheme.ed448,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

/**
 * CertificateRequest's certificate_types (RFC 5246 §7.4.4): rsa_sign, and ecdsa_sign (RFC
 * 8422 §5.5), which also covers Ed25519 and Ed448 certificates (RFC 8422 §5.5 and §3).
 */
export const CLIENT_CERTIFICATE_TYPES: readonly number[] = [RSA_SIGN, ECDSA_SIGN];

/** The kinds of client key whose CertificateVerify we can check. */
type ClientKeyKind = 'EC' | 'RSA' | 'RSA-PSS' | EddsaAlgorithm;

/** The leaf's key as far as CertificateVerify goes, or undefined for one we cannot check. */
function clientKeyKind(leaf: CertificateInfo): ClientKeyKind | undefined {
  if (leaf.publicKeyCurve) return 'EC';
  switch (leaf.publicKeyAlgorithm) {
    case OID_RSA_ENCRYPTION:
      return 'RSA';
    case OID_RSASSA_PSS:
      return 'RSA-PSS';
    case EDDSA_OIDS.Ed25519:
      return 'Ed25519';
    case EDDSA_OIDS.Ed448:
      return 'Ed448';
    default:
      return undefined;
  }
}

/** The schemes a key of this kind signs with (RFC 8446 §4.2.3: rsae for rsaEncryption keys, pss for id-RSASSA-PSS ones). */
function schemeFitsKey(scheme: number, kind: ClientKeyKind): boolean {
  switch (kind) {
    case 'EC':
      return ECDSA_SCHEME_HASH.has(scheme);
    case 'RSA':
      return RSA_SCHEME_BY_CODE.get(scheme)?.startsWith('rsa_pss_pss') === false;
    case 'RSA-PSS':
      return RSA_SCHEME_BY_CODE.get(scheme)?.startsWith('rsa_pss_pss') === true;
    case 'Ed25519':
    case 'Ed448':
      return scheme === EDDSA_SCHEME[kind];
  }
}

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
  if (!clientKeyKind(leaf)) {
    // A key whose CertificateVerify we cannot check (P-521, DSA, ...) cannot prove anything.
    throw fatal(
      AlertDescription.unsupported_certificate,
      'the client certificate key is not one puretls checks signatures of (ECDSA P-256/P-384, RSA, RSA-PSS, Ed25519, Ed448)',
    );
  }
  return { chain, leaf, verification };
}

/**
 * CertificateVerify: the client's signature over every handshake message before it
 * (RFC 5246 §7.4.8), with a scheme we offered and that fits the leaf's key (else
 * illegal_parameter, as OpenSSL's tls12_check_peer_sigalg). A bad signature is decrypt_error.
 */
export function checkCertificateVerify(identity: PeerIdentity, body: Uint8Array, handshakeMessages: Uint8Array, crypto: CryptoProvider): void {
  const leaf = identity.leaf!;
  const kind = clientKeyKind(leaf)!;
  const { scheme, signature } = decodeCertificateVerify(body);
  // Only what CertificateRequest offered: never SHA-1 (RFC 9155), which OpenSSL also refuses with illegal_parameter.
  if (!CLIENT_SIGNATURE_SCHEMES.includes(scheme)) {
    throw fatal(AlertDescription.illegal_parameter, `CertificateVerify with a scheme we did not offer (0x${scheme.toString(16)})`);
  }
  if (!schemeFitsKey(scheme, kind) || !pssRestrictionAllows(leaf, scheme)) {
    throw fatal(
      AlertDescription.illegal_parameter,
      `CertificateVerify with ${signatureSchemeName(scheme)}, which a ${kind} client key does not sign with`,
      'ERR_WRONG_SIGNATURE_TYPE',
    );
  }
  if (!verifySignature(crypto, leaf, kind, scheme, handshakeMessages, signature)) {
    throw fatal(AlertDescription.decrypt_error, 'the client CertificateVerify signature does not verify', 'ERR_BAD_SIGNATURE');
  }
}

function verifySignature(
  crypto: CryptoProvider,
  leaf: CertificateInfo,
  kind: ClientKeyKind,
  scheme: number,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  switch (kind) {
    case 'EC':
      return crypto.ecdsaVerify(leaf.publicKeyCurve!, leaf.publicKey, ECDSA_SCHEME_HASH.get(scheme)!, message, signature);
    case 'RSA':
    case 'RSA-PSS':
      // The provider refuses moduli outside 512..8192 bits and huge exponents (false, never a throw).
      return crypto.rsaVerify(leaf.publicKey, RSA_SCHEME_BY_CODE.get(scheme)!, message, signature);
    case 'Ed25519':
    case 'Ed448':
      return crypto.eddsaVerify(kind, leaf.publicKey, message, signature);
  }
}

/**
 * An id-RSASSA-PSS key with parameters signs only with their hash (and MGF1 hash) and at
 * least their salt length (RFC 4055 §3.1); TLS's PSS salt is the hash length.
 */
function pssRestrictionAllows(leaf: CertificateInfo, scheme: number): boolean {
  if (leaf.publicKeyAlgorithm !== OID_RSASSA_PSS || leaf.publicKeyParameters === undefined) return true;
  const padding = RSA_SCHEME_PADDING[RSA_SCHEME_BY_CODE.get(scheme)!];
  if (padding.kind !== 'pss') return false;
  try {
    const restriction = decodeRsaPssParameters(leaf.publicKeyParameters);
    return restriction.hash === padding.hash && restriction.mgf1Hash === padding.mgf1Hash && padding.saltLength >= restriction.saltLength;
  } catch {
    return false;
  }
}
