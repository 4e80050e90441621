/**
 * Verifying a TLS client's certificate chain against the CAs an application trusts, the way
 * OpenSSL 3.0's X509_verify_cert() does for node:tls (`requestCert`, `ca`), and reporting the
 * result with OpenSSL's X509_V_* codes.
 *
 * This is a port of the decisions OpenSSL makes (crypto/x509/x509_vfy.c, v3_purp.c, v3_ncons.c)
 * for purpose "sslclient" (what a TLS server checks a client certificate for), with the default
 * flags (trusted-first path building, no CRLs, no policy checks) at a given time:
 *
 *  1. the leaf's key must meet the security level (`securityLevel`, default 1 as in TLS);
 *  2. build_chain: from the leaf, look for the issuer of the top certificate in the trust store
 *     first, then among the certificates the client sent; an issuer matches by name (RFC 5280
 *     name comparison as OpenSSL canonicalises it), by authorityKeyIdentifier (keyid, issuer,
 *     serial) and by signature algorithm vs key type. A self-signed store certificate ends the
 *     path; a sent certificate that is byte-equal to a self-signed store certificate is replaced
 *     by it. Failing that: DEPTH_ZERO_SELF_SIGNED_CERT, SELF_SIGNED_CERT_IN_CHAIN,
 *     UNABLE_TO_GET_ISSUER_CERT(_LOCALLY), CERT_CHAIN_TOO_LONG;
 *  3. check_extensions: unhandled critical extensions, CA-ness of issuers (basicConstraints cA,
 *     keyUsage keyCertSign), purpose sslclient (extendedKeyUsage clientAuth, keyUsage
 *     digitalSignature/keyAgreement, Netscape cert type), pathLenConstraint, explicit EC curves;
 *  4. check_auth_level: CA key sizes and signature digests against the security level;
 *  5. internal_verify, from the trust anchor down: the issuer's keyUsage allows certificate
 *     signing, the signature verifies, and each certificate is within its validity period;
 *  6. check_name_constraints.
 *
 * OpenSSL calls a verify callback at every error. With no callback the first error ends
 * verification, and that is `code`/`reason`/`depth`: what `openssl verify` prints first, and what
 * a server with SSL_VERIFY_PEER and no callback fails the handshake with. node:tls installs a
 * callback that lets verification go on and reads the last error afterwards: every error we find
 * in that mode is in `errors`, and node's `socket.authorizationError` is `authorizationError`.
 *
 * Where we do less work than OpenSSL, on purpose (a client's chain is hostile input, and our
 * signature checks cost milliseconds each):
 *  - no signature is checked unless a path to a trust anchor was found by name (issuer and
 *    subject, AKID, key type): an untrusted chain fails on its names alone. OpenSSL's
 *    internal_verify also checks the signatures of an untrusted path; node:tls, whose callback
 *    lets verification go on, would then report a bad signature in it as the last error.
 *  - after the first signature that does not verify, the signatures below it are not checked
 *    (they could not make the path valid again); OpenSSL reports each one.
 *  - `maxSignatureChecks` bounds the checks of one verification; a path that needs more fails
 *    with CERT_CHAIN_TOO_LONG. Without it, a path is bounded only by `maxDepth`.
 *
 * What we cannot do the way OpenSSL does (each reported, never silently accepted):
 *  - signatures: ECDSA by a P-256 or P-384 key with SHA-1/224/256/384/512, RSA PKCS#1 v1.5 and
 *    RSASSA-PSS with SHA-256/384/512 (any salt length; an id-RSASSA-PSS issuer key's parameters
 *    restrict hash and minimum salt, as OpenSSL's pkey_pss_init()), Ed25519 and Ed448 are
 *    checked through the CryptoProvider. A certificate in the path signed with RSA and SHA-1
 *    (or MD5, SHA-224, SHA-3), DSA, ECDSA-with-SHA3 or by an EC key on another curve fails
 *    with CERT_SIGNATURE_FAILURE and a message saying the algorithm is not supported, where
 *    OpenSSL would check it (at security level 1 OpenSSL refuses SHA-1 first, CA_MD_TOO_WEAK,
 *    and so do we; at level 0 it accepts what we refuse). RSA keys of 512 to 8192 bits are
 *    verified (src/crypto/rsa.ts limits; OpenSSL goes to 16384).
 *  - certificates that do not parse (our parser is strict DER; OpenSSL's d2i would refuse most of
 *    the same and fail the handshake before any verification): X509_V_ERR_UNSPECIFIED at the
 *    index of the bad certificate in the sent chain, with the parse error as message. (Where the
 *    certificate parses but an extension's contents do not decode -- an empty keyUsage, a bad
 *    basicConstraints -- we do as OpenSSL does with EXFLAG_INVALID: such a certificate neither
 *    issues nor is issued by anything, which usually ends in UNABLE_TO_GET_ISSUER_CERT_LOCALLY.)
 *  - SmtpUTF8Mailbox otherNames under email name constraints: X509_V_ERR_UNSUPPORTED_NAME_SYNTAX
 *    (OpenSSL converts the domain to A-labels and compares).
 *  - no CRL/OCSP, no policy processing (OpenSSL does neither by default), no RFC 3779 resources,
 *    no proxy-certificate support (reported, as by OpenSSL: PROXY_CERTIFICATES_NOT_ALLOWED), no
 *    "TRUSTED CERTIFICATE" auxiliary trust settings.
 *  - key sizes for the security level: exact for EC named curves we know, RSA by the NIST formula
 *    OpenSSL uses; keys of other types are assumed strong enough.
 */
import { bytesEqual, concatBytes, latin1String } from '../codec/bytes.js';
import { DerReader, Tag, set, tlv } from '../codec/der.js';
import { decodePemBlocks } from '../codec/pem.js';
import type { CryptoProvider, EddsaAlgorithm, RsaPadding, SignatureHash } from '../crypto/provider.js';
import { decodeRsaPublicKey, rsaPublicKeyProblem } from '../crypto/rsa.js';
import { TlsConfigError, TlsDecodeError } from '../errors.js';
import {
  ExtendedKeyUsageOid,
  ExtensionOid,
  GeneralNameTag,
  KeyUsage,
  decodeCertificateExtensions,
  parseCertificate,
  type CertificateExtensions,
  type CertificateInfo,
  type GeneralName,
  type GeneralSubtree,
} from './certificate.js';
import {
  EDDSA_OIDS,
  OID_EC_PUBLIC_KEY,
  OID_RSASSA_PSS,
  OID_RSA_ENCRYPTION,
  curveFromOid,
  decodeRsaPssParameters,
  ecdsaFor,
  isRsaHash,
  type RsaPssParameters,
} from './keys.js';

// ---------------------------------------------------------------------------------------
// OpenSSL 3.0's X509_V_* codes (include/openssl/x509_vfy.h). Note that 3.0 renumbered
// X509_V_ERR_INVALID_CA to 79; 24 is now X509_V_ERR_NO_ISSUER_PUBLIC_KEY.

/**
 * Certificates a client may send in its Certificate message unless `maxCertificateChain`
 * says otherwise: a leaf and up to 9 CAs, far more than real client chains use (one or two
 * intermediates). OpenSSL bounds the path by its verify depth (100 by default) and the
 * message by max_cert_list (100 KiB); node:tls keeps both defaults.
 */
export const DEFAULT_MAX_CERTIFICATE_CHAIN = 10;

/**
 * Signature checks one handshake may make for client authentication: one per certificate
 * it admits (each is checked once, against its issuer) and the CertificateVerify, so 11 by
 * default. Go and webpki allow 100, because their path builders backtrack, at a few tens of
 * microseconds a check in native code; ours take 2 ms (P-256) to 4.5 ms (P-384), and our path
 * builder does not backtrack and stops at the first signature that fails, so this is what a
 * valid path needs and a bound no change in path building can exceed (about 50 ms at most by
 * default). Raising maxCertificateChain raises it with it.
 */
export function signatureBudget(maxCertificateChain: number): number {
  return maxCertificateChain + 1;
}

/** The budget with the default chain limit: 11. */
export const DEFAULT_SIGNATURE_BUDGET = signatureBudget(DEFAULT_MAX_CERTIFICATE_CHAIN);

export const X509_V_OK = 0;

