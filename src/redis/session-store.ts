import type { EventEmitter } from 'node:events';
import { bytesEqual, toHex } from '../codec/bytes.js';
import { ProtocolVersion } from '../codec/enums.js';
import { TlsConfigError } from '../errors.js';
import type { SessionCache, SessionStoreStats } from '../session/cache.js';
import { MAX_SESSION_ID_LENGTH, MAX_SID_CTX_LENGTH, Session, toSidCtxBytes } from '../session/session.js';
import { TICKET_MAX_LENGTH } from '../session/tickets.js';
import { CircuitBreaker, type BreakerState } from './breaker.js';
import { OutageLog, connectRedis, describeOutcome, withDeadline, type NodeRedisLike, type Outcome, type RedisConnection, type RedisConnectionOptions } from './client.js';
import { AtRestSealer, SEALED_OVERHEAD, fromRedisValue, toRedisValue } from './sealing.js';

/**
 * A session-ID cache in Redis, shared by every process of a fleet (puretls and node:tls).
 *
 * Each session is one Redis string under `prefix + hex(session ID)`, so every command names
 * one key and lands in one hash slot (Redis Cluster works as is). The value is sealed (see
 * sealing.ts) and laid out as
 *
 *   ENTRY_VERSION (1) | sid_ctx length (1) | sid_ctx | sealed(session DER)
 *
 * with the session ID and the sid_ctx as the associated data. The sid_ctx is in the clear so
 * that an entry of another context still opens and reaches the resumption decision, which
 * refuses it by its rule 2 (and counts a context mismatch): every rule applies to what
 * comes back, sid_ctx first. Changing that sid_ctx byte, or copying the entry under another
 * session ID, breaks the tag: the entry does not open (counted as `rejected`), and the
 * handshake is a full one.
 *
 * Redis is a cache, not a dependency: a lookup that fails or outlives `timeoutMs` is a
 * miss, a write that fails loses one session, and a circuit breaker stops asking a Redis
 * that keeps failing, then tries it again by itself.
 */

export const ENTRY_VERSION = 1;
/** Redis keeps no session longer than this, whatever its timeout (SET ... PX). */
export const MAX_ENTRY_TTL_MS = 24 * 60 * 60 * 1000;
/** The largest entry we write or read: a session no larger than a ticket can carry, sealed. */
export const MAX_ENTRY_BYTES = 2 + MAX_SID_CTX_LENGTH + SEALED_OVERHEAD + TICKET_MAX_LENGTH;
/** Where sessions live in Redis: this prefix and the session ID in hex. */
export const DEFAULT_SESSION_PREFIX = 'puretls:session:';
/** A lookup that takes longer is a miss: the handshake goes on as a full one. */
export const DEFAULT_STORE_TIMEOUT_MS = 50;
/** Failures in a row (timeouts or errors) that open the circuit breaker. */
export const DEFAULT_BREAKER_THRESHOLD = 3;
/** How long an open breaker keeps Redis out of handshakes before one probe. */
export const DEFAULT_BREAKER_COOLDOWN_MS = 1000;

/** Options of a RedisSessionStore: how to reach Redis, the fleet secret, deadlines, the breaker. */
export interface RedisSessionStoreOptions extends RedisConnectionOptions {
  /** The fleet's at-rest key: 32 random bytes, the same on every process (`openssl rand -hex 32`). */
  secret: Uint8Array;
  /** Secrets that still open entries while the fleet changes its secret (see the README); nothing is sealed under them. */
  previousSecrets?: readonly Uint8Array[];
  /** Prefix of every key; default 'puretls:session:'. */
  prefix?: string;
  /** Deadline of each Redis command, in ms; default 50. */
  timeoutMs?: number;
  /** Failures in a row that open the circuit breaker; default 3. */
  breakerThreshold?: number;
  /** How long the breaker stays open before it lets one probe through, in ms; default 1000. */
  breakerCooldownMs?: number;
  /** Where the outage lines go (one when Redis fails, one when it answers again); default console.warn. */
  log?: (message: string) => void;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
}

/** What `attach` counts for the node:tls servers it serves (their resumption decision is OpenSSL's). */
export interface AttachedServerStats {
  /** Sessions handed to node:tls. */
  handedOver: number;
  /** Sessions found but made under another sid_ctx: not handed over. */
  contextMismatches: number;
  /** Found but expired, or made without extended master secret, or not TLS 1.2: not handed over. */
  refused: number;
}

