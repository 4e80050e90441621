import { latin1String } from '../codec/bytes.js';
import type { MaybePromise } from '../maybe-promise.js';
import type { Session } from './session.js';

/**
 * The server-side session cache (OpenSSL's internal cache, or an external one through
 * node:tls-style events). Keys are session IDs. Several contexts may share one cache: a
 * session carries its sid_ctx, and the resumption decision refuses one from another context.
 */
export interface SessionCache {
  /** The session stored under this ID, if any (a promise for a remote store). */
  get(sessionId: Uint8Array): MaybePromise<Session | undefined>;
  /** Stores a session under its session ID; a full handshake's last flight waits for it. */
  set(session: Session): MaybePromise<void>;
  /** Forgets a session (after a fatal alert, RFC 5246 §7.2.2, or when it expired). */
  delete(sessionId: Uint8Array): MaybePromise<void>;
  /** Sessions held now (OpenSSL's SSL_CTX_sess_number), when the store can tell. */
  readonly size: number | undefined;
  /** Sessions evicted because the cache was full (SSL_CTX_sess_cache_full). */
  readonly cacheFull: number;
  /** A remote store's own counters (shown as `context.stats.store`). */
  readonly storeStats?: SessionStoreStats;
}

/**
 * What a remote session store counts (puretls/redis's RedisSessionStore). Every `get` ends
 * as exactly one of hits, misses, rejected, timeouts, errors or shortCircuited; timeouts,
 * errors and shortCircuited also count the writes and deletes (which writeFailures counts
 * apart).
 */
export interface SessionStoreStats {
  /** An entry was found and opened (the resumption decision still judges it). */
  readonly hits: number;
  /** No entry under that session ID. */
  readonly misses: number;
  /** An entry was found but did not open: corrupt, sealed under another secret, or moved to another session ID or context. */
  readonly rejected: number;
  /** Commands the store did not answer within their deadline. */
  readonly timeouts: number;
  /** Commands that failed (connection refused or lost, an error reply). */
  readonly errors: number;
  /** Commands not sent at all: the circuit breaker was open. */
  readonly shortCircuited: number;
  /** Writes and deletes that did not reach the store (failed, timed out, or skipped by the breaker). */
  readonly writeFailures: number;
  /** 'closed' (in use), 'open' (not asked until a cooldown ends), 'half-open' (one probe in flight). */
  readonly breaker: 'closed' | 'open' | 'half-open';
}

/** A cache key for a session ID: a latin1 string is cheaper to build and hash than hex. */
export function sessionIdKey(id: Uint8Array): string {
  return latin1String(id);
}
