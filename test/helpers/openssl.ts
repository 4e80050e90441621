import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A scratch directory with an ECDSA P-256 self-signed certificate for CN=localhost. */
export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'puretls-sess-'));
  readonly keyFile = join(this.dir, 'key.pem');
  readonly certFile = join(this.dir, 'cert.pem');
  private counter = 0;

  constructor() {
    openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-subj', '/CN=localhost', '-days', '30', '-keyout', this.keyFile, '-out', this.certFile,
    ]);
  }

  get key(): Buffer {
    return readFileSync(this.keyFile);
  }

  get cert(): Buffer {
    return readFileSync(this.certFile);
  }

  /** The certificate as DER. */
  get certDer(): Buffer {
    return openssl(['x509', '-in', this.certFile, '-outform', 'DER']).stdout;
  }

  /** Writes data to a fresh file in the scratch directory and returns its path. */
  file(data: Uint8Array | string, ext = 'bin'): string {
    const path = join(this.dir, `f${this.counter++}.${ext}`);
    writeFileSync(path, data);
    return path;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface RunResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the openssl CLI with stdin closed; throws with its stderr unless `allowFailure`. */
export function openssl(args: string[], allowFailure = false): RunResult {
  const r = spawnSync('openssl', args, { input: '', timeout: 20_000 });
  const result = { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
  if (!allowFailure && r.status !== 0) {
    throw new Error(`openssl ${args.join(' ')} failed (${r.status}): ${result.stderr}`);
  }
  return result;
}

/** `openssl sess_id -text -noout` as a map of its "Name: value" lines. */
export function sessIdText(file: string, inform: 'DER' | 'PEM'): Map<string, string> {
  const out = openssl(['sess_id', '-inform', inform, '-in', file, '-text', '-noout']).stdout.toString();
  const fields = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^\s*([A-Za-z][A-Za-z -]*?)\s*:\s?(.*)$/.exec(line);
    if (m) fields.set(m[1]!, m[2]!.trim());
  }
  return fields;
}

/** A port that was free a moment ago (for tools that need a fixed port, like s_server). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts `openssl s_server` and resolves once it is accepting connections. */
export function startSServer(args: string[]): Promise<ChildProcess> {
  const child = spawn('openssl', ['s_server', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`s_server did not start: ${output}`));
    }, 10_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('ACCEPT')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s_server exited (${code}): ${output}`));
    });
  });
}

/** Stops a child we started and waits for it to go. */
export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  await gone;
}

/** A small deterministic PRNG (mulberry32) so fuzz failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A fresh RSA key and self-signed certificate for CN=localhost, made by the openssl CLI
 * (test/node/options.test.ts uses it; the interop suites take theirs from server-certs.ts).
 */
export function rsaKeyAndCertificate(bits = 2048): { keyPem: string; certPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'puretls-rsa-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    openssl([
      'req', '-x509', '-newkey', `rsa:${bits}`, '-nodes', '-subj', '/CN=localhost', '-days', '30',
      '-keyout', keyFile, '-out', certFile,
    ]);
    return { keyPem: readFileSync(keyFile, 'latin1'), certPem: readFileSync(certFile, 'latin1') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
