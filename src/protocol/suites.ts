import { CipherSuiteId } from '../codec/enums.js';
import type { AeadAlgorithm, HashAlgorithm } from '../crypto/provider.js';

/**
 * How the server authenticates in a suite: which certificate it needs. Every suite here is
 * ECDHE (never static-RSA key exchange: Bleichenbacher, ROBOT, Marvin). The "ECDSA" suites
 * also carry EdDSA certificates (RFC 8422 §5.1.3: ECDHE_ECDSA names the signature family).
 */
export type SuiteAuthentication = 'ECDSA' | 'RSA';

/** A TLS 1.2 AEAD cipher suite (after Go's cipher_suites.go table). */
export interface CipherSuite {
  /** The IANA code point, e.g. 0xc02b. */
  readonly id: number;
  /** The certificate the suite needs (OpenSSL's aECDSA / aRSA). */
  readonly auth: SuiteAuthentication;
  /** The IANA name, as `getCipher().standardName` reports it. */
  readonly name: string;
  /** OpenSSL's name, as `ciphers` strings and `getCipher().name` use it. */
  readonly opensslName: string;
  /** The record protection. */
  readonly aead: AeadAlgorithm;
  /** The PRF hash (RFC 5246 §5) and Finished hash. */
  readonly hash: HashAlgorithm;
  /** Bytes of each direction's AEAD key. */
  readonly keyLength: number;
  /** Bytes of the key block's IV: the GCM salt (RFC 5288) or the ChaCha20 IV (RFC 7905). */
  readonly fixedIvLength: number;
  /** Bytes of explicit nonce carried in each record: 8 for GCM, 0 for ChaCha20-Poly1305. */
  readonly explicitNonceLength: number;
}

/**
 * Our suites in server preference order: the ECDSA ones, then the RSA ones (an ECDSA
 * certificate first when a context has both, as OpenSSL's and Go's default orders do),
 * each family AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305.
 */
export const SUITES: readonly CipherSuite[] = [
  {
    id: CipherSuiteId.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    auth: 'ECDSA',
    opensslName: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    aead: 'aes-128-gcm',
    hash: 'sha256',
    keyLength: 16,
    fixedIvLength: 4,
    explicitNonceLength: 8,
  },
  {
    id: CipherSuiteId.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    name: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    auth: 'ECDSA',
    opensslName: 'ECDHE-ECDSA-AES256-GCM-SHA384',
    aead: 'aes-256-gcm',
    hash: 'sha384',
    keyLength: 32,
    fixedIvLength: 4,
    explicitNonceLength: 8,
  },
  {
    id: CipherSuiteId.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    name: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
    auth: 'ECDSA',
    opensslName: 'ECDHE-ECDSA-CHACHA20-POLY1305',
    aead: 'chacha20-poly1305',
    hash: 'sha256',
    keyLength: 32,
    fixedIvLength: 12,
    explicitNonceLength: 0,
  },
  {
    id: CipherSuiteId.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    auth: 'RSA',
    opensslName: 'ECDHE-RSA-AES128-GCM-SHA256',
    aead: 'aes-128-gcm',
    hash: 'sha256',
    keyLength: 16,
    fixedIvLength: 4,
    explicitNonceLength: 8,
  },
  {
    id: CipherSuiteId.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    name: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    auth: 'RSA',
    opensslName: 'ECDHE-RSA-AES256-GCM-SHA384',
    aead: 'aes-256-gcm',
    hash: 'sha384',
    keyLength: 32,
    fixedIvLength: 4,
    explicitNonceLength: 8,
  },
  {
    id: CipherSuiteId.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    name: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    auth: 'RSA',
    opensslName: 'ECDHE-RSA-CHACHA20-POLY1305',
    aead: 'chacha20-poly1305',
    hash: 'sha256',
    keyLength: 32,
    fixedIvLength: 12,
    explicitNonceLength: 0,
  },
];

export function suiteById(id: number): CipherSuite | undefined {
  return SUITES.find((s) => s.id === id);
}

/** Looks a suite up by its OpenSSL or IANA name. */
export function suiteByName(name: string): CipherSuite | undefined {
  return SUITES.find((s) => s.opensslName === name || s.name === name);
}
