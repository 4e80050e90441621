import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type KeyAlgorithm =
  | 'P-256' | 'P-384' | 'P-521'
  | 'rsa' | 'rsa1024' | 'rsa768' | 'rsa3072' | 'rsa4096'
  /** An id-RSASSA-PSS key (2048 bits), unrestricted. */
  | 'rsa-pss'
  | 'ed25519' | 'ed448';

/**
 * Keys and certificates made by the openssl CLI in one directory, each under a name
 * (`<name>.key`, `<name>.pem`), with exactly the extension lines a test asks for.
 */
export class OpensslCa {
  constructor(
    readonly dir: string,
    private serial = 100,
  ) {}

  file(name: string): string {
    return join(this.dir, name);
  }

  read(name: string): string {
    return readFileSync(this.file(name), 'utf8');
  }

  run(...args: string[]): string {
    return execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
  }

  nextSerial(): string {
    return String(this.serial++);
  }

  genKey(name: string, alg: KeyAlgorithm): void {
    const out = this.file(`${name}.key`);
    if (alg === 'rsa-pss') this.run('genpkey', '-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', out);
    else if (alg.startsWith('rsa')) this.run('genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${alg.slice(3) || '2048'}`, '-out', out);
    else if (alg === 'ed25519' || alg === 'ed448') this.run('genpkey', '-algorithm', alg, '-out', out);
    else this.run('genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${alg}`, '-out', out);
  }

  /**
   * `openssl req -x509`, 30 days; `key` reuses another entry's key; `digest` and `sigopt`
   * (`rsa_padding_mode:pss`, `rsa_pss_saltlen:digest`, ...) choose the signature.
   */
  selfSigned(name: string, alg: KeyAlgorithm, ext: string, opts: { key?: string; serial?: string; subj?: string } & SignatureOptions = {}): void {
    if (!opts.key) this.genKey(name, alg);
    else writeFileSync(this.file(`${name}.key`), this.read(`${opts.key}.key`));
    writeFileSync(this.file(`${name}.cnf`), `[req]\ndistinguished_name = dn\nx509_extensions = ext\n[dn]\n[ext]\n${ext}\n`);
    this.run('req', '-x509', '-new', '-key', this.file(`${name}.key`), '-subj', opts.subj ?? `/CN=${name}`, '-days', '30',
      '-config', this.file(`${name}.cnf`), '-set_serial', opts.serial ?? '1', ...signatureArgs(opts), '-out', this.file(`${name}.pem`));
  }

  /**
   * A certificate issued by `issuer`: `openssl x509 -req` for 20 days, or `openssl ca` when
   * validity dates are given (`x509 -req` cannot date a certificate in the past).
   */
  issue(name: string, alg: KeyAlgorithm, issuer: string, ext: string, opts: { subj?: string; dates?: [string, string] } & SignatureOptions = {}): void {
    const f = (n: string): string => this.file(n);
    this.genKey(name, alg);
    writeFileSync(f(`${name}.cnf`), '[req]\ndistinguished_name = dn\n[dn]\n');
    writeFileSync(f(`${name}.ext`), `${ext}\n`);
    this.run('req', '-new', '-key', f(`${name}.key`), '-subj', opts.subj ?? `/CN=${name}`, '-config', f(`${name}.cnf`), '-out', f(`${name}.csr`));
    if (opts.dates) {
      const ca = f(`ca-${name}`);
      mkdirSync(ca);
      writeFileSync(join(ca, 'index.txt'), '');
      writeFileSync(join(ca, 'serial'), `${Number(this.nextSerial()).toString(16).padStart(4, '0')}\n`);
      writeFileSync(f(`${name}.ca.cnf`), [
        '[ca]', 'default_ca = d', '[d]', `database = ${ca}/index.txt`, `new_certs_dir = ${ca}`, `serial = ${ca}/serial`,
        'default_md = sha256', 'policy = p', 'unique_subject = no', 'email_in_dn = no', '[p]', 'commonName = supplied', '',
      ].join('\n'));
      this.run('ca', '-batch', '-notext', '-config', f(`${name}.ca.cnf`), '-cert', f(`${issuer}.pem`), '-keyfile', f(`${issuer}.key`),
        '-in', f(`${name}.csr`), '-out', f(`${name}.pem`), '-startdate', opts.dates[0], '-enddate', opts.dates[1], '-extfile', f(`${name}.ext`),
        ...(opts.digest ? ['-md', opts.digest] : []), ...(opts.sigopt ?? []).flatMap((o) => ['-sigopt', o]));
    } else {
      this.run('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${issuer}.pem`), '-CAkey', f(`${issuer}.key`), '-set_serial', this.nextSerial(),
        '-days', '20', '-extfile', f(`${name}.ext`), ...signatureArgs(opts), '-out', f(`${name}.pem`));
    }
  }
}

export interface SignatureOptions {
  /** The issuer's digest: sha1, sha256, sha384, sha512. */
  digest?: string;
  /** `-sigopt` values, e.g. ['rsa_padding_mode:pss', 'rsa_pss_saltlen:digest'] for an RSASSA-PSS signature. */
  sigopt?: string[];
}

function signatureArgs(opts: SignatureOptions): string[] {
  return [...(opts.digest ? [`-${opts.digest}`] : []), ...(opts.sigopt ?? []).flatMap((o) => ['-sigopt', o])];
}
