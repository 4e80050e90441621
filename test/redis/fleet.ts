/**
 * A fleet of server processes for the puretls/redis tests: each is a child (fleet-server.ts)
 * with its own port, sharing sessions and ticket keys through one Redis (or Redis Cluster),
 * and `openssl s_client` as the client that carries a session from one to another
 * (`-sess_out` from the first, `-sess_in` to the next).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SessionStoreStats } from '../../src/session/cache.js';
import type { AttachedServerStats, RedisSessionStoreOptions, RedisTicketKeysOptions, TicketKeysStats } from '../../src/redis/index.js';
import { testCertificate } from '../helpers/fixtures.js';
import { runSClient, type SClientResult } from '../helpers/s-client.js';

export interface FleetServerConfig {
  /** For messages only. */
  name: string;
  kind: 'puretls' | 'node';
  sessionIdContext: string;
  redis: { url: string } | { cluster: string[] };
  secretHex: string;
  keyPem: string;
  certPem: string;
  store?: Pick<RedisSessionStoreOptions, 'timeoutMs' | 'breakerCooldownMs' | 'breakerThreshold' | 'prefix'>;
  /** puretls only: RedisTicketKeys with these settings (else puretls's own local ticket keys). */
  tickets?: Pick<RedisTicketKeysOptions, 'prefix' | 'rotationSeconds' | 'ticketLifetimeSeconds' | 'pollIntervalMs' | 'activationDelayMs' | 'maxKeyAgeSeconds'>;
  sessionTimeout?: number;
}

export interface FleetStats {
  /** Handshakes the server completed, by kind (node:tls counts every resumption as session ID), and tlsClientError events. */
  handshakes: { full: number; sessionId: number; ticket: number; errors: number };
  /** puretls: context.stats. */
  context: Record<string, number> | undefined;
  store: SessionStoreStats;
  attached: AttachedServerStats;
  tickets: TicketKeysStats | undefined;
  /** puretls: the shared ticket key sealing now (48 bytes, hex; test processes only). */
  currentTicketKey: string | undefined;
  /** What the store and the ticket keys logged. */
  log: string[];
}

export type ToFleetServer = { type: 'start'; config: FleetServerConfig } | { type: 'stats' } | { type: 'exit' };
export type FromFleetServer =
  | { type: 'ready' }
  | { type: 'listening'; port: number }
  | { type: 'stats'; stats: FleetStats }
  | { type: 'error'; message: string };

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'fleet-server.js');