class Counters implements SessionStoreStats {
  hits = 0;
  misses = 0;
  rejected = 0;
  timeouts = 0;
  errors = 0;
  shortCircuited = 0;
  writeFailures = 0;
  constructor(private readonly breakerOf: () => BreakerState) {}
  get breaker(): BreakerState {
    return this.breakerOf();
  }
  toJSON(): Record<string, number | string> {
    const { hits, misses, rejected, timeouts, errors, shortCircuited, writeFailures, breaker } = this;
    return { hits, misses, rejected, timeouts, errors, shortCircuited, writeFailures, breaker };
  }
}

/** A sealed entry as read back: the session and the exact DER it was sealed from. */
interface OpenedEntry {
  session: Session;
  der: Uint8Array;
}

type StoreResult<T> = { kind: 'ok'; value: T } | { kind: 'failed' };

/**
 * A SessionCache in Redis shared by a fleet (puretls and node:tls processes): sessions
 * sealed with AES-256-GCM under a key derived from the fleet secret, bound to their session
 * ID and sid_ctx, each with its remaining lifetime as TTL; every command under a deadline,
 * behind a circuit breaker (see README, Running a fleet).
 */
export class RedisSessionStore implements SessionCache {
  /** The key prefix of the sessions. */
  readonly prefix: string;
  /** Deadline of each Redis command a handshake waits on, in milliseconds. */
  readonly timeoutMs: number;
  private readonly connection: RedisConnection;
  private readonly redis: NodeRedisLike;
  private readonly sealer: AtRestSealer;
  private readonly breaker: CircuitBreaker;
  private readonly outage: OutageLog;
  private readonly now: () => number;
  private readonly counters: Counters;
  private closed = false;
  /** Counters of the node:tls servers wired with `attach`. */
  readonly attachedStats: AttachedServerStats = { handedOver: 0, contextMismatches: 0, refused: 0 };

  constructor(options: RedisSessionStoreOptions) {
    if (options === null || typeof options !== 'object') throw new TlsConfigError('ERR_INVALID_ARG', 'options must be an object');
    this.prefix = options.prefix ?? DEFAULT_SESSION_PREFIX;
    if (typeof this.prefix !== 'string') throw new TlsConfigError('ERR_INVALID_ARG_VALUE', 'prefix must be a string');
    this.timeoutMs = positive(options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS, 'timeoutMs');
    this.now = options.now ?? Date.now;
    this.sealer = new AtRestSealer('session entry', options.secret, options.previousSecrets);
    this.breaker = new CircuitBreaker({
      failureThreshold: options.breakerThreshold ?? DEFAULT_BREAKER_THRESHOLD,
      cooldownMs: options.breakerCooldownMs ?? DEFAULT_BREAKER_COOLDOWN_MS,
      now: this.now,
    });
    this.counters = new Counters(() => this.breaker.state);
    const log = options.log ?? ((m: string) => console.warn(m));
    this.outage = new OutageLog('the Redis session store', log);
    this.connection = connectRedis(options, (e) => this.outage.failed(e.message, 'handshakes go on as full handshakes until it answers'));
    this.redis = this.connection.redis;
  }

  /** Resolves once the client is connected (lookups before that are misses). */
  get connected(): Promise<void> {
    return this.connection.connected;
  }

  /** The counters (also `context.stats.store` of a context using this store). */
  get storeStats(): SessionStoreStats {
    return this.counters;
  }

  /** Redis can tell, but not cheaply: unknown. */
  get size(): undefined {
    return undefined;
  }

  /** Redis evicts by TTL (and by its own maxmemory policy), never because we are full. */
  get cacheFull(): number {
    return 0;
  }

  // -------------------------------------------------------------------------------------
  // SessionCache

  async get(sessionId: Uint8Array): Promise<Session | undefined> {
    return (await this.lookup(sessionId))?.session;
  }

  async set(session: Session): Promise<void> {
    // A session without extended master secret is never resumed by puretls (the triple
    // handshake attack), so it is not worth a write; an empty ID cannot be looked up.
    if (!session.extendedMasterSecret || session.sessionId.length === 0) return;
    await this.store(session.sessionId, session.sidCtx, session.toDER(), session);
  }

  async delete(sessionId: Uint8Array): Promise<void> {
    if (!validSessionId(sessionId)) return;
    const result = await this.command(() => this.redis.del(this.key(sessionId)));
    if (result.kind === 'failed') this.counters.writeFailures++;
  }

