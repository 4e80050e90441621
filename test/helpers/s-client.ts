import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One handshake as s_client prints it: "New, TLSv1.2, Cipher is X" or "Reused, ...". */
export interface SClientHandshake {
  reused: boolean;
  protocol: string;
  cipher: string;
}

/** What an `openssl s_client` run reported, parsed from its output. */
export interface SClientResult {
  /** Exit code, or null when it was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Everything s_client wrote to stdout (session facts and the data it received). */
  stdout: Buffer;
  stderr: string;
  /** Every handshake, in order (several with -reconnect). */
  handshakes: SClientHandshake[];
  /** The first handshake's New/Reused. */
  reused: boolean | undefined;
  /** "Protocol  :" of the SSL-Session block, else the "New, <protocol>" line, else -brief's line. */
  protocol: string | undefined;
  /** "Cipher    :" of the SSL-Session block, else the "New, ..., Cipher is" line, else -brief's line. */
  cipher: string | undefined;
  /** The text after "Server Temp Key: ", e.g. "X25519, 253 bits" or "ECDH, prime256v1, 256 bits". */
  serverTempKey: string | undefined;
  /** The ECDHE group of the temp key, normalised: 'X25519', 'P-256' or 'P-384'. */
  group: string | undefined;
  /** "ALPN protocol: x"; null when s_client printed "No ALPN negotiated"; undefined when neither. */
  alpn: string | null | undefined;
  /** "Extended master secret: yes/no". */
  extendedMasterSecret: boolean | undefined;
  /** "Secure Renegotiation IS supported" / "IS NOT supported". */
  secureRenegotiation: boolean | undefined;
  /** The session (PEM) s_client wrote with -sess_out. */
  sessionPem: string | undefined;
  /** "Peer signing digest: SHA256" -> 'SHA256' (the hash of the ServerKeyExchange signature). */
  peerSigningDigest: string | undefined;
  /** "Peer signature type: ECDSA". */
  peerSignatureType: string | undefined;
  /** "Server public key is 256 bit" -> 256. */
  serverPublicKeyBits: number | undefined;
  /** "Session-ID: <hex>" of the first SSL-Session block. */
  sessionId: string | undefined;
  /** Alerts s_client reported, e.g. ["handshake failure"] from "... ssl/tls alert handshake failure ...". */
  alerts: string[];
}

export interface SClientOptions {
  /** Extra s_client arguments (after -connect). */
  args?: string[];
  host?: string;
  /**
   * Written to s_client's stdin as soon as it starts (s_client reads stdin only once the
   * handshake is done, so this is sent after it).
   */
  stdin?: Uint8Array | string;
  /** End stdin after `stdin` (default true). Without -ign_eof s_client then sends close_notify and exits. */
  endStdin?: boolean;
  /** Add `-sess_out <tmpfile>` and return the session PEM in the result. */
  sessOut?: boolean;
  /** Safety net: kill s_client if it has not exited after this many ms (default 20 s). */
  killAfterMs?: number;
}

const GROUP_NAMES: Readonly<Record<string, string>> = {
  X25519: 'X25519',
  'P-256': 'P-256',
  prime256v1: 'P-256',
  secp256r1: 'P-256',
  'P-384': 'P-384',
  secp384r1: 'P-384',
};

/** Parses s_client's stdout and stderr into the facts tests check. */
export function parseSClientOutput(stdout: string, stderr: string): Omit<SClientResult, 'code' | 'signal' | 'stdout' | 'stderr' | 'sessionPem'> {
  const all = `${stdout}\n${stderr}`;
  const handshakes: SClientHandshake[] = [];
  for (const m of stdout.matchAll(/^(New|Reused), (\S+), Cipher is (\S+)$/gm)) {
    handshakes.push({ reused: m[1] === 'Reused', protocol: m[2]!, cipher: m[3]! });
  }
  const first = (re: RegExp, text = all): string | undefined => re.exec(text)?.[1]?.trim();
  const serverTempKey = first(/^Server Temp Key: (.+)$/m);
  let group: string | undefined;
  if (serverTempKey !== undefined) {
    const parts = serverTempKey.split(',').map((p) => p.trim());
    const name = parts[0] === 'ECDH' ? parts[1] : parts[0];
    group = name === undefined ? undefined : (GROUP_NAMES[name] ?? name);
  }
  let alpn: string | null | undefined;
  const alpnMatch = /^ALPN protocol: (.*)$/m.exec(stdout);
  if (alpnMatch) alpn = alpnMatch[1]!;
  else if (/^No ALPN negotiated$/m.test(stdout)) alpn = null;
  const ems = first(/^\s*Extended master secret: (\S+)/m, stdout);
  let secureRenegotiation: boolean | undefined;
  if (/^Secure Renegotiation IS supported$/m.test(stdout)) secureRenegotiation = true;
  else if (/^Secure Renegotiation IS NOT supported$/m.test(stdout)) secureRenegotiation = false;
  const keyBits = first(/^Server public key is (\d+) bit$/m, stdout);
  const alerts = [...all.matchAll(/(?:ssl\/tls|sslv3|tlsv1) alert ([a-z ]+?)(?::|$)/gim)].map((m) => m[1]!.trim());
  return {
    handshakes,
    reused: handshakes[0]?.reused,
    protocol: first(/^\s*Protocol\s*: (\S+)$/m, stdout) ?? handshakes[0]?.protocol ?? first(/^Protocol version: (\S+)$/m),
    cipher: first(/^\s*Cipher\s*: (\S+)$/m, stdout) ?? handshakes[0]?.cipher ?? first(/^Ciphersuite: (\S+)$/m),
    serverTempKey,
    group,
    alpn,
    extendedMasterSecret: ems === undefined ? undefined : ems === 'yes',
    secureRenegotiation,
    peerSigningDigest: first(/^Peer signing digest: (\S+)$/m, stdout),
    peerSignatureType: first(/^Peer signature type: (\S+)$/m, stdout),
    serverPublicKeyBits: keyBits === undefined ? undefined : Number(keyBits),
    sessionId: first(/^\s*Session-ID: ([0-9A-Fa-f]*)$/m, stdout),
    alerts,
  };
}

