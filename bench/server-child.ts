/**
 * The bench's server children: each a server.ts process driven over IPC, started with the
 * same node flags, every request with a timeout (a child that hangs must not hang the
 * bench), a server's error failing what waits on it. Used by run.ts and socket-ab.ts.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { testCertificate } from '../test/helpers/fixtures.js';
import { BENCH_DIST_DIR, type FromServer, type MemorySample, type ServerConfig, type ServerKind, type ToServer } from './common.js';

/** Extra node flags for the server children, for experiments (e.g. "--max-semi-space-size=64"). */
const EXTRA_SERVER_ARGS = (process.env.PURETLS_BENCH_SERVER_ARGS ?? '').split(/\s+/).filter((a) => a !== '');

export type Reply<T extends FromServer['type']> = Extract<FromServer, { type: T }>;

/** A bench server child (server.ts) driven over IPC: start, requests with timeouts, exit. */
export class ServerChild {
  /** Where a server's error is reported when no request is waiting for it; run.ts gives its own log. */
  static log: (message: string) => void = (message) => process.stderr.write(`${message}\n`);

  port = 0;
  private pending: Array<{ type: string; resolve: (m: FromServer) => void; reject: (e: Error) => void }> = [];
  private exited: Promise<void>;

  private constructor(
    readonly kind: ServerKind,
    readonly child: ChildProcess,
  ) {
    child.on('message', (m: FromServer) => {
      if (m.type === 'error') {
        const err = new Error(`${kind} server: ${m.message}`);
        for (const p of this.pending.splice(0)) p.reject(err);
        ServerChild.log(err.message);
        return;
      }
      const i = this.pending.findIndex((p) => p.type === m.type);
      if (i >= 0) this.pending.splice(i, 1)[0]!.resolve(m);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        const err = new Error(`${kind} server exited (${signal ?? code})`);
        for (const p of this.pending.splice(0)) p.reject(err);
        resolve();
      }),
    );
  }

  /** `benchDir`: the dist/bench directory whose server.js runs (another build's, to compare two). */
  static async start(
    config: Omit<ServerConfig, 'keyPem' | 'certPem'>,
    extraArgs: string[] = [],
    certificate: { keyPem: string; certPem: string } = testCertificate('P-256'),
    benchDir = BENCH_DIST_DIR,
  ): Promise<ServerChild> {
    const child = fork(path.join(benchDir, 'server.js'), [], {
      execArgv: ['--expose-gc', '--max-old-space-size=12288', ...EXTRA_SERVER_ARGS, ...extraArgs],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const server = new ServerChild(config.kind, child);
    await server.waitFor('ready', 30_000);
    // Prefilling a million sessions takes a while on a busy machine.
    const m = await server.request({ type: 'start', config: { ...config, keyPem: certificate.keyPem, certPem: certificate.certPem } }, 'listening', 300_000);
    server.port = m.port;
    server.prefill = m.prefill;
    return server;
  }

  prefill: Reply<'listening'>['prefill'];

  send(message: ToServer): void {
    this.child.send(message);
  }

  /** The next message of `type`; fails after `timeoutMs` (a child that hangs must not hang the bench). */
  waitFor<T extends FromServer['type']>(type: T, timeoutMs = 120_000): Promise<Reply<T>> {
    return new Promise((resolve, reject) => {
      const entry = {
        type,
        resolve: (m: FromServer) => {
          clearTimeout(timer);
          resolve(m as Reply<T>);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.pending = this.pending.filter((p) => p !== entry);
        this.child.kill('SIGKILL');
        reject(new Error(`${this.kind} server: no '${type}' within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.push(entry);
    });
  }

  request<T extends FromServer['type']>(message: ToServer, reply: T, timeoutMs?: number): Promise<Reply<T>> {
    const p = this.waitFor(reply, timeoutMs);
    this.send(message);
    return p;
  }

  async memory(): Promise<MemorySample> {
    return (await this.request({ type: 'memory' }, 'memory')).memory;
  }

  async exit(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.send({ type: 'exit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