export const X509_V_ERR = {
  UNSPECIFIED: 1,
  UNABLE_TO_GET_ISSUER_CERT: 2,
  UNABLE_TO_GET_CRL: 3,
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 4,
  UNABLE_TO_DECRYPT_CRL_SIGNATURE: 5,
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 6,
  CERT_SIGNATURE_FAILURE: 7,
  CRL_SIGNATURE_FAILURE: 8,
  CERT_NOT_YET_VALID: 9,
  CERT_HAS_EXPIRED: 10,
  CRL_NOT_YET_VALID: 11,
  CRL_HAS_EXPIRED: 12,
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 13,
  ERROR_IN_CERT_NOT_AFTER_FIELD: 14,
  ERROR_IN_CRL_LAST_UPDATE_FIELD: 15,
  ERROR_IN_CRL_NEXT_UPDATE_FIELD: 16,
  OUT_OF_MEM: 17,
  DEPTH_ZERO_SELF_SIGNED_CERT: 18,
  SELF_SIGNED_CERT_IN_CHAIN: 19,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 20,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 21,
  CERT_CHAIN_TOO_LONG: 22,
  CERT_REVOKED: 23,
  NO_ISSUER_PUBLIC_KEY: 24,
  PATH_LENGTH_EXCEEDED: 25,
  INVALID_PURPOSE: 26,
  CERT_UNTRUSTED: 27,
  CERT_REJECTED: 28,
  SUBJECT_ISSUER_MISMATCH: 29,
  AKID_SKID_MISMATCH: 30,
  AKID_ISSUER_SERIAL_MISMATCH: 31,
  KEYUSAGE_NO_CERTSIGN: 32,
  UNABLE_TO_GET_CRL_ISSUER: 33,
  UNHANDLED_CRITICAL_EXTENSION: 34,
  KEYUSAGE_NO_CRL_SIGN: 35,
  UNHANDLED_CRITICAL_CRL_EXTENSION: 36,
  INVALID_NON_CA: 37,
  PROXY_PATH_LENGTH_EXCEEDED: 38,
  KEYUSAGE_NO_DIGITAL_SIGNATURE: 39,
  PROXY_CERTIFICATES_NOT_ALLOWED: 40,
  INVALID_EXTENSION: 41,
  INVALID_POLICY_EXTENSION: 42,
  NO_EXPLICIT_POLICY: 43,
  DIFFERENT_CRL_SCOPE: 44,
  UNSUPPORTED_EXTENSION_FEATURE: 45,
  UNNESTED_RESOURCE: 46,
  PERMITTED_VIOLATION: 47,
  EXCLUDED_VIOLATION: 48,
  SUBTREE_MINMAX: 49,
  APPLICATION_VERIFICATION: 50,
  UNSUPPORTED_CONSTRAINT_TYPE: 51,
  UNSUPPORTED_CONSTRAINT_SYNTAX: 52,
  UNSUPPORTED_NAME_SYNTAX: 53,
  CRL_PATH_VALIDATION_ERROR: 54,
  PATH_LOOP: 55,
  SUITE_B_INVALID_VERSION: 56,
  SUITE_B_INVALID_ALGORITHM: 57,
  SUITE_B_INVALID_CURVE: 58,
  SUITE_B_INVALID_SIGNATURE_ALGORITHM: 59,
  SUITE_B_LOS_NOT_ALLOWED: 60,
  SUITE_B_CANNOT_SIGN_P_384_WITH_P_256: 61,
  HOSTNAME_MISMATCH: 62,
  EMAIL_MISMATCH: 63,
  IP_ADDRESS_MISMATCH: 64,
  DANE_NO_MATCH: 65,
  EE_KEY_TOO_SMALL: 66,
  CA_KEY_TOO_SMALL: 67,
  CA_MD_TOO_WEAK: 68,
  INVALID_CALL: 69,
  STORE_LOOKUP: 70,
  NO_VALID_SCTS: 71,
  PROXY_SUBJECT_NAME_VIOLATION: 72,
  OCSP_VERIFY_NEEDED: 73,
  OCSP_VERIFY_FAILED: 74,
  OCSP_CERT_UNKNOWN: 75,
  UNSUPPORTED_SIGNATURE_ALGORITHM: 76,
  SIGNATURE_ALGORITHM_MISMATCH: 77,
  SIGNATURE_ALGORITHM_INCONSISTENCY: 78,
  INVALID_CA: 79,
  PATHLEN_INVALID_FOR_NON_CA: 80,
  PATHLEN_WITHOUT_KU_KEY_CERT_SIGN: 81,
  KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA: 82,
  ISSUER_NAME_EMPTY: 83,
  SUBJECT_NAME_EMPTY: 84,
  MISSING_AUTHORITY_KEY_IDENTIFIER: 85,
  MISSING_SUBJECT_KEY_IDENTIFIER: 86,
  EMPTY_SUBJECT_ALT_NAME: 87,
  EMPTY_SUBJECT_SAN_NOT_CRITICAL: 88,
  CA_BCONS_NOT_CRITICAL: 89,
  AUTHORITY_KEY_IDENTIFIER_CRITICAL: 90,
  SUBJECT_KEY_IDENTIFIER_CRITICAL: 91,
  CA_CERT_MISSING_KEY_USAGE: 92,
  EXTENSIONS_REQUIRE_VERSION_3: 93,
  EC_KEY_EXPLICIT_PARAMS: 94,
} as const;

const NAMES = new Map<number, string>([[X509_V_OK, 'OK'], ...Object.entries(X509_V_ERR).map(([k, v]) => [v, k] as [number, string])]);

/** OpenSSL's short name for an X509_V_* code: 'OK', 'CERT_HAS_EXPIRED', ... (X509_V_ERR_ dropped). */
export function x509ErrorName(code: number): string {
  return NAMES.get(code) ?? `UNKNOWN_${code}`;
}

// node's X509ErrorCode() (src/crypto/crypto_common.cc) names only these; anything else is 'UNSPECIFIED'.
const NODE_NAMED = new Set<number>([
  2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
  X509_V_ERR.INVALID_CA, 25, 26, 27, 28, 62,
]);

/** The string node:tls puts in `socket.authorizationError` for an X509_V_* code (undefined for OK). */
export function nodeAuthorizationError(code: number): string | undefined {
  if (code === X509_V_OK) return undefined;
  return NODE_NAMED.has(code) ? x509ErrorName(code) : 'UNSPECIFIED';
}

// ---------------------------------------------------------------------------------------
// API

export interface TrustStore {
  /** The trusted certificates, in file order, duplicates removed. */
  readonly certificates: readonly CertificateInfo[];
}

export interface X509VerifyError {
  code: number;
  /** OpenSSL's short name, as x509ErrorName(code). */
  reason: string;
  /** Depth of the certificate concerned: 0 is the leaf (for UNSPECIFIED parse failures: the index in the sent chain). */
  depth: number;
  /** What exactly went wrong, for logs. */
  message: string;
}

export interface ChainVerification {
  /** X509_V_OK (0), or the first X509_V_ERR_* OpenSSL reports for the same chain. */
  code: number;
  /** OpenSSL/node:tls short name, e.g. 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'; 'OK' on success. */
  reason: string;
  /** Where it failed (0 = leaf), as OpenSSL reports it; 0 on success. */
  depth: number;
  /** The leaf as parsed; undefined when there is none or it does not parse. */
  leaf: CertificateInfo | undefined;
  /** A sentence for logs ('ok' on success). */
  message: string;
  /** Every error in the order OpenSSL's verify callback sees them when it lets verification continue. */
  errors: readonly X509VerifyError[];
  /**
   * What SSL_get_verify_result() returns under node:tls, whose verify callback lets verification
   * continue: the last error's code (0 when none). `code` is the first error instead.
   */
  verifyResult: number;
  /** node:tls `socket.authorizationError` for this chain: nodeAuthorizationError(verifyResult). */
  authorizationError: string | undefined;
  /** The path that was built, leaf first, ending with the trust anchor when there is one. */
  path: readonly CertificateInfo[];
}

export interface VerifyOptions {
  /** The verification time. */
  now: Date;
  crypto: CryptoProvider;
  /**
   * OpenSSL's verify depth: how many intermediate CAs may sit between the leaf and the trust
   * anchor (neither counts). Default 100, OpenSSL's default.
   */
  maxDepth?: number;
  /** OpenSSL security level for key sizes and signature digests (0 disables). Default 1, as in TLS with OpenSSL 3.0. */
  securityLevel?: number;
  /** X509_V_FLAG_PARTIAL_CHAIN (node:tls allowPartialTrustChain): any trusted certificate ends the path. */
  partialChain?: boolean;
  /**
   * Signature checks this verification may make (puretls; OpenSSL has no such bound). A path
   * that needs more fails with CERT_CHAIN_TOO_LONG. Default: no bound beyond maxDepth.
   */
  maxSignatureChecks?: number;
}

/** Every CERTIFICATE block of one or more PEM texts; none at all -> TlsConfigError. Malformed certificates -> TlsDecodeError. */
export function loadTrustStore(pem: string | Uint8Array | readonly (string | Uint8Array)[]): TrustStore {
  const texts = typeof pem === 'string' || pem instanceof Uint8Array ? [pem] : pem;
  const ders = texts.flatMap((t) => decodePemBlocks(t).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der));
  if (ders.length === 0) throw new TlsConfigError('ERR_NO_CERTIFICATE', 'no "-----BEGIN CERTIFICATE-----" block found for the trust store');
  const anchors: Cert[] = [];
  const seen = new Set<string>();
  ders.forEach((der, i) => {
    const key = latin1String(der);
    if (seen.has(key)) return; // X509_STORE_add_cert ignores exact duplicates
    seen.add(key);
    try {
      const anchor = prepare(der);
      if (anchor.invalid !== undefined) throw malformed(anchor.invalid);
      anchors.push(anchor);
    } catch (e) {
      if (e instanceof TlsDecodeError) throw new TlsDecodeError(e.code, `trusted certificate ${i + 1} of ${ders.length}: ${e.message}`);
      throw e;
    }
  });
  const store: TrustStore = { certificates: Object.freeze(anchors.map((a) => a.info)) };
  PREPARED.set(store, indexAnchors(anchors));
  return store;
}

/**
 * Verifies the chain a TLS client sent (leaf first) against `trust` (none: an empty store, so
 * nothing verifies). Never throws: malformed input is reported in the result.
 */
