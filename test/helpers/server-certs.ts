/**
 * Server certificates of every key type puretls serves besides ECDSA (whose test
 * certificates `fixtures.ts` makes in JavaScript): RSA-2048, RSA-3072, RSA-4096, an
 * id-RSASSA-PSS key, Ed25519 and Ed448. Made by the openssl CLI once per run, self-signed for
 * localhost / 127.0.0.1 / ::1 (serverAuth), in a temporary directory removed when the process
 * exits. Each has its PEMs and the files for clients that want a CA file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpensslCa, type KeyAlgorithm } from './openssl-ca.js';

export type ServerKeyKind = 'rsa2048' | 'rsa3072' | 'rsa4096' | 'rsa-pss' | 'ed25519' | 'ed448';

export interface ServerCert {
  kind: ServerKeyKind;
  keyPem: string;
  certPem: string;
  keyFile: string;
  certFile: string;
}

const ALGORITHM: Readonly<Record<ServerKeyKind, KeyAlgorithm>> = {
  rsa2048: 'rsa',
  rsa3072: 'rsa3072',
  rsa4096: 'rsa4096',
  'rsa-pss': 'rsa-pss',
  ed25519: 'ed25519',
  ed448: 'ed448',
};

const SERVER_EXT = [
  'basicConstraints = critical, CA:FALSE',
  'keyUsage = critical, digitalSignature',
  'extendedKeyUsage = serverAuth',
  'subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1',
  'subjectKeyIdentifier = hash',
].join('\n');

let ca: OpensslCa | undefined;
const made = new Map<ServerKeyKind, ServerCert>();

/** The self-signed certificate of `kind`, made on first use. */
export function serverCertificate(kind: ServerKeyKind): ServerCert {
  let cert = made.get(kind);
  if (!cert) {
    if (!ca) {
      const dir = mkdtempSync(join(tmpdir(), 'puretls-servercerts-'));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      ca = new OpensslCa(dir, 2000);
    }
    // RSA-PSS: the signature on the certificate itself is PSS too (the key can make no other).
    const sigopt = kind === 'rsa-pss' ? { sigopt: ['rsa_padding_mode:pss', 'rsa_pss_saltlen:digest'], digest: 'sha256' } : {};
    ca.selfSigned(kind, ALGORITHM[kind], SERVER_EXT, { subj: '/CN=localhost', serial: ca.nextSerial(), ...sigopt });
    cert = {
      kind,
      keyPem: readFileSync(ca.file(`${kind}.key`), 'latin1'),
      certPem: readFileSync(ca.file(`${kind}.pem`), 'latin1'),
      keyFile: ca.file(`${kind}.key`),
      certFile: ca.file(`${kind}.pem`),
    };
    made.set(kind, cert);
  }
  return cert;
}
