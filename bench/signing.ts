/**
 * npm run bench:signing [-- --quick]
 *
 * What one server signature costs (a full handshake makes one): puretls's RSA at 2048, 3072
 * and 4096 bits (CRT + sliding window + base and exponent blinding + verification of the
 * result), the same exponentiations without the protections, node:crypto (OpenSSL) for
 * comparison, and EdDSA / ECDSA. One process, one core, CPU time, median of 5 rounds.
 */
import nodeCrypto from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { NobleCryptoProvider } from '../src/crypto/noble.js';
import type { RsaPrivateKeyParts } from '../src/crypto/provider.js';
import { bytesToBigInt, emsaPkcs1Encode, modPow, rsaDigest } from '../src/crypto/rsa.js';
import { median } from './common.js';

const quick = process.argv.includes('--quick');
const roundMs = quick ? 150 : 600;
const provider = new NobleCryptoProvider();

/**
 * CPU milliseconds per call (this process's user + system time, steadier than wall time on a
 * machine shared with other work): median of 5 rounds of `roundMs` each, after a warm-up.
 */
function msPerCall(op: () => unknown): number {
  for (let i = 0; i < 5; i++) op();
  const cpuMs = (): number => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    let n = 0;
    const t0 = cpuMs();
    while (cpuMs() - t0 < roundMs) {
      op();
      n++;
    }
    rounds.push((cpuMs() - t0) / n);
  }
  return median(rounds);
}

function rsaKey(bits: number): { parts: RsaPrivateKeyParts; key: nodeCrypto.KeyObject } {
  const { privateKey } = nodeCrypto.generateKeyPairSync('rsa', { modulusLength: bits });
  const jwk = privateKey.export({ format: 'jwk' });
  const int = (s: string | undefined): bigint => bytesToBigInt(Buffer.from(s!, 'base64url'));
  return {
    parts: { n: int(jwk.n), e: int(jwk.e), d: int(jwk.d), p: int(jwk.p), q: int(jwk.q), dp: int(jwk.dp), dq: int(jwk.dq), qInv: int(jwk.qi) },
    key: privateKey,
  };
}

const rows: [string, number][] = [];
const message = new Uint8Array(200).fill(7); // about the size of a ServerKeyExchange's signed part

for (const bits of [2048, 3072, 4096]) {
  const { parts, key } = rsaKey(bits);
  const signer = provider.rsaSigningKey(parts);
  const m = bytesToBigInt(emsaPkcs1Encode('sha256', rsaDigest('sha256', message), bits / 8));
  rows.push(
    [`RSA-${bits} rsa_pss_rsae_sha256, puretls (CRT, blinding, verified)`, msPerCall(() => signer.sign('rsa_pss_rsae_sha256', message))],
    [`RSA-${bits} rsa_pkcs1_sha256, puretls (CRT, blinding, verified)`, msPerCall(() => signer.sign('rsa_pkcs1_sha256', message))],
    [`RSA-${bits} the two CRT exponentiations alone (no blinding, no check)`, msPerCall(() => {
      modPow(m % parts.p, parts.dp, parts.p);
      modPow(m % parts.q, parts.dq, parts.q);
    })],
    [`RSA-${bits} rsa_pss_rsae_sha256, node:crypto (OpenSSL)`, msPerCall(() =>
      nodeCrypto.sign('sha256', message, { key, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }))],
  );
}
if (!quick) {
  const plain = rsaKey(2048).parts;
  const m = bytesToBigInt(emsaPkcs1Encode('sha256', rsaDigest('sha256', message), 256));
  rows.push(['RSA-2048 m^d mod n without CRT (sliding window)', msPerCall(() => modPow(m, plain.d, plain.n))]);
}
const ed = provider.eddsaSigningKey('Ed25519', new Uint8Array(32).fill(1));
rows.push(['Ed25519, puretls (noble)', msPerCall(() => ed.sign(message))]);
const ed448 = provider.eddsaSigningKey('Ed448', new Uint8Array(57).fill(1));
rows.push(['Ed448, puretls (noble)', msPerCall(() => ed448.sign(message))]);
const ecdsa = provider.ecdsaSigningKey('P-256', p256.utils.randomSecretKey());
rows.push(['ECDSA P-256 SHA-256, puretls (noble)', msPerCall(() => ecdsa.sign('sha256', message))]);

const width = Math.max(...rows.map(([name]) => name.length));
console.log(`node ${process.version}, ${quick ? 'quick' : 'full'} run, CPU ms per signature (median of 5 rounds of ${roundMs} ms)`);
for (const [name, ms] of rows) console.log(`${name.padEnd(width)}  ${ms.toFixed(2).padStart(7)} ms`);
