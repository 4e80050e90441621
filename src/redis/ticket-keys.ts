import { randomBytes } from '@noble/ciphers/utils.js';
import { toHex } from '../codec/bytes.js';
import { Reader } from '../codec/reader.js';
import { TlsConfigError } from '../errors.js';
import { TICKET_KEYS_LENGTH, TICKET_KEY_NAME_LENGTH, type TicketKeySet, type TicketKeySource } from '../session/tickets.js';
import { OutageLog, connectRedis, describeOutcome, withDeadline, type NodeRedisLike, type Outcome, type RedisConnection, type RedisConnectionOptions } from './client.js';
import { AtRestSealer, SEALED_OVERHEAD, fromRedisValue, toRedisValue } from './sealing.js';

/**
 * Session ticket keys shared and rotated by a fleet through Redis (a TicketKeySource: give
 * it as `ticketKeys` to createServer or TlsContext).
 *
 * The key ring is one Redis string, sealed under the fleet's `secret` (never in the clear):
 * a list of keys, each with the time it was published and the time it starts sealing.
 *
 * - Every process polls the ring every `pollIntervalMs` and keeps what it read in memory,
 *   so sealing and opening a ticket never wait for Redis.
 * - When the newest key is `rotationSeconds` old, the first process to take the lock
 *   (`SET lock token NX PX`) reads the ring again, adds a new key and writes the ring back
 *   (a script that writes only while the lock is still its own, and releases it).
 * - A new key is published decrypt-only: it starts sealing `activationDelayMs` later (at
 *   least two poll intervals), so by then every process has read it and no process is
 *   handed a ticket it cannot open. (The first key of an empty ring seals at once: nobody
 *   holds another.)
 * - A key stops sealing when the next one starts, and still opens tickets for
 *   `ticketLifetimeSeconds` after that; the keyring caps the sessions it seals to that
 *   lifetime, so a ticket never outlives its key. Then the key is dropped (and wiped).
 * - Redis unreachable: the keys held go on as they are. Once the key sealing has done so
 *   for `maxKeyAgeSeconds`, this process seals under a local random key instead (rotated
 *   every `rotationSeconds`): its tickets resume only on this process, but no key is used
 *   longer than allowed. When the ring can be read again, the shared keys take over.
 *
 * Clocks: processes compare the ring's times with their own clocks, so hosts need clocks
 * that agree to well within one poll interval (NTP does).
 *
 * Each key is 48 bytes (16-byte name, 32 bytes of secret). The keyring derives a per-sid_ctx
 * AEAD key from each (see TicketKeySource), so a ticket of one context does not even open
 * in another.
 */

export const DEFAULT_ROTATION_SECONDS = 3600;
/** How long a ticket opens, by default: twelve hours. */
export const DEFAULT_TICKET_LIFETIME_SECONDS = 12 * 3600;
/** RFC 8446 §4.6.1's ceiling for a ticket's lifetime (TLS 1.3's, a sound one for 1.2 too). */
export const MAX_TICKET_LIFETIME_SECONDS = 7 * 24 * 3600;
/** The hash tag of the ring and its lock in Redis ({prefix}:ring, {prefix}:lock). */
export const DEFAULT_TICKET_KEYS_PREFIX = 'puretls:ticket-keys';
/** Poll interval by default: a sixtieth of the rotation, between 1 s and 60 s. */
export const MIN_DEFAULT_POLL_MS = 1000;
export const MAX_DEFAULT_POLL_MS = 60_000;
/** Deadline of each Redis command of the background work (nothing waits on it but the poller). */
export const DEFAULT_TICKET_KEYS_TIMEOUT_MS = 2000;
/** Keys in one ring at most; a ring holding more is not ours. */
export const MAX_RING_KEYS = 64;
export const RING_VERSION = 1;
const RING_KEY_BYTES = TICKET_KEYS_LENGTH + 8 + 8;
/** The largest ring value we read. */
export const MAX_RING_BYTES = SEALED_OVERHEAD + 2 + MAX_RING_KEYS * RING_KEY_BYTES;
/** Startup: tries to read (or create) the ring before `ready` resolves without one. */
const STARTUP_ATTEMPTS = 20;
const STARTUP_RETRY_MS = 100;