export class FleetProcess {
  port = 0;
  private pending: Array<{ type: string; resolve: (m: FromFleetServer) => void; reject: (e: Error) => void }> = [];
  /** Set when the child exited: a crash unless we asked it to. */
  exitedWith: string | undefined;
  private asked = false;
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (m: FromFleetServer) => {
      if (m.type === 'error') {
        const err = new Error(`${name}: ${m.message}`);
        for (const p of this.pending.splice(0)) p.reject(err);
        return;
      }
      const i = this.pending.findIndex((p) => p.type === m.type);
      if (i >= 0) this.pending.splice(i, 1)[0]!.resolve(m);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitedWith = String(signal ?? code);
        const err = new Error(`${name} exited (${this.exitedWith})`);
        for (const p of this.pending.splice(0)) p.reject(err);
        resolve();
      }),
    );
  }

  static async start(config: Omit<FleetServerConfig, 'keyPem' | 'certPem'>): Promise<FleetProcess> {
    const child = fork(CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const p = new FleetProcess(config.name, child);
    try {
      await p.waitFor('ready');
      const cert = testCertificate();
      const m = await p.request({ type: 'start', config: { ...config, keyPem: cert.keyPem, certPem: cert.certPem } }, 'listening');
      p.port = (m as Extract<FromFleetServer, { type: 'listening' }>).port;
      return p;
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
  }

  /**
   * Starts several at once. If any fails to start, the ones that did are asked to exit
   * before the first failure is thrown, so no child outlives the test.
   */
  static async startAll(configs: ReadonlyArray<Omit<FleetServerConfig, 'keyPem' | 'certPem'>>): Promise<FleetProcess[]> {
    const settled = await Promise.allSettled(configs.map((c) => FleetProcess.start(c)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed === undefined) return settled.map((r) => (r as PromiseFulfilledResult<FleetProcess>).value);
    await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.exit() : undefined)));
    throw failed.reason;
  }

  /** It is still running (it did not crash). */
  get alive(): boolean {
    return this.exitedWith === undefined;
  }

  private waitFor(type: FromFleetServer['type'], timeoutMs = 30_000): Promise<FromFleetServer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no '${type}' within ${timeoutMs} ms`)), timeoutMs);
      this.pending.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  private request(message: ToFleetServer, reply: FromFleetServer['type']): Promise<FromFleetServer> {
    const p = this.waitFor(reply);
    this.child.send(message);
    return p;
  }

  async stats(): Promise<FleetStats> {
    return ((await this.request({ type: 'stats' }, 'stats')) as Extract<FromFleetServer, { type: 'stats' }>).stats;
  }

  async exit(): Promise<void> {
    if (!this.alive) return;
    this.asked = true;
    this.child.send({ type: 'exit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Exited without being asked to (a crash). */
  get crashed(): boolean {
    return !this.alive && !this.asked;
  }
}

/** Session files for s_client's -sess_in, in one scratch directory. */
export class SessionFiles {
  private readonly dir = mkdtempSync(join(tmpdir(), 'puretls-fleet-'));
  private n = 0;

  write(pem: string): string {
    const file = join(this.dir, `s${this.n++}.pem`);
    writeFileSync(file, pem);
    return file;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface FleetClientOptions {
  /** Resume by session ID only (s_client -no_ticket). */
  noTicket?: boolean;
  /** A session PEM (from an earlier run's -sess_out) to offer. */
  sessIn?: string;
  /** Append NSS key log lines to this file (-keylogfile). */
  keylog?: string;
}

export interface FleetHandshake extends SClientResult {
  /** Wall time of the whole s_client run (process start to exit), ms. */
  ms: number;
  /** The ticket s_client holds after the handshake (hex), if any. */
  ticketHex: string | undefined;
}

/**
 * One s_client run against a fleet process: TLS 1.2, no SNI (sessions made by node:tls carry
 * no host name, and rule 7 compares them), and -sess_out so the session can go on to the next.
 */
export async function fleetHandshake(files: SessionFiles, port: number, options: FleetClientOptions = {}): Promise<FleetHandshake> {
  const args = ['-tls1_2', '-noservername'];
  if (options.noTicket) args.push('-no_ticket');
  if (options.sessIn !== undefined) args.push('-sess_in', files.write(options.sessIn));
  if (options.keylog !== undefined) args.push('-keylogfile', options.keylog);
  const t0 = performance.now();
  const r = await runSClient(port, { args, sessOut: true });
  const ms = performance.now() - t0;
  return { ...r, ms, ticketHex: ticketFromOutput(r.stdout.toString('latin1')) };
}

/** The "TLS session ticket:" hex dump of s_client's SSL-Session block, as one hex string. */
export function ticketFromOutput(stdout: string): string | undefined {
  const block = /TLS session ticket:\n((?:\s+[0-9a-f]{4} - .*\n)+)/.exec(stdout);
  if (!block) return undefined;
  let hex = '';
  for (const line of block[1]!.split('\n')) {
    const m = /^\s+[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){0,16})/.exec(line);
    if (m) hex += m[1]!.replace(/[ -]/g, '');
  }
  return hex;
}

/** A handshake the client saw complete (New or Reused, TLSv1.2), else an error naming what went wrong. */
export function assertCompleted(h: SClientResult, what: string): void {
  if (h.code !== 0 || h.reused === undefined || h.protocol !== 'TLSv1.2') {
    throw new Error(`${what}: the handshake did not complete (exit ${h.code}, reused ${String(h.reused)}, protocol ${h.protocol}); stderr: ${h.stderr.slice(-500)}`);
  }
}
