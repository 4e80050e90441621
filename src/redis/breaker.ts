/**
 * A circuit breaker in front of Redis (after Nygard's "Release It!"): while Redis keeps
 * failing, handshakes stop waiting for it, and it is tried again by itself.
 *
 *   closed ── `failureThreshold` failures in a row ──► open
 *   open ── `cooldownMs` later, the next call ──► half-open (that one call is the probe)
 *   half-open ── the probe succeeds ──► closed;  fails ──► open (another cooldown)
 *
 * While open (and while a probe is in flight) calls are refused at once: they cost a
 * handshake no time at all. Every admitted call must end in `succeeded` or `failed`.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  now: () => number;
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failuresInRow = 0;
  private openedAt = 0;
  private readonly options: CircuitBreakerOptions;
  /** Times the breaker opened (from closed or after a failed probe). */
  opened = 0;

  constructor(options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) throw new RangeError('failureThreshold must be a positive integer');
    if (!Number.isFinite(options.cooldownMs) || options.cooldownMs < 0) throw new RangeError('cooldownMs must be a non-negative number');
    this.options = options;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** May a call go to Redis now? Moves open to half-open once the cooldown is over (admitting this call as the probe). */
  admit(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'half-open') return false; // the probe is in flight
    if (this.options.now() - this.openedAt < this.options.cooldownMs) return false;
    this.current = 'half-open';
    return true;
  }

  succeeded(): void {
    this.failuresInRow = 0;
    this.current = 'closed';
  }

  failed(): void {
    this.failuresInRow++;
    if (this.current === 'half-open' || (this.current === 'closed' && this.failuresInRow >= this.options.failureThreshold)) {
      this.current = 'open';
      this.openedAt = this.options.now();
      this.opened++;
    }
  }
}
