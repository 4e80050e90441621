import { latin1String } from '../codec/bytes.js';
import type { MaybePromise } from '../maybe-promise.js';
import type { Session } from './session.js';

/**
 * The server-side session cache (OpenSSL's internal cache, or an external one through
 * node:tls-style events). Keys are session IDs. Several contexts may share one cache: a
 * session carries its sid_ctx, and the resumption decision refuses one from another context.
 */
export interface SessionCache {
  get(sessionId: Uint8Array): MaybePromise<Session | undefined>;
  set(session: Session): MaybePromise<void>;
  delete(sessionId: Uint8Array): MaybePromise<void>;
  /** Sessions held now (OpenSSL's SSL_CTX_sess_number), when the store can tell. */
  readonly size: number | undefined;
  /** Sessions evicted because the cache was full (SSL_CTX_sess_cache_full). */
  readonly cacheFull: number;
}

/** A cache key for a session ID: a latin1 string is cheaper to build and hash than hex. */
export function sessionIdKey(id: Uint8Array): string {
  return latin1String(id);
}