export function verifyClientChain(
  chain: readonly Uint8Array[],
  trust: TrustStore | undefined,
  options: VerifyOptions,
): ChainVerification {
  const run = new Verification(options);
  let leaf: CertificateInfo | undefined;
  try {
    if (chain.length === 0) {
      // What node reports when the client sent no certificate (VerifyPeerCertificate's default).
      run.fail(X509_V_ERR.UNABLE_TO_GET_ISSUER_CERT, 0, 'the client sent no certificate');
    } else {
      const sent: Cert[] = [];
      for (let i = 0; i < chain.length; i++) {
        try {
          sent.push(prepare(chain[i]!));
        } catch (e) {
          if (!(e instanceof TlsDecodeError)) throw e;
          run.fail(X509_V_ERR.UNSPECIFIED, i, `certificate ${i + 1} of ${chain.length} is malformed: ${e.message}`);
          break;
        }
      }
      if (sent.length > 0) leaf = sent[0]!.info;
      if (sent.length === chain.length) run.verify(sent, anchorsOf(trust));
    }
  } catch (e) {
    // A bug of ours, not the peer's doing: still an answer, never an exception.
    run.fail(X509_V_ERR.UNSPECIFIED, 0, `internal error: ${e instanceof Error ? e.message : String(e)}`);
  }
  const first = run.errors[0];
  const last = run.errors[run.errors.length - 1];
  return {
    code: first?.code ?? X509_V_OK,
    reason: first?.reason ?? 'OK',
    depth: first?.depth ?? 0,
    leaf,
    message: first?.message ?? 'ok',
    errors: run.errors,
    verifyResult: last?.code ?? X509_V_OK,
    authorizationError: last && nodeAuthorizationError(last.code),
    path: run.chain.map((c) => c.info),
  };
}

// ---------------------------------------------------------------------------------------
// Certificates with what path validation needs, computed once.

type KeyType = 'EC' | 'RSA' | 'RSA-PSS' | 'Ed25519' | 'Ed448' | 'X25519' | 'X448' | 'DSA' | 'DH';

interface SignatureAlgorithm {
  /** The key type OpenSSL's OBJ_find_sigid_algs() pairs with the OID ('RSA-PSS' also fits an RSA key). */
  keyType: KeyType;
  /** The digest, when the CryptoProvider can do it. */
  hash: SignatureHash | undefined;
  name: string;
  /** X509_get_signature_info() security bits. */
  securityBits: number;
}

interface Cert {
  readonly info: CertificateInfo;
  readonly ext: CertificateExtensions;
  /** OpenSSL's canonical encodings (X509_NAME canon_enc) of the subject and issuer names, as strings for comparison. */
  readonly subjectKey: string;
  readonly issuerKey: string;
  /** The first directoryName of the authorityKeyIdentifier's authorityCertIssuer, canonical. */
  readonly akidIssuerKey: string | undefined;
  /** undefined when OpenSSL would not decode the key (X509_get0_pubkey() NULL). */
  readonly keyType: KeyType | undefined;
  readonly keyBits: number;
  readonly explicitCurve: boolean;
  /** From the `signature` field inside the TBS; undefined when OpenSSL does not know the OID. */
  readonly sigAlg: SignatureAlgorithm | undefined;
  readonly criticalUnsupported: string | undefined;
  /** Why OpenSSL would flag the certificate EXFLAG_INVALID (an extension that does not decode), if it would. */
  readonly invalid: string | undefined;
  /** EXFLAG_SI: subject and issuer names match. */
  readonly selfIssued: boolean;
  /** EXFLAG_SS: self-issued, its AKID matches itself and its key type fits its signature algorithm (no signature check). */
  readonly selfSigned: boolean;
}

interface Anchors {
  all: Cert[];
  /** By canonical subject, in store order. */
  bySubject: Map<string, Cert[]>;
}

const PREPARED = new WeakMap<TrustStore, Anchors>();
const NO_ANCHORS: Anchors = { all: [], bySubject: new Map() };

function indexAnchors(all: Cert[]): Anchors {
  const bySubject = new Map<string, Cert[]>();
  for (const a of all) {
    const list = bySubject.get(a.subjectKey);
    if (list) list.push(a);
    else bySubject.set(a.subjectKey, [a]);
  }
  return { all, bySubject };
}

function anchorsOf(trust: TrustStore | undefined): Anchors {
  if (!trust) return NO_ANCHORS;
  let anchors = PREPARED.get(trust);
  if (!anchors) {
    // A TrustStore-shaped object not made by loadTrustStore(): prepare what parses.
    const all: Cert[] = [];
    for (const info of trust.certificates) {
      try {
        all.push(prepare(info.der));
      } catch {
        // skipped: not usable as a trust anchor
      }
    }
    anchors = indexAnchors(all);
    PREPARED.set(trust, anchors);
  }
  return anchors;
}

function malformed(message: string): TlsDecodeError {
  return new TlsDecodeError('ERR_CERT_DECODE', message);
}

const NO_EXTENSIONS: CertificateExtensions = {
  basicConstraints: undefined, keyUsage: undefined, extKeyUsage: undefined, subjectKeyId: undefined, authorityKeyId: undefined,
  nsCertType: undefined, proxyCertInfo: false, subjectAltNames: undefined, nameConstraints: undefined,
};

/**
 * Throws TlsDecodeError where OpenSSL's d2i_X509 would not parse the certificate (or our stricter
 * parser does not). Extensions whose contents do not decode make the certificate `invalid`, as
 * OpenSSL's EXFLAG_INVALID does: it then neither issues nor is issued by anything, is not
 * self-signed, not a CA, and passes any purpose check.
 */
function prepare(der: Uint8Array): Cert {
  const info = parseCertificate(der);
  const subjectKey = latin1String(canonicalName(info.subject));
  const issuerKey = latin1String(canonicalName(info.issuer));
  let ext = NO_EXTENSIONS;
  let akidIssuerKey: string | undefined;
  let invalid: string | undefined;
  try {
    ext = decodeCertificateExtensions(info);
    const dirName = ext.authorityKeyId?.issuer?.find((g) => g.tag === GeneralNameTag.directoryName);
    if (dirName) akidIssuerKey = latin1String(canonicalName(dirName.value));
    for (const g of [...(ext.subjectAltNames ?? []), ...(ext.nameConstraints?.permitted ?? []).map((s) => s.base),
      ...(ext.nameConstraints?.excluded ?? []).map((s) => s.base)]) {
      if (g.tag === GeneralNameTag.directoryName) canonicalName(g.value);
    }
  } catch (e) {
    if (!(e instanceof TlsDecodeError)) throw e;
    ext = NO_EXTENSIONS;
    akidIssuerKey = undefined;
    invalid = e.message;
  }
  const key = describeKey(info);
  const sigAlg = signatureAlgorithmOf(info.tbsSignatureAlgorithmDer);
  const critical = info.extensions.find((e) => e.critical && !SUPPORTED_EXTENSIONS.has(e.oid));
  const selfIssued = subjectKey === issuerKey;
  const partial: Omit<Cert, 'selfSigned'> = {
    info, ext, subjectKey, issuerKey, akidIssuerKey, keyType: key.type, keyBits: key.bits,
    explicitCurve: key.explicitCurve, sigAlg, criticalUnsupported: critical?.oid, selfIssued, invalid,
  };
  const selfSigned = invalid === undefined && selfIssued && akidMismatch(partial, partial) === undefined &&
    sigAlgMismatch(partial, partial) === undefined;
  return { ...partial, selfSigned };
}

// X509_supported_extension(): a critical extension outside this list makes OpenSSL refuse the certificate.
const SUPPORTED_EXTENSIONS = new Set<string>([
  ExtensionOid.nsCertType, ExtensionOid.keyUsage, ExtensionOid.subjectAltName, ExtensionOid.basicConstraints,
  ExtensionOid.certificatePolicies, ExtensionOid.crlDistributionPoints, ExtensionOid.extKeyUsage, ExtensionOid.ipAddrBlocks,
  ExtensionOid.autonomousSysIds, ExtensionOid.ocspNoCheck, ExtensionOid.policyConstraints, ExtensionOid.proxyCertInfo,
  ExtensionOid.nameConstraints, ExtensionOid.policyMappings, ExtensionOid.inhibitAnyPolicy,
]);