  /** Stops using Redis, closes the client if it was made from `url`, and wipes the derived keys. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connection.close();
    this.sealer.dispose();
  }

  // -------------------------------------------------------------------------------------
  // node:tls

  /**
   * Wires a node:tls server's `newSession` / `resumeSession` events to this store, sealed
   * the same way, so node:tls and puretls processes with the same session id context resume
   * each other's sessions by session ID. `sessionIdContext` must be the server's own (node's
   * `sessionIdContext` option; it is checked when the server shows it).
   *
   * A session goes to node:tls only if it was made under that sid_ctx (else it counts in
   * `attachedStats.contextMismatches`), has not expired, is TLS 1.2 and used extended
   * master secret; OpenSSL then applies its own rules (suite, EMS consistency). node:tls
   * holds its last flight until `newSession` is done, so a write, like a lookup, waits at
   * most `timeoutMs`. Tickets are another matter: node:tls's are not puretls's (see the
   * README). Returns a function that unhooks the server.
   */
  attach(server: EventEmitter & { sessionIdContext?: unknown }, options: { sessionIdContext: string | Uint8Array }): () => void {
    if (options === null || typeof options !== 'object' || options.sessionIdContext === undefined) {
      throw new TlsConfigError('ERR_INVALID_ARG', 'attach needs the server\'s sessionIdContext');
    }
    const sidCtx = toSidCtxBytes(options.sessionIdContext);
    if (sidCtx.length === 0) throw new TlsConfigError('ERR_INVALID_ARG_VALUE', 'attach needs a non-empty sessionIdContext');
    const own = server.sessionIdContext;
    if (typeof own === 'string' && !bytesEqual(toSidCtxBytes(own), sidCtx)) {
      throw new TlsConfigError('ERR_INVALID_ARG_VALUE', `the server's sessionIdContext is '${own}', not the one given to attach`);
    }
    const onNewSession = (id: Buffer, data: Buffer, done: () => void): void => {
      this.storeNodeSession(id, data, sidCtx)
        .catch(() => (this.counters.writeFailures++, undefined))
        .finally(() => done());
    };
    const onResumeSession = (id: Buffer, done: (err: Error | null, data: Buffer | null) => void): void => {
      this.resumeNodeSession(id, sidCtx).then(
        (der) => done(null, der),
        () => done(null, null),
      );
    };
    server.on('newSession', onNewSession);
    server.on('resumeSession', onResumeSession);
    return () => {
      server.off('newSession', onNewSession);
      server.off('resumeSession', onResumeSession);
    };
  }

  private async storeNodeSession(id: Uint8Array, der: Uint8Array, sidCtx: Uint8Array): Promise<void> {
    let session: Session;
    try {
      session = Session.fromDER(der);
    } catch {
      return; // not a session we can read: nothing to share
    }
    if (!bytesEqual(session.sidCtx, sidCtx) || !bytesEqual(session.sessionId, id) || !session.extendedMasterSecret) return;
    // The exact bytes node:tls gave: OpenSSL reads them back as it wrote them.
    await this.store(id, sidCtx, der, session);
  }

  private async resumeNodeSession(id: Uint8Array, sidCtx: Uint8Array): Promise<Buffer | null> {
    const found = await this.lookup(id);
    if (!found) return null;
    const { session, der } = found;
    // What puretls's decision would say without a ClientHello: sid_ctx first, then version,
    // expiry and EMS. OpenSSL checks the rest.
    if (!bytesEqual(session.sidCtx, sidCtx)) {
      this.attachedStats.contextMismatches++;
      return null;
    }
    if (session.version !== ProtocolVersion.TLSv1_2 || session.isExpiredAt(Math.floor(this.now() / 1000)) || !session.extendedMasterSecret) {
      this.attachedStats.refused++;
      return null;
    }
    this.attachedStats.handedOver++;
    return Buffer.from(der);
  }

  // -------------------------------------------------------------------------------------
  // Entries

  private key(sessionId: Uint8Array): string {
    return this.prefix + toHex(sessionId);
  }

  private async lookup(sessionId: Uint8Array): Promise<OpenedEntry | undefined> {
    if (!validSessionId(sessionId)) {
      this.counters.misses++;
      return undefined;
    }
    const result = await this.command(() => this.redis.get(this.key(sessionId)));
    if (result.kind === 'failed') return undefined;
    if (result.value === null || result.value === undefined) {
      this.counters.misses++;
      return undefined;
    }
    const opened = this.openEntry(sessionId, result.value);
    if (opened) this.counters.hits++;
    else this.counters.rejected++;
    return opened;
  }

