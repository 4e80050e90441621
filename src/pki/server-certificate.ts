/**
 * The server's certificates: a private key with its chain, and what the key can sign. A
 * context holds several (node:tls's `key`/`cert` arrays, OpenSSL's one certificate per key
 * type, Go's `Certificates`); the handshake picks one per client (handshake/negotiate.ts).
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { TlsConfigError } from '../errors.js';
import { ECDSA_SCHEME_HASH, ECDSA_SCHEME_PREFERENCE, EDDSA_SCHEME, RSA_SCHEME_BY_CODE, RSA_SCHEME_CODE } from '../protocol/signature-schemes.js';
import type { SuiteAuthentication } from '../protocol/suites.js';
import { keyMatchesCertificate, loadCertificateChain, parseCertificate, type CertificateInfo } from './certificate.js';
import { loadAnyPrivateKey, rsaSignatureSchemes, type EcCurveName, type PrivateKey } from './keys.js';

/** A PEM text, as a string or its bytes. */
export type PemInput = string | Uint8Array;

/** The kinds of key a server certificate may have, in the order a context prefers them. */
export type ServerKeyType = 'EC' | 'Ed25519' | 'Ed448' | 'RSA' | 'RSA-PSS';

const KEY_TYPE_ORDER: readonly ServerKeyType[] = ['EC', 'Ed25519', 'Ed448', 'RSA', 'RSA-PSS'];

/** One certificate a context serves: its chain, what its key is, and the key's signer. */
export interface ServerCertificate {
  /** DER certificates, leaf first, as the Certificate message carries them. */
  readonly chain: readonly Uint8Array[];
  /** The leaf, parsed (names, validity, public key). */
  readonly leaf: CertificateInfo;
  /** The kind of key the leaf certifies (and the private key is). */
  readonly keyType: ServerKeyType;
  /** The suites this certificate serves: ECDSA (EC and EdDSA keys, RFC 8422) or RSA. */
  readonly auth: SuiteAuthentication;
  /** An EC key's curve, which the client's supported_groups must admit (RFC 8422 §5.1); else undefined. */
  readonly curve: EcCurveName | undefined;
  /** RSA modulus bits; undefined for other keys. */
  readonly rsaBits: number | undefined;
  /** The signature schemes (code points) the key signs with, ours first. Never SHA-1 (RFC 9155). */
  readonly signatureSchemes: readonly number[];
  /**
   * Signs `message` with `scheme` (one of `signatureSchemes`). An RSA signature is verified
   * before it is returned; a fault throws a TlsError with internal_error, never a bad signature.
   */
  sign(scheme: number, message: Uint8Array): Uint8Array;
}

/**
 * Loads keys and certificate chains and pairs them as OpenSSL does when node:tls gives it
 * arrays: each chain goes with the key whose public key its leaf carries, whatever the order.
 * Every key and every chain must find its partner. The result keeps the chains' order.
 */
export function loadServerCertificates(crypto: CryptoProvider, keys: readonly PemInput[], certs: readonly PemInput[]): ServerCertificate[] {
  if (keys.length === 0 || certs.length === 0) {
    throw new TlsConfigError('ERR_MISSING_CERTIFICATE', 'both key and cert are needed to serve TLS');
  }
  const loadedKeys = keys.map((pem) => loadAnyPrivateKey(pem));
  const chains = certs.map((pem) => loadCertificateChain(pem));
  const used = new Set<number>();
  const out: ServerCertificate[] = [];
  chains.forEach((chain, i) => {
    const leaf = parseCertificate(chain[0]!);
    const k = loadedKeys.findIndex((key, j) => !used.has(j) && keyMatchesCertificate(key, leaf));
    if (k < 0) {
      throw new TlsConfigError(
        'ERR_KEY_CERT_MISMATCH',
        certs.length === 1
          ? 'the private key does not match the first certificate of the chain'
          : `no private key matches the first certificate of chain ${i + 1} of ${certs.length}`,
      );
    }
    used.add(k);
    out.push(serverCertificate(crypto, loadedKeys[k]!, chain, leaf));
  });
  if (used.size < loadedKeys.length) {
    const stray = loadedKeys.findIndex((_, j) => !used.has(j));
    throw new TlsConfigError('ERR_KEY_CERT_MISMATCH', `private key ${stray + 1} of ${keys.length} matches no certificate`);
  }
  return out;
}

/** The certificates in the order the handshake tries them: EC, then EdDSA, then RSA; stable within a kind. */
export function byPreference(certificates: readonly ServerCertificate[]): ServerCertificate[] {
  return [...certificates].sort((a, b) => KEY_TYPE_ORDER.indexOf(a.keyType) - KEY_TYPE_ORDER.indexOf(b.keyType));
}

function serverCertificate(crypto: CryptoProvider, key: PrivateKey, chain: Uint8Array[], leaf: CertificateInfo): ServerCertificate {
  const base = { chain, leaf };
  switch (key.type) {
    case 'EC': {
      const signer = crypto.ecdsaSigningKey(key.curve, key.secret);
      const schemes = ECDSA_SCHEME_PREFERENCE[key.curve];
      return {
        ...base,
        keyType: 'EC',
        auth: 'ECDSA',
        curve: key.curve,
        rsaBits: undefined,
        signatureSchemes: schemes,
        sign: (scheme, message) => signer.sign(ECDSA_SCHEME_HASH.get(checked(schemes, scheme))!, message),
      };
    }
    case 'RSA': {
      const signer = crypto.rsaSigningKey(key);
      const schemes = rsaSignatureSchemes(key).map((name) => RSA_SCHEME_CODE[name]);
      return {
        ...base,
        keyType: key.algorithm === 'RSASSA-PSS' ? 'RSA-PSS' : 'RSA',
        auth: 'RSA',
        curve: undefined,
        rsaBits: key.bits,
        signatureSchemes: schemes,
        sign: (scheme, message) => signer.sign(RSA_SCHEME_BY_CODE.get(checked(schemes, scheme))!, message),
      };
    }
    case 'Ed25519':
    case 'Ed448': {
      const signer = crypto.eddsaSigningKey(key.type, key.secret);
      const schemes = [EDDSA_SCHEME[key.type]];
      return {
        ...base,
        keyType: key.type,
        auth: 'ECDSA',
        curve: undefined,
        rsaBits: undefined,
        signatureSchemes: schemes,
        sign: (scheme, message) => {
          checked(schemes, scheme);
          return signer.sign(message);
        },
      };
    }
  }
}

function checked(schemes: readonly number[], scheme: number): number {
  if (!schemes.includes(scheme)) throw new RangeError(`this key does not sign with scheme 0x${scheme.toString(16)}`);
  return scheme;
}
