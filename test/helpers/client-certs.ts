/**
 * Client certificates for the client-authentication tests, made by the openssl CLI once per
 * run in a temporary directory (removed when the process exits, or by `disposeClientCerts`).
 *
 *   root (P-256, CA)  ──>  leaf-p256, leaf-p384          (clientAuth leaves straight under the root)
 *        │                 expired, server-only, rsa     (refusal cases, also under the root)
 *        └─> inter (P-384, CA)  ──>  leaf-p256-inter, leaf-p384-inter
 *   other-root (P-256, CA, not trusted) ──> stranger     (an unknown CA)
 *   rsa-root (RSA-2048, CA) ──> rsa-under-rsa            (an all-RSA chain)
 *   root ──> ed25519, rsa-pss                            (an Ed25519 and an id-RSASSA-PSS clientAuth leaf)
 *
 * Each entry has its PEM, its DER and key as PEM, and the files for s_client's -cert/-key.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpensslCa } from './openssl-ca.js';

export interface ClientCert {
  name: string;
  /** The subject's common name. */
  cn: string;
  /** The certificate PEM. */
  pem: string;
  /** The certificate DER. */
  der: Buffer;
  /** The private key PEM (PKCS#8). */
  keyPem: string;
  certFile: string;
  keyFile: string;
  /** The certificate PEM followed by its issuer (for node:tls's `cert`), when issued by `inter`. */
  chainPem: string;
  /** `openssl x509 -fingerprint -sha256`'s answer, "AB:CD:...". */
  fingerprint256: string;
}

export interface ClientCertSet {
  dir: string;
  root: ClientCert;
  inter: ClientCert;
  otherRoot: ClientCert;
  /** P-256 and P-384 clientAuth leaves issued by the root. */
  p256: ClientCert;
  p384: ClientCert;
  /** P-256 and P-384 clientAuth leaves issued by the intermediate. */
  p256Inter: ClientCert;
  p384Inter: ClientCert;
  /** A clientAuth leaf from a CA the server does not trust. */
  stranger: ClientCert;
  /** A clientAuth leaf valid 2020-01-01 .. 2021-01-01. */
  expired: ClientCert;
  /** extendedKeyUsage serverAuth only. */
  serverOnly: ClientCert;
  /** An RSA-2048 clientAuth leaf issued by the root. */
  rsa: ClientCert;
  /** An RSA-2048 CA, and an RSA-2048 clientAuth leaf it issued (sha256WithRSAEncryption). */
  rsaRoot: ClientCert;
  rsaUnderRsa: ClientCert;
  /** An Ed25519 and an id-RSASSA-PSS (2048-bit) clientAuth leaf issued by the root. */
  ed25519: ClientCert;
  rsaPss: ClientCert;
  /** A P-256 key file that belongs to none of the certificates. */
  strayKeyFile: string;
  strayKeyPem: string;
}

const CA_EXT = 'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid';
const CLIENT_EXT =
  'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid';
const SERVER_ONLY_EXT = 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth';

let made: ClientCertSet | undefined;

/** The certificate set, made on first use. */
export function clientCerts(): ClientCertSet {
  made ??= generate();
  return made;
}

/** Removes the directory (also done when the process exits). */
export function disposeClientCerts(): void {
  if (made) rmSync(made.dir, { recursive: true, force: true });
  made = undefined;
}

/** The PEM of a certificate in DER form. */
export function derToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

function generate(): ClientCertSet {
  const dir = mkdtempSync(join(tmpdir(), 'puretls-clientauth-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const ca = new OpensslCa(dir, 1000);
  const file = (name: string): string => ca.file(name);
  const run = (...args: string[]): string => ca.run(...args);
  const certs = new Map<string, ClientCert>();
  const record = (name: string, cn: string, issuer?: string): ClientCert => {
    const pem = readFileSync(file(`${name}.pem`), 'latin1');
    const der = execFileSync('openssl', ['x509', '-in', file(`${name}.pem`), '-outform', 'DER']);
    const fp = run('x509', '-in', file(`${name}.pem`), '-noout', '-fingerprint', '-sha256');
    const m = /Fingerprint=([0-9A-F:]+)/i.exec(fp);
    if (!m) throw new Error(`no fingerprint in ${fp}`);
    const c: ClientCert = {
      name,
      cn,
      pem,
      der,
      keyPem: readFileSync(file(`${name}.key`), 'latin1'),
      certFile: file(`${name}.pem`),
      keyFile: file(`${name}.key`),
      chainPem: issuer === 'inter' ? pem + certs.get('inter')!.pem : pem,
      fingerprint256: m[1]!.toUpperCase(),
    };
    certs.set(name, c);
    return c;
  };
  type Alg = 'P-256' | 'P-384' | 'rsa' | 'rsa-pss' | 'ed25519';
  const selfSigned = (name: string, cn: string, alg: Alg): ClientCert => {
    ca.selfSigned(name, alg, CA_EXT, { subj: `/CN=${cn}`, serial: ca.nextSerial() });
    return record(name, cn);
  };
  const issue = (name: string, cn: string, alg: Alg, issuer: string, ext: string, dates?: [string, string]): ClientCert => {
    ca.issue(name, alg, issuer, ext, { subj: `/CN=${cn}`, digest: 'sha256', ...(dates ? { dates } : {}) });
    return record(name, cn, issuer);
  };

  const root = selfSigned('root', 'puretls test client root', 'P-256');
  const inter = issue('inter', 'puretls test client intermediate', 'P-384', 'root', CA_EXT);
  const otherRoot = selfSigned('other-root', 'an unknown client root', 'P-256');
  const rsaRoot = selfSigned('rsa-root', 'puretls test client RSA root', 'rsa');
  ca.genKey('stray', 'P-256');
  return {
    dir,
    root,
    inter,
    otherRoot,
    p256: issue('leaf-p256', 'client p256', 'P-256', 'root', CLIENT_EXT),
    p384: issue('leaf-p384', 'client p384', 'P-384', 'root', CLIENT_EXT),
    p256Inter: issue('leaf-p256-inter', 'client p256 via intermediate', 'P-256', 'inter', CLIENT_EXT),
    p384Inter: issue('leaf-p384-inter', 'client p384 via intermediate', 'P-384', 'inter', CLIENT_EXT),
    stranger: issue('stranger', 'client from an unknown CA', 'P-256', 'other-root', CLIENT_EXT),
    expired: issue('expired', 'expired client', 'P-256', 'root', CLIENT_EXT, ['20200101000000Z', '20210101000000Z']),
    serverOnly: issue('server-only', 'server-only leaf', 'P-256', 'root', SERVER_ONLY_EXT),
    rsa: issue('rsa', 'rsa client', 'rsa', 'root', CLIENT_EXT),
    rsaRoot,
    rsaUnderRsa: issue('rsa-under-rsa', 'rsa client under the RSA root', 'rsa', 'rsa-root', CLIENT_EXT),
    ed25519: issue('leaf-ed25519', 'client ed25519', 'ed25519', 'root', CLIENT_EXT),
    rsaPss: issue('leaf-rsa-pss', 'client rsa-pss', 'rsa-pss', 'root', CLIENT_EXT),
    strayKeyFile: file('stray.key'),
    strayKeyPem: readFileSync(file('stray.key'), 'latin1'),
  };
}