  private async store(sessionId: Uint8Array, sidCtx: Uint8Array, der: Uint8Array, session: Session): Promise<void> {
    if (this.closed || !validSessionId(sessionId) || sidCtx.length > MAX_SID_CTX_LENGTH) return;
    // The session's remaining lifetime, never beyond a day: Redis forgets it when it could no longer resume.
    const ttl = Math.min(MAX_ENTRY_TTL_MS, (session.createdAt + session.timeout) * 1000 - this.now());
    if (ttl <= 0) return;
    const entry = this.sealEntry(sessionId, sidCtx, der);
    if (entry.length > MAX_ENTRY_BYTES) return;
    const value = toRedisValue(entry);
    const result = await this.command(() => this.redis.set(this.key(sessionId), value, { expiration: { type: 'PX', value: Math.ceil(ttl) } }));
    if (result.kind === 'failed') this.counters.writeFailures++;
  }

  private sealEntry(sessionId: Uint8Array, sidCtx: Uint8Array, der: Uint8Array): Uint8Array {
    const sealed = this.sealer.seal(der, entryAssociatedData(sessionId, sidCtx));
    const entry = new Uint8Array(2 + sidCtx.length + sealed.length);
    entry[0] = ENTRY_VERSION;
    entry[1] = sidCtx.length;
    entry.set(sidCtx, 2);
    entry.set(sealed, 2 + sidCtx.length);
    return entry;
  }

  /** The session in an entry, or undefined for anything that is not this session's entry sealed by this fleet. */
  private openEntry(sessionId: Uint8Array, value: unknown): OpenedEntry | undefined {
    const entry = fromRedisValue(value, MAX_ENTRY_BYTES);
    if (!entry || entry.length < 2 || entry[0] !== ENTRY_VERSION) return undefined;
    const sidCtxLength = entry[1]!;
    if (sidCtxLength > MAX_SID_CTX_LENGTH || entry.length < 2 + sidCtxLength + SEALED_OVERHEAD) return undefined;
    const sidCtx = entry.subarray(2, 2 + sidCtxLength);
    const der = this.sealer.open(entry.subarray(2 + sidCtxLength), entryAssociatedData(sessionId, sidCtx));
    if (!der) return undefined;
    let session: Session;
    try {
      session = Session.fromDER(der);
    } catch {
      return undefined; // sealed by the fleet yet unreadable: a bug somewhere, still not a session
    }
    // The tag covers the ID and sid_ctx already; the DER inside must agree with them.
    if (!bytesEqual(session.sessionId, sessionId) || !bytesEqual(session.sidCtx, sidCtx)) return undefined;
    return { session, der };
  }

  // -------------------------------------------------------------------------------------
  // One command: breaker, deadline, counters, the outage log

  private async command<T>(run: () => Promise<T>): Promise<StoreResult<T>> {
    if (this.closed || !this.breaker.admit()) {
      this.counters.shortCircuited++;
      return { kind: 'failed' };
    }
    const outcome: Outcome<T> = await withDeadline(run, this.timeoutMs);
    if (outcome.kind === 'ok') {
      this.breaker.succeeded();
      this.outage.answered();
      return outcome;
    }
    if (outcome.kind === 'timeout') this.counters.timeouts++;
    else this.counters.errors++;
    this.breaker.failed();
    this.outage.failed(describeOutcome(outcome, this.timeoutMs), 'handshakes go on as full handshakes until it answers');
    return { kind: 'failed' };
  }
}

function validSessionId(id: Uint8Array): boolean {
  return id instanceof Uint8Array && id.length > 0 && id.length <= MAX_SESSION_ID_LENGTH;
}

/** The entry is bound to its session ID and sid_ctx: moved to another of either, it does not open. */
function entryAssociatedData(sessionId: Uint8Array, sidCtx: Uint8Array): Uint8Array {
  const aad = new Uint8Array(2 + sessionId.length + sidCtx.length);
  aad[0] = sessionId.length;
  aad.set(sessionId, 1);
  aad[1 + sessionId.length] = sidCtx.length;
  aad.set(sidCtx, 2 + sessionId.length);
  return aad;
}

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TlsConfigError('ERR_INVALID_ARG_VALUE', `${name} must be a positive number (got ${String(value)})`);
  }
  return value;
}