/** Writes the ring only while the lock (KEYS[2]) is still ARGV[1], then releases it. */
const WRITE_RING_SCRIPT = `if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  redis.call('DEL', KEYS[2])
  return 1
end
return 0`;
/** Releases the lock (KEYS[1]) only if it is still ARGV[1] (ours). */
const RELEASE_LOCK_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/** Options of RedisTicketKeys: how to reach Redis, the fleet secret, rotation and polling. */
export interface RedisTicketKeysOptions extends RedisConnectionOptions {
  /** The fleet's at-rest key: 32 random bytes, the same on every process. */
  secret: Uint8Array;
  /** Secrets that still open the ring while the fleet changes its secret. */
  previousSecrets?: readonly Uint8Array[];
  /** Keys are `{prefix}:ring` and `{prefix}:lock` (one hash slot); default 'puretls:ticket-keys'. */
  prefix?: string;
  /** A new key every so often; default 3600 (hourly). */
  rotationSeconds?: number;
  /** How long a ticket lives (and a retired key keeps opening); default 43200 (12 h). */
  ticketLifetimeSeconds?: number;
  /** How often the ring is read; default rotation / 60, between 1 s and 60 s. */
  pollIntervalMs?: number;
  /** How long a new key is decrypt-only; default (and at least) two poll intervals. */
  activationDelayMs?: number;
  /** The longest a shared key seals before local keys take over (Redis unreachable); default 2 × rotation. */
  maxKeyAgeSeconds?: number;
  /** Deadline of each Redis command, in ms; default 2000. */
  timeoutMs?: number;
  /** Where the outage lines go; default console.warn. */
  log?: (message: string) => void;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
}

/** What RedisTicketKeys counts. */
export interface TicketKeysStats {
  /** Times the ring was read. */
  loads: number;
  /** Keys this process created (each under the lock). */
  rotations: number;
  /** Rotations this process left to another that held the lock. */
  lockContended: number;
  /** Redis commands that did not answer within their deadline. */
  timeouts: number;
  /** Redis commands that failed. */
  errors: number;
  /** Rings read that did not open (corrupt, or sealed under another secret): never overwritten. */
  rejected: number;
  /** Sealing under a local key because the shared one is too old (Redis unreachable). */
  fallback: boolean;
  /** Shared keys held now (sealing, decrypt-only, retired within their window). */
  sharedKeys: number;
  /** The name (hex, public: every ticket carries it) of the key sealing now. */
  currentKeyName: string | undefined;
}

interface RingKey {
  readonly id: string;
  readonly material: Uint8Array;
  readonly publishedAt: number;
  /** When it starts sealing (ms). */
  readonly activeFrom: number;
}

interface LocalKey {
  readonly material: Uint8Array;
  readonly since: number;
  retiredAt: number | undefined;
}

interface Snapshot {
  readonly set: TicketKeySet;
  readonly validUntil: number;
  readonly fallback: boolean;
}

type RingRead = { entries: RingKey[]; absent: boolean } | undefined;

/**
 * Ticket keys shared and rotated by a fleet through Redis (a TicketKeySource: give it as
 * `ticketKeys`): a key ring sealed under the fleet secret, read in the background, rotated
 * under a lock, each new key decrypt-only before it seals (see README, Running a fleet).
 */
export class RedisTicketKeys implements TicketKeySource {
  readonly ticketLifetimeSeconds: number;
  /** How often a new key is added, in milliseconds. */
  readonly rotationMs: number;
  /** How often the ring is read from Redis, in milliseconds. */
  readonly pollIntervalMs: number;
  /** How long a new key only opens before it seals (every process has read it by then), in milliseconds. */
  readonly activationDelayMs: number;
  /** Past this age a key no longer seals, even without Redis, in milliseconds. */
  readonly maxKeyAgeMs: number;
  /** Deadline of each Redis command, in milliseconds. */
  readonly timeoutMs: number;
  /** The Redis key of the sealed ring. */
  readonly ringKey: string;
  /** The Redis key of the rotation lock. */
  readonly lockKey: string;
  private readonly lifetimeMs: number;
  private readonly lockMs: number;
  private readonly connection: RedisConnection;
  private readonly redis: NodeRedisLike;
  private readonly sealer: AtRestSealer;
  private readonly now: () => number;
  private readonly redisOutage: OutageLog;
  private readonly log: (message: string) => void;
  private readonly held = new Map<string, RingKey>();
  private local: LocalKey[] = [];
  private snapshot: Snapshot | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;
  private inFallback = false;
  /** While starting, falling back is expected (no ring read yet) and not worth a log line. */
  private starting = true;
  private readonly counts = { loads: 0, rotations: 0, lockContended: 0, timeouts: 0, errors: 0, rejected: 0 };
  /** Resolves once the ring was read (or made) at start, or the attempts ran out: true if a shared key seals. */
  readonly ready: Promise<boolean>;

