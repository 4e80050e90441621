import { NamedGroup } from './codec/enums.js';
import { TlsConfigError } from './errors.js';
import { SUITES, suiteByName, type CipherSuite } from './protocol/suites.js';

/**
 * Parses an OpenSSL-style cipher list ("ECDHE-ECDSA-AES128-GCM-SHA256:!CHACHA20", "HIGH").
 * As in OpenSSL, names of ciphers we do not implement are skipped and only a list that
 * leaves nothing is an error. Exact names keep their order; keywords add the rest in ours.
 */
export function parseCipherList(list: string | readonly string[]): CipherSuite[] {
  const tokens = (typeof list === 'string' ? list.split(/[:, ]+/) : [...list]).filter((t) => t.length > 0);
  const chosen: CipherSuite[] = [];
  const removed = new Set<number>();
  const add = (s: CipherSuite): void => {
    if (!chosen.includes(s) && !removed.has(s.id)) chosen.push(s);
  };
  for (const token of tokens) {
    const negate = token.startsWith('!') || token.startsWith('-');
    const name = negate || token.startsWith('+') ? token.slice(1) : token;
    const matched = matchCipherKeyword(name);
    if (negate) {
      for (const s of matched) {
        if (token.startsWith('!')) removed.add(s.id); // '!' is permanent; '-' may be added back
        const i = chosen.indexOf(s);
        if (i >= 0) chosen.splice(i, 1);
      }
    } else {
      matched.forEach(add);
    }
  }
  if (chosen.length === 0) {
    throw new TlsConfigError(
      'ERR_NO_CIPHER_MATCH',
      `no supported cipher suite in ${JSON.stringify(list)}; puretls supports ${SUITES.map((s) => s.opensslName).join(', ')}`,
    );
  }
  return chosen;
}

/**
 * The suites an OpenSSL cipher-string element selects: a suite name, a keyword, or keywords
 * joined by '+' (their intersection, as OpenSSL's "ECDHE+AESGCM" or "EECDH+aRSA").
 */
function matchCipherKeyword(name: string): CipherSuite[] {
  const exact = suiteByName(name);
  if (exact) return [exact];
  const [first, ...rest] = name.split('+');
  return rest.reduce((acc, keyword) => {
    const also = matchOneKeyword(keyword);
    return acc.filter((s) => also.includes(s));
  }, matchOneKeyword(first!));
}

/**
 * One OpenSSL keyword, as far as it covers our suites (checked against `openssl ciphers`
 * in the tests). "RSA" and "kRSA" are static-RSA key exchange, which puretls never does:
 * they select nothing; the RSA-signed ECDHE suites are "aRSA".
 */
function matchOneKeyword(keyword: string): CipherSuite[] {
  const exact = suiteByName(keyword);
  if (exact) return [exact];
  switch (keyword.toUpperCase()) {
    case 'DEFAULT':
    case 'ALL':
    case 'HIGH':
    case 'ECDHE':
    case 'EECDH':
    case 'ECDH':
    case 'KECDHE':
    case 'KEECDH':
    case 'AEAD':
    case 'TLSV1.2':
      return [...SUITES];
    case 'ECDSA':
    case 'AECDSA':
      return SUITES.filter((s) => s.auth === 'ECDSA');
    case 'ARSA':
      return SUITES.filter((s) => s.auth === 'RSA');
    case 'SUITEB128':
      return SUITES.filter((s) => s.auth === 'ECDSA' && s.aead !== 'chacha20-poly1305');
    case 'SUITEB128ONLY':
      return SUITES.filter((s) => s.auth === 'ECDSA' && s.aead === 'aes-128-gcm');
    case 'SUITEB192':
      return SUITES.filter((s) => s.auth === 'ECDSA' && s.aead === 'aes-256-gcm');
    case 'AESGCM':
    case 'AES':
      return SUITES.filter((s) => s.aead !== 'chacha20-poly1305');
    case 'AES128':
      return SUITES.filter((s) => s.aead === 'aes-128-gcm');
    case 'AES256':
      return SUITES.filter((s) => s.aead === 'aes-256-gcm');
    case 'CHACHA20':
      return SUITES.filter((s) => s.aead === 'chacha20-poly1305');
    default:
      return [];
  }
}

const GROUP_NAMES: ReadonlyMap<string, number> = new Map([
  ['x25519', NamedGroup.x25519],
  ['p-256', NamedGroup.secp256r1],
  ['prime256v1', NamedGroup.secp256r1],
  ['secp256r1', NamedGroup.secp256r1],
  ['p-384', NamedGroup.secp384r1],
  ['secp384r1', NamedGroup.secp384r1],
]);

export const DEFAULT_GROUPS: readonly number[] = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

/** Parses node:tls's `ecdhCurve` ("auto", or "X25519:P-256"); unknown names are an error. */
export function parseGroupList(list: string | readonly string[]): number[] {
  if (list === 'auto') return [...DEFAULT_GROUPS];
  const names = (typeof list === 'string' ? list.split(':') : [...list]).map((n) => n.trim()).filter((n) => n.length > 0);
  if (names.length === 0) throw new TlsConfigError('ERR_INVALID_GROUP', 'empty group list');
  const groups: number[] = [];
  for (const name of names) {
    const g = GROUP_NAMES.get(name.toLowerCase());
    if (g === undefined) {
      throw new TlsConfigError('ERR_INVALID_GROUP', `unsupported group ${JSON.stringify(name)}; puretls supports X25519, P-256, P-384`);
    }
    if (!groups.includes(g)) groups.push(g);
  }
  return groups;
}

export function groupName(group: number): string {
  switch (group) {
    case NamedGroup.x25519:
      return 'X25519';
    case NamedGroup.secp256r1:
      return 'prime256v1';
    case NamedGroup.secp384r1:
      return 'secp384r1';
    default:
      return `unknown(${group})`;
  }
}
