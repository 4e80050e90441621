/**
 * OpenSSL cipher strings (`ciphers`): which of our six suites each keyword selects must be
 * what `openssl ciphers` selects among them (the order is ours, server preference).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'mocha';
import { parseCipherList } from '../../src/config-names.js';
import { TlsConfigError } from '../../src/errors.js';
import { SUITES } from '../../src/protocol/suites.js';

const OURS = new Set(SUITES.map((s) => s.opensslName));

/** The suites of ours that `openssl ciphers` lists for `spec`, as a sorted list (none when it matches nothing). */
function opensslSelects(spec: string): string[] {
  let out: string;
  try {
    out = execFileSync('openssl', ['ciphers', '-tls1_2', spec], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (e) {
    // openssl exits 1 with "no cipher match" on stderr when the string selects nothing; any
    // other failure is a broken test environment, not an empty selection.
    if (/no cipher match/.test(String((e as { stderr?: Buffer }).stderr ?? ''))) return [];
    throw e;
  }
  return out.trim().split(':').filter((n) => OURS.has(n)).sort();
}

function oursSelect(spec: string): string[] {
  try {
    return parseCipherList(spec).map((s) => s.opensslName).sort();
  } catch (e) {
    if (e instanceof TlsConfigError && e.reason === 'ERR_NO_CIPHER_MATCH') return [];
    throw e;
  }
}

describe('cipher strings: the suites a keyword selects, as openssl ciphers says', () => {
  const specs = [
    'aRSA', 'RSA', 'kRSA', 'ECDSA', 'aECDSA', 'ECDHE', 'EECDH', 'kECDHE', 'kEECDH', 'ECDH', 'HIGH', 'DEFAULT', 'ALL', 'TLSv1.2',
    'AESGCM', 'AES', 'AES128', 'AES256', 'CHACHA20', 'SUITEB128', 'SUITEB128ONLY', 'SUITEB192',
    'ECDHE+AESGCM', 'EECDH+aRSA', 'aRSA+AES128', 'ECDSA+CHACHA20', 'HIGH:!aRSA', 'HIGH:!ECDSA', 'ECDHE:!AES256',
    'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384',
    // node:tls's default list (tls.DEFAULT_CIPHERS in node 20, without the TLS 1.3 names).
    'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:DHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA256:DHE-RSA-AES256-SHA256:HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA',
  ];
  for (const spec of specs) {
    it(spec.length > 60 ? `${spec.slice(0, 60)}...` : spec, () => {
      assert.deepEqual(oursSelect(spec), opensslSelects(spec));
    });
  }

  it('"RSA" (static-RSA key exchange, never done) selects nothing; "aRSA" the three ECDHE-RSA suites in our order', () => {
    assert.throws(() => parseCipherList('RSA'), (e: unknown) => e instanceof TlsConfigError && e.reason === 'ERR_NO_CIPHER_MATCH');
    assert.deepEqual(parseCipherList('aRSA').map((s) => s.opensslName), ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305']);
    assert.deepEqual(parseCipherList('HIGH').map((s) => s.auth), ['ECDSA', 'ECDSA', 'ECDSA', 'RSA', 'RSA', 'RSA']);
  });
});
