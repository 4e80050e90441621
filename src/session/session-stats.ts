import type { SessionCache, SessionStoreStats } from './cache.js';

/**
 * Handshakes that failed, by reason (a TlsError's `reason`, e.g. 'ERR_NO_SHARED_CIPHER', or
 * the Node layer's 'ERR_TLS_HANDSHAKE_TIMEOUT' and 'ECONNRESET'). Each failed handshake
 * counts once, under its first error; failures after the handshake are not counted here.
 */
export class FailureCounters {
  private readonly byReason = new Map<string, number>();
  private all = 0;

  /** One more failed handshake with this reason. */
  count(reason: string): void {
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
    this.all++;
  }

  /** Failures with this reason so far. */
  get(reason: string): number {
    return this.byReason.get(reason) ?? 0;
  }

  /** Every failed handshake so far. */
  get total(): number {
    return this.all;
  }

  /** Reason -> count, most frequent first. */
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.byReason].sort((a, b) => b[1] - a[1]));
  }
}

/** OpenSSL's SSL_CTX_sess_* counters, plus puretls's contextMismatches. */
export class SessionStats {
  /** Handshakes started: ClientHellos answered (SSL_CTX_sess_accept). */
  accept = 0;
  /** Handshakes completed (SSL_CTX_sess_accept_good). */
  acceptGood = 0;
  /** Sessions resumed (SSL_CTX_sess_hits). */
  hits = 0;
  /** Sessions proposed and not found: an unknown session ID, a ticket that does not open. */
  misses = 0;
  /** Sessions found but expired. */
  timeouts = 0;
  /** Sessions found but made under another sid_ctx (puretls). */
  contextMismatches = 0;
  /** Handshakes that failed, by reason (puretls; OpenSSL counts none). */
  readonly failures = new FailureCounters();

  constructor(private readonly cache: SessionCache | undefined) {}

  /** Sessions evicted from the cache because it was full (SSL_CTX_sess_cache_full). */
  get cacheFull(): number {
    return this.cache ? this.cache.cacheFull : 0;
  }

  /** Sessions in the cache now (SSL_CTX_sess_number). */
  get number(): number {
    return this.cache?.size ?? 0;
  }

  /**
   * The counters of a remote session store (puretls/redis's RedisSessionStore: hits, misses,
   * timeouts, errors, the circuit breaker's state), when the cache keeps them.
   */
  get store(): SessionStoreStats | undefined {
    return this.cache?.storeStats;
  }

  /** The counters as a plain object (failures and store apart: see `failures`, `store`). */
  toJSON(): Record<string, number> {
    const { accept, acceptGood, hits, misses, timeouts, contextMismatches, cacheFull, number } = this;
    return { accept, acceptGood, hits, misses, timeouts, cacheFull, number, contextMismatches };
  }
}