/**
 * A running `openssl s_client -connect host:port ...`. Feed it with `write`/`endStdin`, wait
 * for output with `waitForStdout`, and collect the parsed result with `done`. Always call
 * `kill` (idempotent) in a finally/after so no child outlives a test.
 */
export class SClient {
  readonly child: ChildProcessWithoutNullStreams;
  private readonly stdoutChunks: Buffer[] = [];
  private stdoutLength = 0;
  private stderrText = '';
  private readonly sessFile: string | undefined;
  private readonly scratch: string | undefined;
  private readonly result: Promise<SClientResult>;
  private readonly killTimer: ReturnType<typeof setTimeout>;
  private waiters: Array<() => void> = [];
  private exited = false;

  constructor(port: number, options: SClientOptions = {}) {
    const args = ['s_client', '-connect', `${options.host ?? '127.0.0.1'}:${port}`, ...(options.args ?? [])];
    if (options.sessOut) {
      this.scratch = mkdtempSync(join(tmpdir(), 'puretls-sclient-'));
      this.sessFile = join(this.scratch, 'sess.pem');
      args.push('-sess_out', this.sessFile);
    }
    this.child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    // An s_client that exits before reading all its input must not crash us with EPIPE.
    this.child.stdin.on('error', () => undefined);
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.stdoutChunks.push(chunk);
      this.stdoutLength += chunk.length;
      this.notify();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderrText += chunk.toString('latin1');
      this.notify();
    });
    this.killTimer = setTimeout(() => this.kill(), options.killAfterMs ?? 20_000);
    this.result = new Promise<SClientResult>((resolve, reject) => {
      this.child.on('error', reject);
      // 'close' comes after the exit and after stdout/stderr have been read to the end.
      this.child.on('close', (code, signal) => {
        this.exited = true;
        clearTimeout(this.killTimer);
        this.notify();
        const stdout = this.stdout;
        let sessionPem: string | undefined;
        if (this.sessFile && existsSync(this.sessFile)) sessionPem = readFileSync(this.sessFile, 'latin1');
        if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
        resolve({
          code,
          signal,
          stdout,
          stderr: this.stderrText,
          sessionPem,
          ...parseSClientOutput(stdout.toString('latin1'), this.stderrText),
        });
      });
    });
    if (options.stdin !== undefined) this.write(options.stdin);
    if (options.stdin !== undefined && options.endStdin !== false) this.endStdin();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** All stdout so far. */
  get stdout(): Buffer {
    if (this.stdoutChunks.length > 1) {
      const all = Buffer.concat(this.stdoutChunks);
      this.stdoutChunks.length = 0;
      this.stdoutChunks.push(all);
    }
    return this.stdoutChunks[0] ?? Buffer.alloc(0);
  }

  get stdoutBytes(): number {
    return this.stdoutLength;
  }

  get stderr(): string {
    return this.stderrText;
  }

  write(data: Uint8Array | string): void {
    this.child.stdin.write(data);
  }

  endStdin(): void {
    this.child.stdin.end();
  }

  /** Resolves once stdout contains `needle` (or stdout+stderr, with `alsoStderr`); rejects if s_client exits first. */
  async waitForStdout(needle: string | RegExp, alsoStderr = false): Promise<void> {
    const found = (): boolean => {
      const text = this.stdout.toString('latin1') + (alsoStderr ? `\n${this.stderrText}` : '');
      return typeof needle === 'string' ? text.includes(needle) : needle.test(text);
    };
    while (!found()) {
      if (this.exited) {
        throw new Error(`s_client exited before printing ${String(needle)}; stdout: ${this.stdout.toString('latin1').slice(-2000)}; stderr: ${this.stderrText}`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Resolves once s_client has printed its handshake summary (the first "New,"/"Reused," line). */
  handshakeDone(): Promise<void> {
    return this.waitForStdout(/^(New|Reused), /m);
  }

  /** Waits for s_client to exit (and its output to be read) and parses what it printed. */
  done(): Promise<SClientResult> {
    return this.result;
  }

  /** Kills s_client (by its pid) if it still runs, and waits for it to go. Safe to call twice. */
  async kill(): Promise<void> {
    clearTimeout(this.killTimer);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
    }
    await this.result.catch(() => undefined);
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * Runs s_client to completion: spawns it, feeds `stdin` (then ends it unless told not to),
 * and returns the parsed result. s_client is killed if it outlives `killAfterMs`.
 */
export async function runSClient(port: number, options: SClientOptions = {}): Promise<SClientResult> {
  const client = new SClient(port, { stdin: '', ...options });
  try {
    return await client.done();
  } finally {
    await client.kill();
  }
}