const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = {
  '1.2.840.10045.4.1': { keyType: 'EC', hash: 'sha1', name: 'ecdsa-with-SHA1', securityBits: 63 },
  '1.2.840.10045.4.3.1': { keyType: 'EC', hash: 'sha224', name: 'ecdsa-with-SHA224', securityBits: 112 },
  '1.2.840.10045.4.3.2': { keyType: 'EC', hash: 'sha256', name: 'ecdsa-with-SHA256', securityBits: 128 },
  '1.2.840.10045.4.3.3': { keyType: 'EC', hash: 'sha384', name: 'ecdsa-with-SHA384', securityBits: 192 },
  '1.2.840.10045.4.3.4': { keyType: 'EC', hash: 'sha512', name: 'ecdsa-with-SHA512', securityBits: 256 },
  '2.16.840.1.101.3.4.3.9': { keyType: 'EC', hash: undefined, name: 'ecdsa-with-SHA3-224', securityBits: 112 },
  '2.16.840.1.101.3.4.3.10': { keyType: 'EC', hash: undefined, name: 'ecdsa-with-SHA3-256', securityBits: 128 },
  '2.16.840.1.101.3.4.3.11': { keyType: 'EC', hash: undefined, name: 'ecdsa-with-SHA3-384', securityBits: 192 },
  '2.16.840.1.101.3.4.3.12': { keyType: 'EC', hash: undefined, name: 'ecdsa-with-SHA3-512', securityBits: 256 },
  '1.2.840.113549.1.1.4': { keyType: 'RSA', hash: undefined, name: 'md5WithRSAEncryption', securityBits: 39 },
  '1.2.840.113549.1.1.5': { keyType: 'RSA', hash: undefined, name: 'sha1WithRSAEncryption', securityBits: 63 },
  '1.2.840.113549.1.1.14': { keyType: 'RSA', hash: undefined, name: 'sha224WithRSAEncryption', securityBits: 112 },
  '1.2.840.113549.1.1.11': { keyType: 'RSA', hash: 'sha256', name: 'sha256WithRSAEncryption', securityBits: 128 },
  '1.2.840.113549.1.1.12': { keyType: 'RSA', hash: 'sha384', name: 'sha384WithRSAEncryption', securityBits: 192 },
  '1.2.840.113549.1.1.13': { keyType: 'RSA', hash: 'sha512', name: 'sha512WithRSAEncryption', securityBits: 256 },
  '2.16.840.1.101.3.4.3.13': { keyType: 'RSA', hash: undefined, name: 'RSA-SHA3-224', securityBits: 112 },
  '2.16.840.1.101.3.4.3.14': { keyType: 'RSA', hash: undefined, name: 'RSA-SHA3-256', securityBits: 128 },
  '2.16.840.1.101.3.4.3.15': { keyType: 'RSA', hash: undefined, name: 'RSA-SHA3-384', securityBits: 192 },
  '2.16.840.1.101.3.4.3.16': { keyType: 'RSA', hash: undefined, name: 'RSA-SHA3-512', securityBits: 256 },
  // The digest is in the parameters: signatureAlgorithmOf() sets the security bits from them.
  '1.2.840.113549.1.1.10': { keyType: 'RSA-PSS', hash: undefined, name: 'RSASSA-PSS', securityBits: 128 },
  '1.3.101.112': { keyType: 'Ed25519', hash: undefined, name: 'Ed25519', securityBits: 128 },
  '1.3.101.113': { keyType: 'Ed448', hash: undefined, name: 'Ed448', securityBits: 224 },
  '1.2.840.10040.4.3': { keyType: 'DSA', hash: undefined, name: 'dsa-with-SHA1', securityBits: 63 },
  '2.16.840.1.101.3.4.3.1': { keyType: 'DSA', hash: undefined, name: 'dsa-with-SHA224', securityBits: 112 },
  '2.16.840.1.101.3.4.3.2': { keyType: 'DSA', hash: undefined, name: 'dsa-with-SHA256', securityBits: 128 },
};

/**
 * The algorithm of a signatureAlgorithm / signature element, as X509_get_signature_info()
 * sees it. For RSASSA-PSS the security bits come from the parameters' digest (OpenSSL's
 * rsa_sig_info_set(): half its bits, 64 for SHA-1); parameters that do not decode leave no
 * valid signature info, which OpenSSL's security level check counts as too weak.
 */
function signatureAlgorithmOf(algorithmDer: Uint8Array): SignatureAlgorithm | undefined {
  const alg = new DerReader(algorithmDer).sequence();
  const id = alg.oid();
  const known = SIGNATURE_ALGORITHMS[id];
  if (id !== OID_RSASSA_PSS || known === undefined) return known;
  const params = pssParametersOf(algorithmDer);
  const bits: Partial<Record<string, number>> = { sha1: 64, sha224: 112, sha256: 128, sha384: 192, sha512: 256, 'sha512-224': 112, 'sha512-256': 128 };
  return { ...known, securityBits: typeof params === 'string' ? 0 : bits[params.hash] ?? 0 };
}

/** RSASSA-PSS-params of an AlgorithmIdentifier element, or why there are none to use. */
function pssParametersOf(algorithmDer: Uint8Array): RsaPssParameters | string {
  const alg = new DerReader(algorithmDer).sequence();
  alg.oid();
  if (alg.atEnd()) return 'RSASSA-PSS without parameters';
  try {
    return decodeRsaPssParameters(alg.read().raw);
  } catch (e) {
    if (e instanceof TlsDecodeError) return `RSASSA-PSS parameters that do not decode (${e.message})`;
    throw e;
  }
}

// EVP_PKEY_get_security_bits() of EC keys: from the order's size (512+ -> 256, 384+ -> 192, 256+ -> 128, 224+ -> 112, 160+ -> 80).
const CURVE_BITS: Readonly<Record<string, number>> = {
  '1.2.840.10045.3.1.1': 80, // P-192
  '1.3.132.0.33': 112, // P-224
  '1.2.840.10045.3.1.7': 128, // P-256
  '1.3.132.0.34': 192, // P-384
  '1.3.132.0.35': 256, // P-521
  '1.3.132.0.10': 128, // secp256k1
  '1.3.36.3.3.2.8.1.1.7': 128, // brainpoolP256r1
  '1.3.36.3.3.2.8.1.1.11': 192, // brainpoolP384r1
  '1.3.36.3.3.2.8.1.1.13': 256, // brainpoolP512r1
};

function describeKey(info: CertificateInfo): { type: KeyType | undefined; bits: number; explicitCurve: boolean } {
  switch (info.publicKeyAlgorithm) {
    case OID_EC_PUBLIC_KEY: {
      const params = info.publicKeyParameters;
      if (params?.[0] === Tag.SEQUENCE) return { type: 'EC', bits: 128, explicitCurve: true };
      if (params?.[0] !== Tag.OID) return { type: undefined, bits: 0, explicitCurve: false }; // implicitCA or junk
      const curveOid = new DerReader(params).oid('namedCurve');
      const curve = curveFromOid(curveOid);
      if (curve) {
        try {
          ecdsaFor(curve).Point.fromBytes(info.publicKey);
        } catch {
          return { type: undefined, bits: 0, explicitCurve: false }; // not a point on the curve
        }
      }
      return { type: 'EC', bits: CURVE_BITS[curveOid] ?? 128, explicitCurve: false };
    }
    case '1.2.840.113549.1.1.1':
    case '1.2.840.113549.1.1.10': {
      const type = info.publicKeyAlgorithm === '1.2.840.113549.1.1.1' ? 'RSA' : 'RSA-PSS';
      try {
        const outer = new DerReader(info.publicKey);
        const key = outer.sequence('RSAPublicKey');
        const modulus = key.uintBytes('modulus');
        key.uintBytes('publicExponent');
        key.end('RSAPublicKey');
        outer.end('RSAPublicKey');
        const bits = modulus.length === 0 ? 0 : (modulus.length - 1) * 8 + (32 - Math.clz32(modulus[0]!));
        return { type, bits: rsaSecurityBits(bits), explicitCurve: false };
      } catch {
        return { type: undefined, bits: 0, explicitCurve: false };
      }
    }
    case '1.3.101.112':
      return { type: 'Ed25519', bits: 128, explicitCurve: false };
    case '1.3.101.113':
      return { type: 'Ed448', bits: 224, explicitCurve: false };
    case '1.3.101.110':
      return { type: 'X25519', bits: 128, explicitCurve: false };
    case '1.3.101.111':
      return { type: 'X448', bits: 224, explicitCurve: false };
    case '1.2.840.10040.4.1':
      return { type: 'DSA', bits: 112, explicitCurve: false };
    case '1.2.840.113549.1.3.1':
    case '1.2.840.10046.2.1':
      return { type: 'DH', bits: 112, explicitCurve: false };
    default:
      return { type: undefined, bits: 0, explicitCurve: false };
  }
}

/** ossl_ifc_ffc_compute_security_bits(): NIST SP 800-56B's estimate, rounded to a multiple of 8. */
function rsaSecurityBits(n: number): number {
  const standard: Record<number, number> = { 2048: 112, 3072: 128, 4096: 152, 6144: 176, 7680: 192, 8192: 200, 15360: 256 };
  if (standard[n] !== undefined) return standard[n]!;
  if (n < 8) return 0;
  const x = n * Math.LN2;
  const lx = Math.log(x);
  const y = Math.floor((1.923 * Math.cbrt(x * lx * lx) - 4.69) / Math.LN2);
  return Math.min((y + 4) & ~7, n >= 15360 ? 256 : 192);
}

// ---------------------------------------------------------------------------------------
// Names: X509_NAME_cmp() compares canonical encodings: each string value converted to UTF-8,
// leading and trailing white space dropped, inner runs of white space made one space, ASCII
// lower-cased; each RDN re-encoded as a DER SET; the RDNs concatenated (no outer SEQUENCE).

const CANONICAL_STRING_TAGS = new Set<number>([0x0c, 0x13, 0x14, 0x16, 0x1a, 0x1c, 0x1e]);

function canonicalName(raw: Uint8Array): Uint8Array {
  const outer = new DerReader(raw);
  const name = outer.sequence('Name');
  outer.end('Name');
  const rdns: Uint8Array[] = [];
  while (!name.atEnd()) {
    const rdn = new DerReader(name.expect(Tag.SET, 'RelativeDistinguishedName'));
    const entries: Uint8Array[] = [];
    do {
      const atv = rdn.sequence('AttributeTypeAndValue');
      const type = atv.element(Tag.OID, 'attribute type').raw;
      const value = atv.read();
      atv.end('AttributeTypeAndValue');
      entries.push(tlv(Tag.SEQUENCE, type, canonicalValue(value.tag, value.value, value.raw)));
    } while (!rdn.atEnd());
    entries.sort(derOrder);
    rdns.push(set(...entries));
  }
  return concatBytes(rdns);
}

