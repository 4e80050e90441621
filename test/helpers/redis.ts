/**
 * Real Redis for the tests and the bench: `redis-server` on a free loopback port (no
 * persistence, a scratch directory), and a Redis Cluster of three masters made with
 * `redis-server --cluster-enabled yes` and `redis-cli --cluster create`. Children are
 * stopped by their pid; a frozen server (SIGSTOP) stands for a Redis that accepts
 * connections and never answers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESP_TYPES, createClient, createCluster } from 'redis';
import { freePort } from './openssl.js';

const START_TIMEOUT_MS = 15_000;

/** A port free now whose cluster bus port (+10000) is free too. */
async function freeClusterPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    if (port + 10000 < 65536 && (await isFree(port + 10000))) return port;
  }
  throw new Error('no free port pair for a cluster node');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** One redis-server process. */
export class RedisServer {
  private child: ChildProcess | undefined;
  private frozen = false;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly extraArgs: readonly string[],
  ) {}

  /** Starts redis-server on a free loopback port (or `port`). */
  static async start(options: { port?: number; extraArgs?: string[] } = {}): Promise<RedisServer> {
    const port = options.port ?? (await freePort());
    const server = new RedisServer(port, mkdtempSync(join(tmpdir(), 'puretls-redis-')), options.extraArgs ?? []);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private launch(): Promise<void> {
    const args = [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', this.dir, '--loglevel', 'notice', ...this.extraArgs,
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.frozen = false;
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`redis-server did not start on port ${this.port}: ${output}`));
      }, START_TIMEOUT_MS);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${signal ?? code}) on port ${this.port}: ${output}`));
      });
      // Not found, or not executable: no 'exit' follows.
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  /** Kills it (SIGKILL: a crash, nothing saved); connections are refused until `restart`. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    if (this.frozen) child.kill('SIGCONT');
    child.kill('SIGKILL');
    await gone;
  }

  /** Starts it again on the same port, empty (as after a crash without persistence). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** SIGSTOP: connections stay open and are accepted, nothing is answered. */
  freeze(): void {
    if (this.child && this.running && !this.frozen) {
      this.child.kill('SIGSTOP');
      this.frozen = true;
    }
  }

  thaw(): void {
    if (this.child && this.running && this.frozen) {
      this.child.kill('SIGCONT');
      this.frozen = false;
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every key and its value, as raw bytes, from one Redis (or each master of a cluster). */
export async function dumpRedis(urls: readonly string[]): Promise<Map<string, Buffer>> {
  const all = new Map<string, Buffer>();
  for (const url of urls) {
    const client = createClient({ url }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    await client.connect();
    try {
      for await (const keys of client.scanIterator({ COUNT: 1000 })) {
        for (const key of keys) {
          const value = await client.get(key);
          if (value !== null) all.set(key.toString('latin1'), value);
        }
      }
    } finally {
      client.destroy();
    }
  }
  return all;
}

/** Runs one command on one Redis (for the tests that reach into the store). */
export async function redisCommand(url: string, args: string[]): Promise<unknown> {
  const client = createClient({ url });
  await client.connect();
  try {
    return await client.sendCommand(args);
  } finally {
    client.destroy();
  }
}

/** A cluster client with the settings puretls's own clients use (no offline queue), connected. */
export async function connectCluster(urls: readonly string[]) {
  const cluster = createCluster({
    rootNodes: urls.map((url) => ({ url })),
    defaults: { disableOfflineQueue: true, socket: { connectTimeout: 2000, reconnectStrategy: (n: number) => Math.min(50 * 2 ** n, 2000) } },
  });
  cluster.on('error', () => undefined);
  await cluster.connect();
  return cluster;
}

/** A Redis Cluster of `masters` local masters, no replicas. */
export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  static async start(masters = 3): Promise<RedisCluster> {
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < masters; i++) {
        const port = await freeClusterPort();
        nodes.push(
          await RedisServer.start({
            port,
            extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '5000'],
          }),
        );
      }
      const create = spawnSync(
        'redis-cli',
        ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
        { encoding: 'utf8', timeout: 60_000 },
      );
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed (${create.status}): ${create.stdout}\n${create.stderr}`);
      const cluster = new RedisCluster(nodes);
      await cluster.waitUntilOk();
      return cluster;
    } catch (e) {
      await Promise.all(nodes.map((n) => n.dispose()));
      throw e;
    }
  }

  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  /** Until every node reports cluster_state:ok (the slots are assigned and known everywhere). */
  private async waitUntilOk(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const states = await Promise.all(this.nodes.map((n) => redisCommand(n.url, ['CLUSTER', 'INFO'])));
      if (states.every((s) => String(s).includes('cluster_state:ok'))) return;
      if (Date.now() > deadline) throw new Error(`the cluster did not become ok: ${states.map(String).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Keys held by each master (DBSIZE), in node order. */
  async keysPerNode(): Promise<number[]> {
    return Promise.all(this.nodes.map(async (n) => Number(await redisCommand(n.url, ['DBSIZE']))));
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.dispose()));
  }
}
