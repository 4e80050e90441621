import type { SessionCache } from './cache.js';
import { sessionIdKey } from './cache.js';
import type { Session } from './session.js';

/** OpenSSL's SSL_SESSION_CACHE_MAX_SIZE_DEFAULT. */
export const DEFAULT_CACHE_SIZE = 20480;

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
 */
export class MemorySessionCache implements SessionCache {
  readonly maxSize: number;
  private readonly sessions = new Map<string, Session>();
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
    return this.sessions.get(sessionIdKey(sessionId));
  }

  set(session: Session): void {
    const key = sessionIdKey(session.sessionId);
    this.sessions.delete(key); // a replaced entry moves to the young end
    if (this.sessions.size >= this.maxSize) {
      const oldest = this.sessions.keys().next();
      if (!oldest.done) {
        this.sessions.delete(oldest.value);
        this.evicted++;
      }
    }
    this.sessions.set(key, session);
  }

  delete(sessionId: Uint8Array): void {
    this.sessions.delete(sessionIdKey(sessionId));
  }

  /**
   * Removes expired sessions (OpenSSL's SSL_CTX_flush_sessions). Every entry is looked at:
   * insertion order is not expiry order once sessions with different timeouts share a cache.
   */
  flushExpired(): number {
    const nowSeconds = Math.floor(this.now() / 1000);
    let removed = 0;
    for (const [key, session] of this.sessions) {
      if (session.isExpiredAt(nowSeconds)) {
        this.sessions.delete(key);
        removed++;
      }
    }
    return removed;
  }

  clear(): void {
    this.sessions.clear();
  }

  /** Stops the periodic sweep. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