function canonicalValue(tag: number, value: Uint8Array, raw: Uint8Array): Uint8Array {
  if (!CANONICAL_STRING_TAGS.has(tag)) return raw;
  const utf8 = new TextEncoder().encode(stringValue(tag, value));
  const isSpace = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);
  let start = 0;
  let end = utf8.length;
  while (start < end && isSpace(utf8[start]!)) start++;
  while (end > start && isSpace(utf8[end - 1]!)) end--;
  const out: number[] = [];
  for (let i = start; i < end; ) {
    const b = utf8[i]!;
    if (isSpace(b)) {
      out.push(0x20);
      while (isSpace(utf8[i]!)) i++;
    } else {
      out.push(b >= 0x41 && b <= 0x5a ? b + 0x20 : b);
      i++;
    }
  }
  return tlv(Tag.UTF8String, Uint8Array.from(out));
}

/** ASN1_STRING_to_UTF8()'s reading of a string type: UTF-8, UCS-2, UCS-4, or one byte per character. */
function stringValue(tag: number, value: Uint8Array): string {
  switch (tag) {
    case 0x0c:
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(value);
      } catch {
        throw malformed('a UTF8String in a name is not valid UTF-8');
      }
    case 0x1e: {
      if (value.length % 2) throw malformed('a BMPString in a name has a partial character');
      let s = '';
      for (let i = 0; i < value.length; i += 2) s += String.fromCharCode(value[i]! * 256 + value[i + 1]!);
      return s;
    }
    case 0x1c: {
      if (value.length % 4) throw malformed('a UniversalString in a name has a partial character');
      let s = '';
      for (let i = 0; i < value.length; i += 4) {
        const c = ((value[i]! << 24) | (value[i + 1]! << 16) | (value[i + 2]! << 8) | value[i + 3]!) >>> 0;
        if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) throw malformed('a UniversalString in a name is not Unicode');
        s += String.fromCodePoint(c);
      }
      return s;
    }
    default:
      return latin1String(value);
  }
}