  constructor(options: RedisTicketKeysOptions) {
    if (options === null || typeof options !== 'object') throw new TlsConfigError('ERR_INVALID_ARG', 'options must be an object');
    const prefix = options.prefix ?? DEFAULT_TICKET_KEYS_PREFIX;
    if (typeof prefix !== 'string' || /[{}]/.test(prefix)) throw new TlsConfigError('ERR_INVALID_ARG_VALUE', 'prefix must be a string without braces');
    // One hash tag: the ring and its lock live in one slot, so the scripts run on Redis Cluster.
    this.ringKey = `{${prefix}}:ring`;
    this.lockKey = `{${prefix}}:lock`;
    const rotationSeconds = seconds(options.rotationSeconds ?? DEFAULT_ROTATION_SECONDS, 'rotationSeconds');
    this.rotationMs = rotationSeconds * 1000;
    this.ticketLifetimeSeconds = seconds(options.ticketLifetimeSeconds ?? DEFAULT_TICKET_LIFETIME_SECONDS, 'ticketLifetimeSeconds');
    if (this.ticketLifetimeSeconds > MAX_TICKET_LIFETIME_SECONDS) {
      throw new TlsConfigError('ERR_INVALID_ARG_VALUE', `ticketLifetimeSeconds must be at most ${MAX_TICKET_LIFETIME_SECONDS} (7 days)`);
    }
    this.lifetimeMs = this.ticketLifetimeSeconds * 1000;
    this.pollIntervalMs = positive(
      options.pollIntervalMs ?? Math.min(MAX_DEFAULT_POLL_MS, Math.max(MIN_DEFAULT_POLL_MS, this.rotationMs / 60)),
      'pollIntervalMs',
    );
    this.activationDelayMs = positive(options.activationDelayMs ?? 2 * this.pollIntervalMs, 'activationDelayMs');
    if (this.activationDelayMs < 2 * this.pollIntervalMs) {
      throw new TlsConfigError('ERR_INVALID_ARG_VALUE', 'activationDelayMs must be at least two poll intervals, so every process reads a key before it seals');
    }
    if (this.activationDelayMs >= this.rotationMs) {
      throw new TlsConfigError('ERR_INVALID_ARG_VALUE', 'activationDelayMs must be shorter than the rotation, or keys are replaced before they seal');
    }
    this.maxKeyAgeMs = seconds(options.maxKeyAgeSeconds ?? 2 * rotationSeconds, 'maxKeyAgeSeconds') * 1000;
    if (this.maxKeyAgeMs < this.rotationMs + 2 * this.pollIntervalMs) {
      throw new TlsConfigError('ERR_INVALID_ARG_VALUE', 'maxKeyAgeSeconds must leave the rotation (and two polls) time to happen');
    }
    this.timeoutMs = positive(options.timeoutMs ?? DEFAULT_TICKET_KEYS_TIMEOUT_MS, 'timeoutMs');
    // Long enough for the read and the write the lock protects.
    this.lockMs = 3 * this.timeoutMs + 1000;
    this.now = options.now ?? Date.now;
    this.sealer = new AtRestSealer('ticket key ring', options.secret, options.previousSecrets);
    this.log = options.log ?? ((m: string) => console.warn(m));
    this.redisOutage = new OutageLog('Redis for the ticket keys', this.log);
    this.connection = connectRedis(options, (e) => this.redisOutage.failed(e.message, 'the keys held go on'));
    this.redis = this.connection.redis;
    // Never rejects: a bug in the background must not become an unhandled rejection.
    this.ready = this.start().catch((e: unknown) => {
      this.log(`puretls/redis: ticket keys: start failed: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    });
  }

  // -------------------------------------------------------------------------------------
  // TicketKeySource: synchronous, from memory

  ticketKeys(): TicketKeySet {
    const now = this.now();
    if (!this.snapshot || now >= this.snapshot.validUntil) this.snapshot = this.compute(now);
    return this.snapshot.set;
  }

  /** What the background work counted: reads, rotations, timeouts, errors. */
  get stats(): TicketKeysStats {
    const set = this.ticketKeys();
    return {
      ...this.counts,
      fallback: this.snapshot?.fallback ?? false,
      sharedKeys: this.held.size,
      currentKeyName: toHex(set.current.subarray(0, TICKET_KEY_NAME_LENGTH)),
    };
  }

  /** Reads the ring now (and rotates if due), as the poller does. */
  refresh(): Promise<void> {
    if (!this.polling) {
      this.polling = this.poll()
        .catch((e: unknown) => {
          this.counts.errors++;
          this.redisOutage.failed(e instanceof Error ? e.message : String(e), 'the keys held go on');
        })
        .finally(() => {
          this.polling = undefined;
        });
    }
    return this.polling;
  }

  /** Stops polling, closes the client if it was made from `url`, and wipes every key held. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.polling?.catch(() => undefined);
    await this.connection.close();
    for (const key of this.held.values()) key.material.fill(0);
    for (const key of this.local) key.material.fill(0);
    this.held.clear();
    this.local = [];
    this.sealer.dispose();
  }

  // -------------------------------------------------------------------------------------
  // Which key seals, which open

  private compute(now: number): Snapshot {
    const shared = [...this.held.values()].sort((a, b) => a.activeFrom - b.activeFrom || (a.id < b.id ? -1 : 1));
    const events: number[] = [];
    let sharedCurrent: RingKey | undefined;
    const open: Uint8Array[] = [];
    for (let i = 0; i < shared.length; i++) {
      const key = shared[i]!;
      // A key seals until the next starts (or until it is too old); it opens one ticket lifetime longer.
      const sealsUntil = Math.min(shared[i + 1]?.activeFrom ?? Infinity, key.activeFrom + this.maxKeyAgeMs);
      const opensUntil = sealsUntil + this.lifetimeMs;
      if (now > opensUntil) {
        this.held.delete(key.id);
        key.material.fill(0);
        continue;
      }
      events.push(opensUntil, key.activeFrom + this.maxKeyAgeMs);
      if (key.activeFrom <= now) sharedCurrent = key;
      else events.push(key.activeFrom);
      open.push(key.material);
    }
    const usable = sharedCurrent !== undefined && now < sharedCurrent.activeFrom + this.maxKeyAgeMs;
    const localCurrent = this.maintainLocal(now, !usable);
    for (const key of this.local) {
      if (key.retiredAt !== undefined) events.push(key.retiredAt + this.lifetimeMs);
      else events.push(key.since + this.rotationMs);
      open.push(key.material);
    }
    this.noteFallback(!usable, sharedCurrent, now);
    const current = usable ? sharedCurrent!.material : localCurrent!.material;
    const set: TicketKeySet = { current, decryptOnly: open.filter((m) => m !== current) };
    const validUntil = Math.min(...events.filter((t) => t > now), Infinity);
    return { set, validUntil, fallback: !usable };
  }

  /** Local keys: one seals while the shared keys cannot; retired ones open for a ticket lifetime. */
  private maintainLocal(now: number, needed: boolean): LocalKey | undefined {
    let current = this.local.find((k) => k.retiredAt === undefined);
    if (current && (!needed || now - current.since >= this.rotationMs)) {
      current.retiredAt = now;
      current = undefined;
    }
    this.local = this.local.filter((k) => {
      const keep = k.retiredAt === undefined || now <= k.retiredAt + this.lifetimeMs;
      if (!keep) k.material.fill(0);
      return keep;
    });
    if (needed && !current) {
      current = { material: randomBytes(TICKET_KEYS_LENGTH), since: now, retiredAt: undefined };
      this.local.push(current);
    }
    return current;
  }

  private noteFallback(fallback: boolean, shared: RingKey | undefined, now: number): void {
    if (this.starting || fallback === this.inFallback) return;
    this.inFallback = fallback;
    if (fallback) {
      const why = shared ? `the shared key has sealed for ${Math.round((now - shared.activeFrom) / 1000)} s` : 'no shared key yet';
      this.log(`puretls/redis: ticket keys: ${why} and the ring could not be renewed; sealing under a local key (tickets resume on this process only) until Redis is back`);
    } else {
      this.log('puretls/redis: ticket keys: sealing under the shared keys again');
    }
  }

  // -------------------------------------------------------------------------------------
  // Background: read the ring, rotate

  private async start(): Promise<boolean> {
    await Promise.race([this.connection.connected, sleep(this.timeoutMs)]);
    for (let i = 0; i < STARTUP_ATTEMPTS && !this.closed; i++) {
      await this.refresh();
      if (this.sharedKeyUsable(this.now())) break;
      await sleep(STARTUP_RETRY_MS);
    }
    this.starting = false;
    if (this.closed) return false;
    this.snapshot = undefined; // computed again, and logged if it is a fallback
    this.timer = setInterval(() => void this.refresh(), this.pollIntervalMs);
    // Polling must not keep the process alive on its own.
    (this.timer as { unref?: () => void }).unref?.();
    return !this.ticketKeysFallback();
  }

  private ticketKeysFallback(): boolean {
    this.ticketKeys();
    return this.snapshot!.fallback;
  }

  /** The shared keys held that still open tickets at `now` (what a ring written now keeps). */
  private heldWithinWindow(now: number): RingKey[] {
    const shared = [...this.held.values()].sort((a, b) => a.activeFrom - b.activeFrom);
    return shared.filter((key, i) => {
      const sealsUntil = Math.min(shared[i + 1]?.activeFrom ?? Infinity, key.activeFrom + this.maxKeyAgeMs);
      return now <= sealsUntil + this.lifetimeMs;
    });
  }

  /** A shared key seals now (without making a local key as computing the set would). */
  private sharedKeyUsable(now: number): boolean {
    let current: RingKey | undefined;
    for (const key of this.held.values()) if (key.activeFrom <= now && (!current || key.activeFrom > current.activeFrom)) current = key;
    return current !== undefined && now < current.activeFrom + this.maxKeyAgeMs;
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    const ring = await this.readRing();
    if (!ring) return;
    this.merge(ring.entries);
    const due = this.rotationDue(this.now());
    // A ring that vanished (Redis restarted empty) is written again from the keys held.
    if (due || (ring.absent && this.held.size > 0)) await this.rotate();
  }

  private rotationDue(now: number): boolean {
    let newest = -Infinity;
    for (const key of this.held.values()) newest = Math.max(newest, key.publishedAt);
    return now - newest >= this.rotationMs;
  }

  /** Adds keys read from Redis; keys held but missing from the ring stay until their window ends. */
  private merge(entries: readonly RingKey[]): void {
    let changed = false;
    for (const entry of entries) {
      const held = this.held.get(entry.id);
      if (held && held.publishedAt === entry.publishedAt && held.activeFrom === entry.activeFrom && bytesSame(held.material, entry.material)) {
        entry.material.fill(0);
        continue;
      }
      // A key name is an identity: the ring's version replaces a different one held under it.
      held?.material.fill(0);
      this.held.set(entry.id, entry);
      changed = true;
    }
    if (changed) this.snapshot = undefined;
  }

  private async rotate(): Promise<void> {
    const token = toHex(randomBytes(16));
    const lock = await this.command(() => this.redis.set(this.lockKey, token, { expiration: { type: 'PX', value: this.lockMs }, condition: 'NX' }));
    if (lock.kind !== 'ok') return;
    if (lock.value !== 'OK') {
      this.counts.lockContended++;
      return;
    }
    let released = false;
    let fresh: RingKey | undefined;
    try {
      // Under the lock: the ring as it is now (another process may just have rotated).
      const ring = await this.readRing();
      if (!ring) return;
      this.merge(ring.entries);
      const now = this.now();
      const due = this.rotationDue(now);
      if (!due && !(ring.absent && this.held.size > 0)) return;
      const entries = this.heldWithinWindow(now);
      if (due) {
        // Published decrypt-only first, unless nobody holds a key to seal with meanwhile.
        fresh = newRingKey(now, entries.length > 0 ? now + this.activationDelayMs : now);
        entries.push(fresh);
      }
      entries.sort((a, b) => a.activeFrom - b.activeFrom);
      while (entries.length > MAX_RING_KEYS) entries.shift();
      const plaintext = encodeRing(entries);
      const value = toRedisValue(this.sealer.seal(plaintext, new TextEncoder().encode(this.ringKey)));
      plaintext.fill(0);
      const ttl = this.rotationMs + this.maxKeyAgeMs + this.lifetimeMs + this.activationDelayMs;
      const written = await this.command(() => this.redis.eval(WRITE_RING_SCRIPT, { keys: [this.ringKey, this.lockKey], arguments: [token, value, String(ttl)] }));
      released = written.kind === 'ok';
      if (written.kind === 'ok' && Number(written.value) === 1 && fresh) {
        this.counts.rotations++;
        this.merge([copyRingKey(fresh)]);
      }
    } finally {
      fresh?.material.fill(0);
      if (!released) await this.command(() => this.redis.eval(RELEASE_LOCK_SCRIPT, { keys: [this.lockKey], arguments: [token] }));
    }
  }

  private async readRing(): Promise<RingRead> {
    const got = await this.command(() => this.redis.get(this.ringKey));
    if (got.kind !== 'ok') return undefined;
    this.counts.loads++;
    if (got.value === null || got.value === undefined) return { entries: [], absent: true };
    const sealed = fromRedisValue(got.value, MAX_RING_BYTES);
    const plaintext = sealed && this.sealer.open(sealed, new TextEncoder().encode(this.ringKey));
    const entries = plaintext && decodeRing(plaintext);
    plaintext?.fill(0);
    if (!entries) {
      this.counts.rejected++;
      this.redisOutage.failed('the ticket key ring in Redis does not open under this secret', 'the keys held go on; the ring is left as it is');
      return undefined;
    }
    return { entries, absent: false };
  }

  private async command<T>(run: () => Promise<T>): Promise<Outcome<T>> {
    const outcome = await withDeadline(run, this.timeoutMs);
    if (outcome.kind === 'ok') this.redisOutage.answered();
    else {
      if (outcome.kind === 'timeout') this.counts.timeouts++;
      else this.counts.errors++;
      this.redisOutage.failed(describeOutcome(outcome, this.timeoutMs), 'the keys held go on');
    }
    return outcome;
  }
}

function newRingKey(publishedAt: number, activeFrom: number): RingKey {
  const material = randomBytes(TICKET_KEYS_LENGTH);
  return { id: toHex(material.subarray(0, TICKET_KEY_NAME_LENGTH)), material, publishedAt, activeFrom };
}

function copyRingKey(key: RingKey): RingKey {
  return { ...key, material: Uint8Array.from(key.material) };
}

function bytesSame(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** RING_VERSION (1) | count (1) | count × (key (48) | publishedAt (8) | activeFrom (8)), big-endian ms. */
function encodeRing(entries: readonly RingKey[]): Uint8Array {
  const out = new Uint8Array(2 + entries.length * RING_KEY_BYTES);
  out[0] = RING_VERSION;
  out[1] = entries.length;
  const view = new DataView(out.buffer);
  let at = 2;
  for (const e of entries) {
    out.set(e.material, at);
    view.setBigUint64(at + TICKET_KEYS_LENGTH, BigInt(e.publishedAt));
    view.setBigUint64(at + TICKET_KEYS_LENGTH + 8, BigInt(e.activeFrom));
    at += RING_KEY_BYTES;
  }
  return out;
}

function decodeRing(plaintext: Uint8Array): RingKey[] | undefined {
  try {
    const r = new Reader(plaintext);
    if (r.u8() !== RING_VERSION) return undefined;
    const count = r.u8();
    if (count > MAX_RING_KEYS) return undefined;
    const entries: RingKey[] = [];
    for (let i = 0; i < count; i++) {
      const material = Uint8Array.from(r.bytes(TICKET_KEYS_LENGTH));
      const publishedAt = r.u32() * 2 ** 32 + r.u32();
      const activeFrom = r.u32() * 2 ** 32 + r.u32();
      entries.push({ id: toHex(material.subarray(0, TICKET_KEY_NAME_LENGTH)), material, publishedAt, activeFrom });
    }
    r.expectEmpty('ticket key ring');
    return entries;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TlsConfigError('ERR_INVALID_ARG_VALUE', `${name} must be a positive number (got ${String(value)})`);
  }
  return value;
}

function seconds(value: unknown, name: string): number {
  return positive(value, name);
}
