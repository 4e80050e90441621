import { createClient } from 'redis';
import { TlsConfigError } from '../errors.js';

/**
 * The few Redis commands puretls/redis uses, over a node-redis client (`createClient`) or
 * cluster (`createCluster`): both route a command to the node that holds its key, and every
 * command here names one key (or, for the scripts, keys that share a hash tag), so the same
 * code runs on one Redis and on Redis Cluster.
 */
export interface NodeRedisLike {
  /** GET key. */
  get(key: string): Promise<unknown>;
  /** SET key value PX ms [NX]. */
  set(key: string, value: string, options: { expiration: { type: 'PX'; value: number }; condition?: 'NX' }): Promise<unknown>;
  /** DEL key. */
  del(key: string): Promise<unknown>;
  /** EVAL script with keys and arguments. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** How a store reaches Redis: a URL (puretls makes and owns the client) or a connected node-redis client or cluster. */
export interface RedisConnectionOptions {
  /** `redis://host:port` (or `rediss://`); puretls makes the client, and closes it in `close()`. */
  url?: string;
  /**
   * A node-redis client or cluster, connected by the application (which keeps it: `close()`
   * leaves it open). Give it `disableOfflineQueue: true` so commands fail at once while it is
   * disconnected, and an 'error' listener, as node-redis asks.
   */
  client?: NodeRedisLike;
}

/** Reconnect after 50 ms, doubling up to 2 s: Redis coming back is noticed within 2 s. */
export const RECONNECT_MAX_DELAY_MS = 2000;
/** A connection attempt that takes longer than this is abandoned (and retried). */
export const CONNECT_TIMEOUT_MS = 2000;

export interface RedisConnection {
  readonly redis: NodeRedisLike;
  /** Resolves once connected (a client that was given is connected already). */
  readonly connected: Promise<void>;
  /** Closes the client if we made it. */
  close(): Promise<void>;
}

/**
 * The client behind `options`. One made from a URL never queues commands while disconnected
 * (a lookup must fail at once, not wait for a reconnection), reconnects by itself, and
 * reports its errors to `onError` instead of crashing the process.
 */
export function connectRedis(options: RedisConnectionOptions, onError: (e: Error) => void): RedisConnection {
  if ((options.url === undefined) === (options.client === undefined)) {
    throw new TlsConfigError('ERR_INVALID_ARG', 'give either url or client');
  }
  if (options.client !== undefined) {
    const c = options.client as Partial<NodeRedisLike> | null;
    if (c === null || typeof c !== 'object' || ['get', 'set', 'del', 'eval'].some((m) => typeof c[m as keyof NodeRedisLike] !== 'function')) {
      throw new TlsConfigError('ERR_INVALID_ARG_VALUE', 'client must be a node-redis client or cluster (get, set, del, eval)');
    }
    return { redis: options.client, connected: Promise.resolve(), close: async () => undefined };
  }
  if (typeof options.url !== 'string') throw new TlsConfigError('ERR_INVALID_ARG_VALUE', 'url must be a string');
  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, RECONNECT_MAX_DELAY_MS),
    },
  });
  client.on('error', (e: Error) => onError(e));
  // Pending until the first connection succeeds; node-redis keeps retrying meanwhile.
  const connected = client.connect().then(
    () => undefined,
    (e: unknown) => onError(e instanceof Error ? e : new Error(String(e))),
  );
  return {
    redis: client as unknown as NodeRedisLike,
    connected,
    close: async () => {
      try {
        if (client.isOpen) await client.close();
        else client.destroy();
      } catch {
        client.destroy();
      }
    },
  };
}

/** The outcome of one command with a deadline. */
export type Outcome<T> = { kind: 'ok'; value: T } | { kind: 'timeout' } | { kind: 'error'; error: Error };

/**
 * Runs a command with a deadline: past `ms`, the outcome is 'timeout' and a late answer is
 * ignored. Never rejects.
 */
export function withDeadline<T>(run: () => Promise<T>, ms: number): Promise<Outcome<T>> {
  return new Promise((resolve) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      resolve({ kind: 'timeout' });
    }, ms);
    let pending: Promise<T>;
    try {
      pending = run();
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ kind: 'ok', value });
      },
      (e: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ kind: 'error', error: e instanceof Error ? e : new Error(String(e)) });
      },
    );
  });
}

/**
 * Logs an outage once when it starts and once when it ends, never per handshake: a fleet
 * whose Redis is down for an hour writes two lines, not a million.
 */
export class OutageLog {
  private down = false;

  constructor(
    private readonly what: string,
    private readonly log: (message: string) => void,
  ) {}

  get isDown(): boolean {
    return this.down;
  }

  failed(reason: string, consequence: string): void {
    if (this.down) return;
    this.down = true;
    this.log(`puretls/redis: ${this.what} unavailable (${reason}); ${consequence}`);
  }

  answered(): void {
    if (!this.down) return;
    this.down = false;
    this.log(`puretls/redis: ${this.what} answers again`);
  }
}

export function describeOutcome(outcome: Outcome<unknown>, timeoutMs: number): string {
  return outcome.kind === 'timeout' ? `no answer within ${timeoutMs} ms` : outcome.kind === 'error' ? outcome.error.message : 'ok';
}
