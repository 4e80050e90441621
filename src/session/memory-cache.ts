import type { SessionCache } from './cache.js';
import { sessionIdKey } from './cache.js';
import { packSession, packedExpiry, unpackSession } from './packed-session.js';
import { Session } from './session.js';

/** OpenSSL's SSL_SESSION_CACHE_MAX_SIZE_DEFAULT. */
export const DEFAULT_CACHE_SIZE = 20480;

/** Options of the in-memory session cache. */
export interface MemorySessionCacheOptions {
  /** Most sessions held; the oldest goes first when full. Default 20480. */
  maxSize?: number;
  /** Seconds between sweeps of expired sessions; 0 turns the sweep off. Default 60. */
  flushIntervalSeconds?: number;
  /** Clock in milliseconds (injectable for tests). */
  now?: () => number;
}

/**
 * An in-memory session cache. A Map keeps insertion order, so the oldest entry is the
 * first key: get, set, delete and eviction are all O(1).
 *
 * Each session is held packed in one buffer of its own (packed-session.ts: one allocation,
 * a fraction of an object's memory) and handed out as a new Session, so that the master
 * secret of a session that leaves the cache (evicted, expired, deleted, cleared) is wiped at
 * once, with one fill, without touching a session that a connection or the application holds.
 */
export class MemorySessionCache implements SessionCache {
  /** Most sessions held (the oldest is evicted, its master secret wiped). */
  readonly maxSize: number;
  private readonly sessions = new Map<string, Uint8Array>();
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private evicted = 0;

  constructor(options: MemorySessionCacheOptions = {}) {
    this.maxSize = options.maxSize ?? DEFAULT_CACHE_SIZE;
    if (!Number.isInteger(this.maxSize) || this.maxSize < 1) throw new RangeError('maxSize must be a positive integer');
    this.now = options.now ?? Date.now;
    const every = options.flushIntervalSeconds ?? 60;
    if (every > 0) {
      this.timer = setInterval(() => this.flushExpired(), every * 1000);
      // A cache must not keep the process alive on its own.
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  get size(): number {
    return this.sessions.size;
  }

  get cacheFull(): number {
    return this.evicted;
  }

  get(sessionId: Uint8Array): Session | undefined {
    const held = this.sessions.get(sessionIdKey(sessionId));
    return held && new Session(unpackSession(held));
  }

  set(session: Session): void {
    const key = sessionIdKey(session.sessionId);
    this.remove(key); // a replaced entry moves to the young end
    if (this.sessions.size >= this.maxSize) {
      const oldest = this.sessions.keys().next();
      if (!oldest.done) {
        this.remove(oldest.value);
        this.evicted++;
      }
    }
    this.sessions.set(key, packSession(session));
  }

  delete(sessionId: Uint8Array): void {
    this.remove(sessionIdKey(sessionId));
  }

  /** Removes an entry and wipes it, master secret and all (the buffer is the cache's own). */
  private remove(key: string): void {
    const held = this.sessions.get(key);
    if (!held) return;
    this.sessions.delete(key);
    held.fill(0);
  }

  /**
   * Removes expired sessions (OpenSSL's SSL_CTX_flush_sessions). Every entry is looked at:
   * insertion order is not expiry order once sessions with different timeouts share a cache.
   */
  flushExpired(): number {
    const nowSeconds = Math.floor(this.now() / 1000);
    let removed = 0;
    for (const [key, packed] of this.sessions) {
      if (nowSeconds > packedExpiry(packed)) {
        this.remove(key);
        removed++;
      }
    }
    return removed;
  }

  /** Forgets every session (their master secrets wiped). */
  clear(): void {
    for (const packed of this.sessions.values()) packed.fill(0);
    this.sessions.clear();
  }

  /** Stops the periodic sweep. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
