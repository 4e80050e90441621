/**
 * Shared helpers for the interop tests against real TLS clients (GnuTLS, NSS, curl, Python,
 * Go, Java, Chromium, tshark).
 *
 * - `requirePeer` finds a tool on PATH. When it is missing the test fails loudly if
 *   PURETLS_REQUIRE_PEERS is set (CI: every peer must run), and is skipped with a printed
 *   reason otherwise (a developer machine without the tool).
 * - `Processes` starts children, kills them by pid (or by their own process group, for
 *   programs that fork, like Chromium) on a safety timeout and in `afterEach`.
 * - `observe` records, for every connection a puretls server accepts, its first ClientHello
 *   (parsed from the raw bytes, independently of the server) and what the server reported
 *   once the handshake finished (cipher, protocol, resumption, ALPN, SNI, EMS).
 * - `startObservedServer` / `startObservedDemo` start puretls on an ephemeral port and close
 *   it with every connection still open.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { accessSync, constants, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, afterEach, type Context } from 'mocha';
import { startDemo, type DemoOptions } from '../../src/cli.js';
import type { ServerOptions } from '../../src/node/options.js';
import type { Server } from '../../src/node/server.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { startServer, testCertificate } from './fixtures.js';

// ---------------------------------------------------------------------------------------
// Finding peers

/** CI sets PURETLS_REQUIRE_PEERS=1: a missing peer is then a failure, not a skip. */
export function peersRequired(): boolean {
  const v = process.env.PURETLS_REQUIRE_PEERS;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** The absolute path of an executable on PATH (or the path itself, if given one), else undefined. */
export function findTool(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name));
  for (const path of candidates) {
    try {
      if (!statSync(path).isFile()) continue;
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The peer cannot run here. Under PURETLS_REQUIRE_PEERS this throws (the hook or test
 * fails); otherwise it prints why and skips the current test, or the whole suite when
 * called from a `before` hook.
 */
export function peerUnavailable(ctx: Context, reason: string): never {
  if (peersRequired()) {
    throw new Error(`interop peer unavailable: ${reason}. PURETLS_REQUIRE_PEERS is set, so every interop peer must run.`);
  }
  const runnable = ctx.test as (Context['test'] & { type?: string }) | undefined;
  const title = (runnable?.type === 'hook' ? runnable.parent?.fullTitle() : runnable?.fullTitle()) ?? 'interop';
  console.log(`      [skip] ${title}: ${reason} (set PURETLS_REQUIRE_PEERS=1 to make this a failure)`);
  ctx.skip();
}

/** The path of `tool`, or a skip/failure naming the Debian package that provides it. */
export function requirePeer(ctx: Context, tool: string, debianPackage: string): string {
  const path = findTool(tool);
  if (path) return path;
  return peerUnavailable(ctx, `'${tool}' is not on PATH (Debian/Ubuntu: apt-get install ${debianPackage})`);
}

// ---------------------------------------------------------------------------------------
// Child processes

export interface RunResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The safety timeout fired and the process was killed. */
  timedOut: boolean;
}

export interface RunOptions {
  /** Written to stdin at start. */
  input?: string | Uint8Array;
  /**
   * Close stdin after `input` (default true). Some clients (gnutls-cli) quit as soon as
   * stdin ends, before the answer arrives: leave it open and let the server's close end them.
   */
  endInput?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Safety net, not an assertion: kill the process after this long. Default 30 s. */
  killAfterMs?: number;
  /** Run in its own process group and kill the whole group (programs that fork: Chromium). */
  group?: boolean;
}

export function describeRun(what: string, r: RunResult): string {
  const how = r.timedOut ? 'was killed after its safety timeout' : r.signal ? `died of ${r.signal}` : `exited ${r.code}`;
  return `${what} ${how}\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-4000)}`;
}

/** A long-running child the test stops itself (tshark). */
export interface Started {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout or stderr contains `text`; rejects if the process exits first. */
  waitForOutput(text: string): Promise<void>;
  /** Resolves once `predicate` holds, checked now and after each output; rejects if the process exits first. */
  waitFor(predicate: () => boolean, what: string): Promise<void>;
  /** Resolves when the process has exited. */
  exited: Promise<RunResult>;
}

/**
 * Children started by one test file. `killAll()` in `afterEach` ends every child still
 * running, by its pid (or its own process group), and waits until they are gone.
 */
export class Processes {
  private readonly running = new Map<ChildProcess, { group: boolean; exited: Promise<unknown> }>();

  /** Runs a command to completion (or until its safety timeout). Never rejects on exit status. */
  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return this.start(command, args, options).exited;
  }

  start(command: string, args: readonly string[], options: RunOptions = {}): Started {
    const group = options.group ?? false;
    const child = spawn(command, [...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      cwd: options.cwd,
      detached: group,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let waiters: Array<() => void> = [];
    const notify = (): void => {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    };
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      notify();
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      notify();
    });
    child.stdin!.on('error', () => undefined); // the child may exit without reading it all
    let spawnError: Error | undefined;
    const exited = new Promise<RunResult>((resolve) => {
      child.once('error', (e) => {
        clearTimeout(timer);
        this.running.delete(child);
        spawnError = e;
        stderr += `\n[spawn error] ${e.message}`;
        notify();
        resolve({ code: null, signal: null, stdout, stderr, timedOut });
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        this.running.delete(child);
        notify();
        resolve({ code, signal, stdout, stderr, timedOut });
      });
    });
    const timer = setTimeout(() => {
      timedOut = true;
      this.signal(child, group, 'SIGKILL');
    }, options.killAfterMs ?? 30_000);
    this.running.set(child, { group, exited });
    if (options.input !== undefined) child.stdin!.write(options.input);
    if (options.endInput ?? true) child.stdin!.end();
    let isExited = false;
    void exited.then(() => (isExited = true));
    const waitFor = (predicate: () => boolean, what: string): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (predicate()) resolve();
          else if (isExited || spawnError || child.exitCode !== null || child.signalCode !== null) {
            reject(new Error(`${command} exited before ${what}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
          } else waiters.push(check);
        };
        check();
      });
    return {
      child,
      stdout: () => stdout,
      stderr: () => stderr,
      exited,
      waitFor,
      waitForOutput: (text: string) => waitFor(() => stdout.includes(text) || stderr.includes(text), `printing '${text}'`),
    };
  }

  /** Sends a signal to one child we started (its group when started with `group`). */
  signal(child: ChildProcess, group: boolean, signal: NodeJS.Signals): void {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      // The leader is gone, but a group may still hold its children.
      if (!group || child.pid === undefined) return;
    }
    try {
      if (group) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  }

  /** Ends every child still running and waits for each to exit. */
  async killAll(): Promise<void> {
    const all = [...this.running];
    for (const [child, { group }] of all) this.signal(child, group, 'SIGKILL');
    await Promise.all(all.map(([, r]) => r.exited));
    // A process group may outlive its leader (Chromium's helpers): make sure it is gone too.
    for (const [child, { group }] of all) if (group) this.signal(child, true, 'SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------
// Scratch files

/** Temporary directories of one test file, removed by `dispose()`. */
export class TempDirs {
  private readonly dirs: string[] = [];

  make(prefix = 'puretls-interop-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  dispose(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

/** Writes the P-256 (or P-384) test certificate and key into `dir`; returns their paths. */
export function writeTestCertificate(dir: string, curve: 'P-256' | 'P-384' = 'P-256'): { certFile: string; keyFile: string } {
  const cert = testCertificate(curve);
  const certFile = join(dir, `cert-${curve}.pem`);
  const keyFile = join(dir, `key-${curve}.pem`);
  writeFileSync(certFile, cert.certPem);
  writeFileSync(keyFile, cert.keyPem);
  return { certFile, keyFile };
}

// ---------------------------------------------------------------------------------------
// ClientHello, parsed from the wire without the server's parser

export interface ClientHelloFacts {
  clientVersion: number;
  random: string;
  sessionId: string;
  cipherSuites: number[];
  /** Extension type -> body, in order. */
  extensions: Map<number, Buffer>;
}

export const EXT = { server_name: 0, alpn: 16, extended_master_secret: 23, session_ticket: 35, supported_versions: 43 } as const;

/**
 * Parses the ClientHello at the start of `bytes` (handshake records, maybe several).
 * Returns undefined while incomplete; throws on anything that is not a ClientHello.
 */
export function parseClientHello(bytes: Buffer): ClientHelloFacts | undefined {
  const handshake: Buffer[] = [];
  let at = 0;
  let have = 0;
  let need: number | undefined;
  while (bytes.length - at >= 5) {
    if (bytes[at] !== 22) throw new Error(`expected a handshake record, got content type ${bytes[at]}`);
    const length = bytes.readUInt16BE(at + 3);
    if (bytes.length - at < 5 + length) break;
    handshake.push(bytes.subarray(at + 5, at + 5 + length));
    have += length;
    at += 5 + length;
    if (need === undefined && have >= 4) {
      const h = Buffer.concat(handshake);
      if (h[0] !== 1) throw new Error(`expected a ClientHello, got handshake type ${h[0]}`);
      need = 4 + h.readUIntBE(1, 3);
    }
    if (need !== undefined && have >= need) break;
  }
  if (need === undefined || have < need) return undefined;
  const body = Buffer.concat(handshake).subarray(4, need);
  let p = 0;
  const clientVersion = body.readUInt16BE(p);
  p += 2;
  const random = body.subarray(p, p + 32).toString('hex');
  p += 32;
  const sidLength = body[p]!;
  const sessionId = body.subarray(p + 1, p + 1 + sidLength).toString('hex');
  p += 1 + sidLength;
  const suitesLength = body.readUInt16BE(p);
  const cipherSuites: number[] = [];
  for (let i = 0; i < suitesLength; i += 2) cipherSuites.push(body.readUInt16BE(p + 2 + i));
  p += 2 + suitesLength;
  p += 1 + body[p]!; // compression methods
  const extensions = new Map<number, Buffer>();
  if (p < body.length) {
    const end = p + 2 + body.readUInt16BE(p);
    p += 2;
    while (p + 4 <= end) {
      const type = body.readUInt16BE(p);
      const length = body.readUInt16BE(p + 2);
      extensions.set(type, body.subarray(p + 4, p + 4 + length));
      p += 4 + length;
    }
  }
  return { clientVersion, random, sessionId, cipherSuites, extensions };
}

// ---------------------------------------------------------------------------------------
// What the server saw

/** What the puretls server reported for one finished handshake. */
export interface ServerSaw {
  protocol: string | null;
  /** OpenSSL name, e.g. ECDHE-ECDSA-AES128-GCM-SHA256. */
  cipher: string | undefined;
  /** IANA name. */
  standardName: string | undefined;
  reused: boolean;
  alpn: string | false;
  servername: string | false;
  extendedMasterSecret: boolean | undefined;
  /** ECDHE group as OpenSSL names it; undefined on a resumption. */
  group: string | undefined;
  /** The session ID of the server's session (read here: a destroyed socket answers as before a handshake). */
  sessionId: Uint8Array | undefined;
  socket: TlsSocket;
}

export interface Observed {
  /** Every ClientHello, in the order the connections arrived. */
  hellos: ClientHelloFacts[];
  /** Every finished handshake, in order. */
  secure: ServerSaw[];
  clientErrors: Error[];
  /** Every keylog line the server emitted (with a newline), when `keylog` is on. */
  keylog: string[];
  /** Resolves once `n` handshakes have finished. */
  waitForSecure(n: number): Promise<ServerSaw[]>;
  /** Resolves once `n` handshakes have failed (tlsClientError). */
  waitForClientErrors(n: number): Promise<Error[]>;
}

/** Starts recording what `server` sees. Call before any client connects. */
export function observe(server: Server, options: { keylog?: boolean } = {}): Observed {
  const hellos: ClientHelloFacts[] = [];
  const secure: ServerSaw[] = [];
  const clientErrors: Error[] = [];
  const keylog: string[] = [];
  let waiters: Array<() => void> = [];
  const notify = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  // Each new socket of this server (puretls's handshake-start channel) gets its first TCP
  // reads looked at on their way into the TLS layer, until they hold a whole ClientHello.
  const onHandshakeStart = (message: unknown): void => {
    const { socket, server: from } = message as { socket: TlsSocket; server: Server };
    if (from !== server) return;
    let buffered: Buffer | undefined = Buffer.alloc(0);
    const receive = socket.receiveCiphertext.bind(socket);
    socket.receiveCiphertext = (chunk: Uint8Array): boolean => {
      if (buffered !== undefined) {
        buffered = Buffer.concat([buffered, chunk]);
        try {
          const hello = parseClientHello(buffered);
          if (hello) {
            hellos.push(hello);
            buffered = undefined;
          }
        } catch {
          buffered = undefined; // not a ClientHello: nothing to record
        }
      }
      return receive(chunk);
    };
  };
  subscribe('puretls:handshake:start', onHandshakeStart);
  server.once('close', () => unsubscribe('puretls:handshake:start', onHandshakeStart));
  server.on('secureConnection', (socket: TlsSocket) => {
    const c = socket.connection;
    const cipher = socket.getCipher();
    secure.push({
      protocol: socket.getProtocol(),
      cipher: cipher?.name,
      standardName: cipher?.standardName,
      reused: socket.isSessionReused(),
      alpn: socket.alpnProtocol,
      servername: socket.servername,
      extendedMasterSecret: c.negotiated?.extendedMasterSecret,
      group: c.groupName,
      sessionId: c.session?.sessionId,
      socket,
    });
    notify();
  });
  server.on('tlsClientError', (err: Error) => {
    clientErrors.push(err);
    notify();
  });
  if (options.keylog) server.on('keylog', (line: Buffer) => keylog.push(line.toString()));
  return {
    hellos,
    secure,
    clientErrors,
    keylog,
    async waitForSecure(n: number): Promise<ServerSaw[]> {
      while (secure.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
      return secure.slice(0, n);
    },
    async waitForClientErrors(n: number): Promise<Error[]> {
      while (clientErrors.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
      return clientErrors.slice(0, n);
    },
  };
}

export interface ObservedServer {
  server: Server;
  port: number;
  seen: Observed;
  close(): Promise<void>;
}

/** A puretls echo-or-whatever server on 127.0.0.1 (fixtures' startServer), observed. */
export async function startObservedServer(
  options: ServerOptions,
  onSecure: (socket: TlsSocket) => void,
  observeOptions: { keylog?: boolean } = {},
): Promise<ObservedServer> {
  const running = await startServer(options, onSecure);
  const seen = observe(running.server, observeOptions);
  return { server: running.server, port: running.port, seen, close: () => running.close() };
}

/**
 * The demo (`s_server -www`-style page) on an ephemeral port, with the P-256 test certificate
 * unless key/cert are given, observed; `close` destroys connections still open.
 */
export async function startObservedDemo(options: Partial<DemoOptions> = {}, observeOptions: { keylog?: boolean } = {}): Promise<ObservedServer> {
  const cert = testCertificate('P-256');
  const { tls } = await startDemo({ keyPem: cert.keyPem, certPem: cert.certPem, ...options, port: options.port ?? 0 });
  const seen = observe(tls, observeOptions);
  const sockets = new Set<Socket>();
  tls.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = (tls.address() as AddressInfo).port;
  return {
    server: tls,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        tls.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------
// The demo page

/** The demo page's rows (`<tr><th>name</th><td>value</td></tr>`) as a map. */
export function demoPageRows(html: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const m of html.matchAll(/<tr><th>([^<]*)<\/th><td>([^<]*)<\/td><\/tr>/g)) {
    rows.set(unescapeHtml(m[1]!), unescapeHtml(m[2]!));
  }
  return rows;
}

function unescapeHtml(s: string): string {
  return s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

/** The three suites puretls serves with an ECDSA (or EdDSA) certificate: OpenSSL name, IANA name. */
export const SUITES = [
  { openssl: 'ECDHE-ECDSA-AES128-GCM-SHA256', iana: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', code: 0xc02b },
  { openssl: 'ECDHE-ECDSA-AES256-GCM-SHA384', iana: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', code: 0xc02c },
  { openssl: 'ECDHE-ECDSA-CHACHA20-POLY1305', iana: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', code: 0xcca9 },
] as const;

/** The three suites puretls serves with an RSA certificate. */
export const RSA_SUITES = [
  { openssl: 'ECDHE-RSA-AES128-GCM-SHA256', iana: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', code: 0xc02f },
  { openssl: 'ECDHE-RSA-AES256-GCM-SHA384', iana: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', code: 0xc030 },
  { openssl: 'ECDHE-RSA-CHACHA20-POLY1305', iana: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', code: 0xcca8 },
] as const;

/** The NSS key log line pattern for TLS 1.2. */
export const KEYLOG_LINE = /^CLIENT_RANDOM ([0-9a-f]{64}) ([0-9a-f]{96})\n$/;

/**
 * What every interop suite needs: child processes, temp dirs and servers, cleaned up
 * (processes, then servers, after each test; temp dirs after the suite). Call it inside
 * describe(). `beforeServersClose` runs between the two, for a suite's own cleanup.
 */
export function interopFixture(beforeServersClose?: () => void): { procs: Processes; temp: TempDirs; servers: ObservedServer[] } {
  const procs = new Processes();
  const temp = new TempDirs();
  const servers: ObservedServer[] = [];
  afterEach(async () => {
    await procs.killAll();
    beforeServersClose?.();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  after(() => temp.dispose());
  return { procs, temp, servers };
}