/** DER SET OF order (OpenSSL's der_cmp): bytewise, then shorter first. */
function derOrder(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** ASN1_INTEGER_cmp(): by value, sign included. */
function integerValue(v: Uint8Array): bigint {
  if (v.length === 0) return 0n;
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  return v[0]! & 0x80 ? n - (1n << BigInt(v.length * 8)) : n;
}

// ---------------------------------------------------------------------------------------
// Issuer matching (ossl_x509_likely_issued) and the small predicates of v3_purp.c.

type IssuerFields = Pick<Cert, 'info' | 'ext' | 'issuerKey' | 'keyType'>;
type SubjectFields = Pick<Cert, 'ext' | 'akidIssuerKey' | 'sigAlg'>;

/** X509_check_akid(): the subject's authorityKeyIdentifier against the candidate issuer. */
function akidMismatch(issuer: IssuerFields, subject: SubjectFields): number | undefined {
  const akid = subject.ext.authorityKeyId;
  if (!akid) return undefined;
  const skid = issuer.ext.subjectKeyId;
  if (akid.keyId && skid && !bytesEqual(akid.keyId, skid)) return X509_V_ERR.AKID_SKID_MISMATCH;
  if (akid.serial && integerValue(akid.serial) !== integerValue(issuer.info.serialNumber)) return X509_V_ERR.AKID_ISSUER_SERIAL_MISMATCH;
  if (subject.akidIssuerKey !== undefined && subject.akidIssuerKey !== issuer.issuerKey) return X509_V_ERR.AKID_ISSUER_SERIAL_MISMATCH;
  return undefined;
}

/** check_sig_alg_match(): the issuer's key type must be the one the subject's signature algorithm uses. */
function sigAlgMismatch(issuer: Pick<Cert, 'keyType'>, subject: Pick<Cert, 'sigAlg'>): number | undefined {
  if (issuer.keyType === undefined) return X509_V_ERR.NO_ISSUER_PUBLIC_KEY;
  if (!subject.sigAlg) return X509_V_ERR.UNSUPPORTED_SIGNATURE_ALGORITHM;
  const want = subject.sigAlg.keyType;
  if (issuer.keyType === want || (want === 'RSA-PSS' && issuer.keyType === 'RSA')) return undefined;
  return X509_V_ERR.SIGNATURE_ALGORITHM_MISMATCH;
}

function likelyIssued(issuer: Cert, subject: Cert): boolean {
  if (issuer.invalid !== undefined || subject.invalid !== undefined) return false;
  return issuer.subjectKey === subject.issuerKey && akidMismatch(issuer, subject) === undefined && sigAlgMismatch(issuer, subject) === undefined;
}

const hasKeyUsage = (x: Cert, bits: number): boolean => x.ext.keyUsage === undefined || (x.ext.keyUsage & bits) !== 0;

/** check_ca(): 0 not a CA; 1 a CA; 3 a v1 self-signed root; 4 keyUsage keyCertSign without basicConstraints; 5 Netscape CA type. */
function checkCa(x: Cert): number {
  if (x.invalid !== undefined) return 0;
  if (!hasKeyUsage(x, KeyUsage.keyCertSign)) return 0;
  if (x.ext.basicConstraints) return x.ext.basicConstraints.ca ? 1 : 0;
  if (x.info.version === 1 && x.selfSigned) return 3;
  if (x.ext.keyUsage !== undefined) return 4;
  if (x.ext.nsCertType !== undefined && (x.ext.nsCertType & 0x07) !== 0) return 5;
  return 0;
}

/** check_purpose_ssl_client(). */
function sslClientPurpose(x: Cert, requireCa: boolean): boolean {
  if (x.invalid !== undefined) return true; // X509_check_purpose() -1: only an error with X509_V_FLAG_X509_STRICT
  if (x.ext.extKeyUsage && !x.ext.extKeyUsage.includes(ExtendedKeyUsageOid.clientAuth)) return false;
  if (requireCa) {
    const ca = checkCa(x);
    return ca !== 0 && (ca !== 5 || (x.ext.nsCertType! & 0x04) !== 0);
  }
  if (!hasKeyUsage(x, KeyUsage.digitalSignature | KeyUsage.keyAgreement)) return false;
  if (x.ext.nsCertType !== undefined && (x.ext.nsCertType & 0x80) === 0) return false;
  return true;
}

// ---------------------------------------------------------------------------------------
// The verification proper: X509_verify_cert() with a callback that records and continues.

const MIN_BITS = [80, 112, 128, 192, 256];

/** What signatureFailure() can check, for its messages. */
const CHECKED = 'puretls checks ECDSA with SHA-1/256/384/512 by P-256 or P-384 keys, RSA PKCS#1 v1.5 and RSASSA-PSS with SHA-256/384/512, Ed25519 and Ed448';

class Verification {
  readonly errors: X509VerifyError[] = [];
  chain: Cert[] = [];
  private numUntrusted = 0;
  private readonly nowSeconds: number;
  private readonly maxDepth: number;
  private readonly level: number;
  private readonly partialChain: boolean;
  private readonly maxSignatureChecks: number;
  /** Signature checks made so far (calls into the CryptoProvider). */
  private signatureChecks = 0;
  /** False until a path to a trust anchor is found by name, and again after a signature fails. */
  private checkSignatures = false;

  constructor(private readonly options: VerifyOptions) {
    const t = options.now instanceof Date ? options.now.getTime() : NaN;
    this.nowSeconds = Number.isFinite(t) ? Math.floor(t / 1000) : NaN;
    const depth = options.maxDepth ?? 100;
    this.maxDepth = Number.isSafeInteger(depth) && depth >= 0 ? Math.min(depth, 1_000_000) + 1 : 101;
    this.level = Math.min(Math.max(Math.trunc(options.securityLevel ?? 1), 0), 5);
    this.partialChain = options.partialChain ?? false;
    const budget = options.maxSignatureChecks ?? Infinity;
    this.maxSignatureChecks = budget >= 0 ? budget : 0;
  }

  fail(code: number, depth: number, message: string): void {
    this.errors.push({ code, reason: x509ErrorName(code), depth, message });
  }

  verify(sent: Cert[], anchors: Anchors): void {
    if (!Number.isFinite(this.nowSeconds)) {
      this.fail(X509_V_ERR.UNSPECIFIED, 0, 'the verification time is not a valid Date');
      return;
    }
    const leaf = sent[0]!;
    this.chain = [leaf];
    this.numUntrusted = 1;
    if (this.level > 0 && (leaf.keyType === undefined || leaf.keyBits < MIN_BITS[this.level - 1]!)) {
      this.fail(X509_V_ERR.EE_KEY_TOO_SMALL, 0, leaf.keyType === undefined
        ? 'the leaf\'s public key cannot be decoded'
        : `the leaf's ${leaf.keyType} key has ${leaf.keyBits} bits of security, below security level ${this.level}`);
    }
    this.checkSignatures = this.buildChain(sent, anchors);
    this.checkExtensions();
    this.checkAuthLevel();
    // X509_get_pubkey_parameters(): a key it cannot decode ends verification, callback or not.
    const undecodable = this.chain.findIndex((c) => c.keyType === undefined);
    if (undecodable >= 0) {
      if (this.errors.length === 0) this.fail(X509_V_ERR.UNSPECIFIED, undecodable, 'a public key in the path cannot be decoded');
      return;
    }
    this.internalVerify();
    this.checkNameConstraints();
  }

  private timeError(x: Cert): number | undefined {
    const now = this.nowSeconds * 1000;
    if (x.info.notBefore.getTime() > now) return X509_V_ERR.CERT_NOT_YET_VALID;
    // OpenSSL 3.0's X509_cmp_time() calls equal times "before": a certificate has expired at its notAfter second.
    if (x.info.notAfter.getTime() <= now) return X509_V_ERR.CERT_HAS_EXPIRED;
    return undefined;
  }

  /** get0_best_issuer_sk() / X509_STORE_CTX_get1_issuer(): the first time-valid candidate, else the latest to expire. */
  private bestIssuer(candidates: readonly Cert[], x: Cert, noDup: boolean): Cert | undefined {
    let best: Cert | undefined;
    for (const c of candidates) {
      if (!likelyIssued(c, x)) continue;
      if (noDup && !(x.selfIssued && this.chain.length === 1) && this.chain.some((y) => y === c || bytesEqual(y.info.der, c.info.der))) continue;
      if (this.timeError(c) === undefined) return c;
      if (!best || c.info.notAfter.getTime() > best.info.notAfter.getTime()) best = c;
    }
    return best;
  }

  /** check_trust(): the store certificates from index `from` up; a self-signed one is trusted (X509_TRUST_COMPAT). */
  private checkTrust(from: number, anchors: Anchors): boolean {
    for (let i = from; i < this.chain.length; i++) if (this.chain[i]!.selfSigned) return true;
    if (from < this.chain.length) return this.partialChain;
    if (this.partialChain && from === this.chain.length) {
      // Last resort: the leaf itself is in the store.
      const leaf = this.chain[0]!;
      const match = anchors.bySubject.get(leaf.subjectKey)?.find((a) => bytesEqual(a.info.der, leaf.info.der));
      if (match) {
        this.chain[0] = match;
        this.numUntrusted = 0;
        return true;
      }
    }
    return false;
  }

  /** build_chain() with X509_V_FLAG_TRUSTED_FIRST (the default): no alternate chains needed. */
  private buildChain(sent: Cert[], anchors: Anchors): boolean {
    const UNTRUSTED = 1;
    const TRUSTED = 2;
    let search = UNTRUSTED | TRUSTED;
    let trusted = false;
    // With TLS the untrusted list is the whole Certificate message, leaf included.
    const untrusted = [...sent];
    const maxDepth = this.maxDepth;

    // Each pass either adds a certificate (at most maxDepth + 1 of them) or clears a search bit.
    while (search !== 0) {
      let num = this.chain.length;
      if (search & TRUSTED) {
        const curr = this.chain[num - 1]!;
        const issuer = num > maxDepth ? undefined : this.bestIssuer(anchors.bySubject.get(curr.issuerKey) ?? [], curr, false);
        if (issuer) {
          let ok = true;
          let selfSigned = curr.selfSigned;
          if (!selfSigned) {
            this.chain.push(issuer);
            selfSigned = issuer.selfSigned;
          } else if (!bytesEqual(curr.info.der, issuer.info.der)) {
            ok = false; // a self-signed look-alike of a trust anchor
          } else {
            this.numUntrusted = --num;
            this.chain[num] = issuer;
          }
          if (ok) {
            search &= ~UNTRUSTED;
            trusted = this.checkTrust(num, anchors);
            if (trusted) break;
            if (!selfSigned) continue;
          }
        }
        if (!(search & UNTRUSTED)) break;
      }
      if (search & UNTRUSTED) {
        num = this.chain.length;
        const curr = this.chain[num - 1]!;
        const issuer = curr.selfSigned || num > maxDepth ? undefined : this.bestIssuer(untrusted, curr, true);
        if (!issuer) {
          search = (search & ~UNTRUSTED) | TRUSTED;
          continue;
        }
        untrusted.splice(untrusted.indexOf(issuer), 1);
        this.chain.push(issuer);
        this.numUntrusted++;
      }
    }

    const num = this.chain.length;
    if (!trusted && num <= maxDepth && num === this.numUntrusted) trusted = this.checkTrust(num, anchors);
    if (trusted) return true;
    const top = this.chain[num - 1]!;
    if (num > maxDepth) {
      this.fail(X509_V_ERR.CERT_CHAIN_TOO_LONG, num - 1, `the path is longer than ${maxDepth - 1} intermediate CAs allow`);
    }
    if (top.selfSigned) {
      if (num === 1) this.fail(X509_V_ERR.DEPTH_ZERO_SELF_SIGNED_CERT, 0, 'the leaf is self-signed and not trusted');
      else this.fail(X509_V_ERR.SELF_SIGNED_CERT_IN_CHAIN, num - 1, `the path ends in an untrusted self-signed certificate (depth ${num - 1})`);
    } else if (this.numUntrusted < num) {
      this.fail(X509_V_ERR.UNABLE_TO_GET_ISSUER_CERT, num - 1, `no issuer found for the trusted but not self-signed certificate at depth ${num - 1}`);
    } else {
      this.fail(X509_V_ERR.UNABLE_TO_GET_ISSUER_CERT_LOCALLY, num - 1, `no trusted issuer found for the certificate at depth ${num - 1}` +
        (top.invalid !== undefined ? ` (it is invalid: ${top.invalid})` : ''));
    }
    return false;
  }

  /** check_extensions() for purpose sslclient, without X509_V_FLAG_X509_STRICT. */
  private checkExtensions(): void {
    const num = this.chain.length;
    let mustBeCa = -1;
    let plen = 0;
    let proxyPathLength = 0;
    for (let i = 0; i < num; i++) {
      const x = this.chain[i]!;
      if (x.criticalUnsupported !== undefined) {
        this.fail(X509_V_ERR.UNHANDLED_CRITICAL_EXTENSION, i, `unsupported critical extension ${x.criticalUnsupported}`);
      }
      if (x.ext.proxyCertInfo) this.fail(X509_V_ERR.PROXY_CERTIFICATES_NOT_ALLOWED, i, 'proxy certificates are not allowed');
      const ca = checkCa(x);
      if (mustBeCa === 0 && ca !== 0) this.fail(X509_V_ERR.INVALID_NON_CA, i, 'a CA certificate where a proxy or end entity is required');
      if (mustBeCa === 1 && (ca === 0 || (i + 1 < num && ca !== 1))) {
        this.fail(X509_V_ERR.INVALID_CA, i, `the issuer at depth ${i} is not a CA (basicConstraints cA TRUE, keyUsage keyCertSign if present)`);
      }
      if (num > 1) {
        if (x.keyType === undefined) this.fail(X509_V_ERR.UNSPECIFIED, i, 'the public key cannot be decoded');
        else if (x.explicitCurve) this.fail(X509_V_ERR.EC_KEY_EXPLICIT_PARAMS, i, 'an EC key with explicit curve parameters');
      }
      if (!sslClientPurpose(x, mustBeCa > 0)) {
        this.fail(X509_V_ERR.INVALID_PURPOSE, i, i === 0
          ? 'the leaf is not for TLS client authentication (its extendedKeyUsage lacks clientAuth, or keyUsage/nsCertType forbid it)'
          : `the CA at depth ${i} is not for TLS client authentication (not a CA, or its extendedKeyUsage lacks clientAuth)`);
      }
      const pathLen = x.ext.basicConstraints?.pathLen;
      if (i > 1 && pathLen !== undefined && plen > pathLen + proxyPathLength) {
        this.fail(X509_V_ERR.PATH_LENGTH_EXCEEDED, i, `pathLenConstraint ${pathLen} at depth ${i}, but ${plen} CAs below it`);
      }
      if (i > 0 && !x.selfIssued) plen++;
      if (x.ext.proxyCertInfo) {
        proxyPathLength++;
        mustBeCa = 0;
      } else {
        mustBeCa = 1;
      }
    }
  }

  /** check_auth_level(): CA keys and the signature digests below the trust anchor. */
  private checkAuthLevel(): void {
    if (this.level <= 0) return;
    const min = MIN_BITS[this.level - 1]!;
    const num = this.chain.length;
    for (let i = 0; i < num; i++) {
      const x = this.chain[i]!;
      if (i > 0 && (x.keyType === undefined || x.keyBits < min)) {
        this.fail(X509_V_ERR.CA_KEY_TOO_SMALL, i, `the CA key at depth ${i} has ${x.keyBits} bits of security, below security level ${this.level}`);
      }
      if (i < num - 1 && (x.sigAlg?.securityBits ?? 0) < min) {
        this.fail(X509_V_ERR.CA_MD_TOO_WEAK, i, `${x.sigAlg?.name ?? 'the signature algorithm'} at depth ${i} is below security level ${this.level}`);
      }
    }
  }

  /** internal_verify(): signatures and validity periods, from the top down. */
  private internalVerify(): void {
    let n = this.chain.length - 1;
    let xi = this.chain[n]!;
    let xs = xi;
    if (!likelyIssued(xi, xi) && !this.partialChain) {
      if (n > 0) {
        n--;
        xs = this.chain[n]!;
      } else {
        this.fail(X509_V_ERR.UNABLE_TO_VERIFY_LEAF_SIGNATURE, 0, 'the leaf\'s issuer is unknown, so its signature cannot be checked');
      }
    }
    for (;;) {
      if (xs !== xi) {
        const issuerDepth = n + 1;
        const noSign = xs.ext.proxyCertInfo
          ? (hasKeyUsage(xi, KeyUsage.digitalSignature) ? undefined : X509_V_ERR.KEYUSAGE_NO_DIGITAL_SIGNATURE)
          : (hasKeyUsage(xi, KeyUsage.keyCertSign) ? undefined : X509_V_ERR.KEYUSAGE_NO_CERTSIGN);
        if (noSign !== undefined) this.fail(noSign, issuerDepth, `the keyUsage of the issuer at depth ${issuerDepth} does not allow certificate signing`);
        if (this.checkSignatures) this.checkSignature(xs, xi, n);
      }
      const time = this.timeError(xs);
      if (time === X509_V_ERR.CERT_NOT_YET_VALID) {
        this.fail(time, n, `the certificate at depth ${n} is not valid before ${xs.info.notBefore.toISOString()}`);
        if (xs.info.notAfter.getTime() <= this.nowSeconds * 1000) {
          this.fail(X509_V_ERR.CERT_HAS_EXPIRED, n, `the certificate at depth ${n} expired at ${xs.info.notAfter.toISOString()}`);
        }
      } else if (time === X509_V_ERR.CERT_HAS_EXPIRED) {
        this.fail(time, n, `the certificate at depth ${n} expired at ${xs.info.notAfter.toISOString()}`);
      }
      if (--n < 0) break;
      xi = xs;
      xs = this.chain[n]!;
    }
  }

  /** One signature of the path, within the budget; the first failure ends the checks (see the header). */
  private checkSignature(subject: Cert, issuer: Cert, depth: number): void {
    if (this.signatureChecks >= this.maxSignatureChecks) {
      this.checkSignatures = false;
      this.fail(X509_V_ERR.CERT_CHAIN_TOO_LONG, depth, `verifying this path needs more than ${this.maxSignatureChecks} signature checks`);
      return;
    }
    const failure = this.signatureFailure(subject, issuer);
    if (failure !== undefined) {
      this.checkSignatures = false;
      this.fail(X509_V_ERR.CERT_SIGNATURE_FAILURE, depth, failure);
    }
  }

  /** X509_verify(): why `subject`'s signature does not verify with `issuer`'s key, or undefined when it does. */
  private signatureFailure(subject: Cert, issuer: Cert): string | undefined {
    const { info } = subject;
    if (!bytesEqual(info.signatureAlgorithmDer, info.tbsSignatureAlgorithmDer)) {
      return 'the signature algorithm inside the certificate differs from the one outside';
    }
    const alg = SIGNATURE_ALGORITHMS[info.signatureAlgorithm];
    const algName = alg?.name ?? `signature algorithm ${info.signatureAlgorithm}`;
    const cannot = `puretls cannot check ${algName} signatures (${CHECKED}): unsupported algorithm`;
    switch (alg?.keyType) {
      case 'EC': {
        if (alg.hash === undefined) return cannot;
        const curve = issuer.info.publicKeyCurve;
        if (issuer.keyType !== 'EC' || curve === undefined) {
          return `puretls cannot check signatures by this issuer key (only P-256 and P-384 EC keys): unsupported algorithm`;
        }
        this.signatureChecks++;
        return this.options.crypto.ecdsaVerify(curve, issuer.info.publicKey, alg.hash, info.tbs, info.signatureValue)
          ? undefined
          : `the ${algName} signature does not verify with the issuer's ${curve} key`;
      }
      case 'RSA':
        // SHA-1 (and MD5, SHA-224, SHA-3) RSA signatures stay unchecked: RFC 9155, and no caller needs them.
        if (alg.hash === undefined || !isRsaHash(alg.hash)) return cannot;
        if (issuer.info.publicKeyAlgorithm !== OID_RSA_ENCRYPTION) return `a ${algName} signature by an issuer key that is not rsaEncryption`;
        return this.rsaSignatureFailure(info, issuer, { kind: 'pkcs1', hash: alg.hash }, algName);
      case 'RSA-PSS': {
        const params = pssParametersOf(info.signatureAlgorithmDer);
        if (typeof params === 'string') return `${params}: the signature cannot be checked`;
        const { hash, mgf1Hash, saltLength, trailerField } = params;
        if (!isRsaHash(hash) || !isRsaHash(mgf1Hash)) {
          return `puretls cannot check RSASSA-PSS signatures with ${hash} and MGF1-${mgf1Hash} (${CHECKED}): unsupported algorithm`;
        }
        if (trailerField !== 1) return `RSASSA-PSS trailerField ${trailerField} (only 1 exists)`;
        const keyRule = this.pssKeyRestrictionFailure(issuer, params);
        if (keyRule !== undefined) return keyRule;
        return this.rsaSignatureFailure(info, issuer, { kind: 'pss', hash, mgf1Hash, saltLength }, `RSASSA-PSS (${hash}, salt ${saltLength})`);
      }
      case 'Ed25519':
      case 'Ed448':
        return this.eddsaSignatureFailure(info, issuer, alg.keyType);
      default:
        return cannot;
    }
  }

  private rsaSignatureFailure(info: CertificateInfo, issuer: Cert, padding: RsaPadding, algName: string): string | undefined {
    let problem: string | undefined;
    try {
      problem = rsaPublicKeyProblem(decodeRsaPublicKey(issuer.info.publicKey));
    } catch {
      problem = 'an RSAPublicKey that does not decode';
    }
    if (problem !== undefined) return `the issuer's key is ${problem}: the signature cannot be checked`;
    this.signatureChecks++;
    return this.options.crypto.rsaVerify(issuer.info.publicKey, padding, info.tbs, info.signatureValue)
      ? undefined
      : `the ${algName} signature does not verify with the issuer's RSA key`;
  }

  /** An id-RSASSA-PSS issuer key with parameters signs only with its hashes and at least its salt length (RFC 4055 §3.1; OpenSSL's pkey_pss_init()). */
  private pssKeyRestrictionFailure(issuer: Cert, params: RsaPssParameters): string | undefined {
    const keyParams = issuer.info.publicKeyAlgorithm === OID_RSASSA_PSS ? issuer.info.publicKeyParameters : undefined;
    if (keyParams === undefined) return undefined;
    let restriction: RsaPssParameters;
    try {
      restriction = decodeRsaPssParameters(keyParams);
    } catch {
      return 'the issuer\'s RSA-PSS key parameters do not decode';
    }
    if (restriction.hash !== params.hash || restriction.mgf1Hash !== params.mgf1Hash || params.saltLength < restriction.saltLength) {
      return `an RSASSA-PSS signature (${params.hash}, MGF1-${params.mgf1Hash}, salt ${params.saltLength}) its issuer's RSA-PSS key does not allow ` +
        `(${restriction.hash}, MGF1-${restriction.mgf1Hash}, salt at least ${restriction.saltLength})`;
    }
    return undefined;
  }

  private eddsaSignatureFailure(info: CertificateInfo, issuer: Cert, algorithm: EddsaAlgorithm): string | undefined {
    // RFC 8410 §3: the parameters MUST be absent (OpenSSL's ecd_item_verify() refuses them too).
    const id = new DerReader(info.signatureAlgorithmDer).sequence();
    id.oid();
    if (!id.atEnd()) return `an ${algorithm} signature algorithm with parameters`;
    if (issuer.info.publicKeyAlgorithm !== EDDSA_OIDS[algorithm]) return `an ${algorithm} signature by an issuer key that is not ${algorithm}`;
    this.signatureChecks++;
    return this.options.crypto.eddsaVerify(algorithm, issuer.info.publicKey, info.tbs, info.signatureValue)
      ? undefined
      : `the ${algorithm} signature does not verify with the issuer's key`;
  }

  /** check_name_constraints(): each certificate against the constraints of every CA above it. */
  private checkNameConstraints(): void {
    const num = this.chain.length;
    for (let i = num - 1; i >= 0; i--) {
      const x = this.chain[i]!;
      if (i !== 0 && x.selfIssued) continue;
      for (let j = num - 1; j > i; j--) {
        const nc = this.chain[j]!.ext.nameConstraints;
        if (!nc) continue;
        let rv = nameConstraintsCheck(x, nc);
        if (rv === X509_V_OK && i === 0 && !(x.ext.subjectAltNames ?? []).some((g) => g.tag === GeneralNameTag.dNSName)) {
          rv = nameConstraintsCheckCn(x, nc);
        }
        if (rv !== X509_V_OK) this.fail(rv, i, `the names of the certificate at depth ${i} violate the name constraints of the CA at depth ${j}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Name constraints (v3_ncons.c).

type NameConstraints = NonNullable<CertificateExtensions['nameConstraints']>;

const OID_EMAIL_ADDRESS = '1.2.840.113549.1.9.1';
const OID_COMMON_NAME = '2.5.4.3';
const OID_SMTP_UTF8_MAILBOX = '1.3.6.1.5.5.7.8.9';
const NAME_CHECK_MAX = 1 << 20;

/** The (type, value) attributes of a Name, in order. */
function nameAttributes(raw: Uint8Array): { type: string; tag: number; value: Uint8Array }[] {
  const out: { type: string; tag: number; value: Uint8Array }[] = [];
  const name = new DerReader(raw).sequence('Name');
  while (!name.atEnd()) {
    const rdn = new DerReader(name.expect(Tag.SET, 'RelativeDistinguishedName'));
    while (!rdn.atEnd()) {
      const atv = rdn.sequence('AttributeTypeAndValue');
      const type = atv.oid('attribute type');
      const { tag, value } = atv.read();
      out.push({ type, tag, value });
    }
  }
  return out;
}

function nameConstraintsCheck(x: Cert, nc: NameConstraints): number {
  const attributes = nameAttributes(x.info.subject);
  const altNames = x.ext.subjectAltNames ?? [];
  const nameCount = attributes.length + altNames.length;
  const constraintCount = nc.permitted.length + nc.excluded.length;
  if (nameCount > 0 && constraintCount > NAME_CHECK_MAX / nameCount) return X509_V_ERR.UNSPECIFIED;
  if (attributes.length > 0) {
    const r = ncMatch({ tag: GeneralNameTag.directoryName, value: x.info.subject }, nc);
    if (r !== X509_V_OK) return r;
    for (const a of attributes) {
      if (a.type !== OID_EMAIL_ADDRESS) continue;
      if (a.tag !== Tag.IA5String) return X509_V_ERR.UNSUPPORTED_NAME_SYNTAX;
      const r2 = ncMatch({ tag: GeneralNameTag.rfc822Name, value: a.value }, nc);
      if (r2 !== X509_V_OK) return r2;
    }
  }
  for (const g of altNames) {
    const r = ncMatch(g, nc);
    if (r !== X509_V_OK) return r;
  }
  return X509_V_OK;
}

/** NAME_CONSTRAINTS_check_CN(): common names that look like host names, against DNS constraints. */
function nameConstraintsCheckCn(x: Cert, nc: NameConstraints): number {
  for (const a of nameAttributes(x.info.subject)) {
    if (a.type !== OID_COMMON_NAME) continue;
    let id = new TextEncoder().encode(cnString(a.tag, a.value));
    let len = id.length;
    while (len > 0 && id[len - 1] === 0) len--;
    id = id.subarray(0, len);
    if (id.includes(0)) return X509_V_ERR.UNSUPPORTED_NAME_SYNTAX;
    if (!looksLikeDnsName(id)) continue;
    const r = ncMatch({ tag: GeneralNameTag.dNSName, value: id }, nc);
    if (r !== X509_V_OK) return r;
  }
  return X509_V_OK;
}

function cnString(tag: number, value: Uint8Array): string {
  try {
    return stringValue(tag, value);
  } catch {
    return '';
  }
}

/** cn2dnsid(): letters, digits, '_', inner '-' and '.', no '.' next to '.' or '-', at least two labels. */
function looksLikeDnsName(id: Uint8Array): boolean {
  let isDns = false;
  for (let i = 0; i < id.length; i++) {
    const c = id[i]!;
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f) continue;
    if (i > 0 && i < id.length - 1) {
      if (c === 0x2d) continue;
      if (c === 0x2e && id[i + 1] !== 0x2e && id[i - 1] !== 0x2d && id[i + 1] !== 0x2d) {
        isDns = true;
        continue;
      }
    }
    return false;
  }
  return isDns;
}

function ncMatch(gen: GeneralName, nc: NameConstraints): number {
  let type = gen.tag;
  if (type === GeneralNameTag.otherName && gen.typeId === OID_SMTP_UTF8_MAILBOX) type = GeneralNameTag.rfc822Name;
  const applies = (sub: GeneralSubtree): boolean =>
    sub.base.tag === type && (type !== GeneralNameTag.otherName || sub.base.typeId === gen.typeId);
  let match = 0;
  for (const sub of nc.permitted) {
    if (!applies(sub)) continue;
    if (!sub.minMaxValid) return X509_V_ERR.SUBTREE_MINMAX;
    if (match === 2) continue;
    if (match === 0) match = 1;
    const r = ncMatchSingle(type, gen, sub.base);
    if (r === X509_V_OK) match = 2;
    else if (r !== X509_V_ERR.PERMITTED_VIOLATION) return r;
  }
  if (match === 1) return X509_V_ERR.PERMITTED_VIOLATION;
  for (const sub of nc.excluded) {
    if (!applies(sub)) continue;
    if (!sub.minMaxValid) return X509_V_ERR.SUBTREE_MINMAX;
    const r = ncMatchSingle(type, gen, sub.base);
    if (r === X509_V_OK) return X509_V_ERR.EXCLUDED_VIOLATION;
    if (r !== X509_V_ERR.PERMITTED_VIOLATION) return r;
  }
  return X509_V_OK;
}

function ncMatchSingle(effectiveType: number, gen: GeneralName, base: GeneralName): number {
  switch (gen.tag) {
    case GeneralNameTag.otherName:
      // SmtpUTF8Mailbox against rfc822Name constraints: OpenSSL compares after IDNA conversion; we do not.
      return effectiveType === GeneralNameTag.rfc822Name ? X509_V_ERR.UNSUPPORTED_NAME_SYNTAX : X509_V_ERR.UNSUPPORTED_CONSTRAINT_TYPE;
    case GeneralNameTag.directoryName: {
      const name = canonicalName(gen.value);
      const prefix = canonicalName(base.value);
      if (prefix.length > name.length || !bytesEqual(prefix, name.subarray(0, prefix.length))) return X509_V_ERR.PERMITTED_VIOLATION;
      return X509_V_OK;
    }
    case GeneralNameTag.dNSName:
      return ncDns(gen.value, base.value);
    case GeneralNameTag.rfc822Name:
      return ncEmail(gen.value, base.value);
    case GeneralNameTag.uniformResourceIdentifier:
      return ncUri(gen.value, base.value);
    case GeneralNameTag.iPAddress:
      return ncIp(gen.value, base.value);
    default:
      return X509_V_ERR.UNSUPPORTED_CONSTRAINT_TYPE;
  }
}

const lower = (c: number): number => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);

/** ia5ncasecmp(): equal ignoring ASCII case over n bytes. */
function caseEqual(a: Uint8Array, ai: number, b: Uint8Array, bi: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (lower(a[ai + k]!) !== lower(b[bi + k]!)) return false;
  return true;
}

function ncDns(dns: Uint8Array, base: Uint8Array): number {
  if (base.length === 0) return X509_V_OK;
  if (dns.length < base.length) return X509_V_ERR.PERMITTED_VIOLATION;
  const at = dns.length - base.length;
  if (at > 0 && base[0] !== 0x2e && dns[at - 1] !== 0x2e) return X509_V_ERR.PERMITTED_VIOLATION;
  return caseEqual(base, 0, dns, at, base.length) ? X509_V_OK : X509_V_ERR.PERMITTED_VIOLATION;
}

function ncEmail(eml: Uint8Array, base: Uint8Array): number {
  const baseAt = base.lastIndexOf(0x40);
  const emlAt = eml.lastIndexOf(0x40);
  if (emlAt < 0) return X509_V_ERR.UNSUPPORTED_NAME_SYNTAX;
  // Special case: a leading '.' matches the right-hand side.
  if (baseAt < 0 && base.length > 0 && base[0] === 0x2e) {
    if (eml.length > base.length && caseEqual(base, 0, eml, eml.length - base.length, base.length)) return X509_V_OK;
    return X509_V_ERR.PERMITTED_VIOLATION;
  }
  let baseHost = 0;
  if (baseAt >= 0) {
    if (baseAt !== 0) {
      if (baseAt !== emlAt) return X509_V_ERR.PERMITTED_VIOLATION;
      if (base.subarray(0, baseAt).includes(0) || eml.subarray(0, emlAt).includes(0)) return X509_V_ERR.UNSUPPORTED_NAME_SYNTAX;
      if (!bytesEqual(base.subarray(0, baseAt), eml.subarray(0, emlAt))) return X509_V_ERR.PERMITTED_VIOLATION; // local part: case-sensitive
    }
    baseHost = baseAt + 1;
  }
  const emlHost = emlAt + 1;
  const n = base.length - baseHost;
  if (n !== eml.length - emlHost || !caseEqual(base, baseHost, eml, emlHost, n)) return X509_V_ERR.PERMITTED_VIOLATION;
  return X509_V_OK;
}

function ncUri(uri: Uint8Array, base: Uint8Array): number {
  const colon = uri.indexOf(0x3a);
  if (colon < 0 || uri.length - colon < 3 || uri[colon + 1] !== 0x2f || uri[colon + 2] !== 0x2f) return X509_V_ERR.UNSUPPORTED_NAME_SYNTAX;
  const host = colon + 3;
  let end = uri.indexOf(0x3a, host);
  if (end < 0) end = uri.indexOf(0x2f, host);
  const hostLen = (end < 0 ? uri.length : end) - host;
  if (hostLen === 0) return X509_V_ERR.UNSUPPORTED_NAME_SYNTAX;
  if (base.length > 0 && base[0] === 0x2e) {
    if (hostLen > base.length && caseEqual(uri, host + hostLen - base.length, base, 0, base.length)) return X509_V_OK;
    return X509_V_ERR.PERMITTED_VIOLATION;
  }
  if (base.length !== hostLen || !caseEqual(uri, host, base, 0, hostLen)) return X509_V_ERR.PERMITTED_VIOLATION;
  return X509_V_OK;
}

function ncIp(ip: Uint8Array, base: Uint8Array): number {
  if (ip.length * 2 !== base.length) return X509_V_ERR.PERMITTED_VIOLATION;
  for (let i = 0; i < ip.length; i++) {
    if ((ip[i]! & base[ip.length + i]!) !== base[i]) return X509_V_ERR.PERMITTED_VIOLATION;
  }
  return X509_V_OK;
}
