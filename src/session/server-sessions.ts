import type { ClientAuthMode } from '../client-auth-mode.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import type { SessionCache } from './cache.js';
import { decideResumption, type ResumptionRequest } from './resumption.js';
import type { Session } from './session.js';
import { SessionStats } from './session-stats.js';
import type { TicketKeyring } from './tickets.js';

/** OpenSSL's SSL3_SSL_SESSION_ID_LENGTH: the IDs we give cached sessions. */
const SESSION_ID_LENGTH = 32;

/** What a ClientHello offers to resume. */
export interface ResumptionOffer {
  sessionId: Uint8Array;
  /** The connection's sid_ctx: ticket keys shared by a fleet open a ticket only in its own context. */
  sidCtx: Uint8Array;
  /** The session_ticket extension's content, when the client sent the extension. */
  ticket: Uint8Array | undefined;
}

/**
 * Where a lookup stands once the offer is read: nothing to look up, a ticket already opened
 * (or not: `session` undefined), or a session ID that the cache must be asked for.
 */
export type Lookup =
  | { kind: 'nothing-offered' }
  | { kind: 'ticket'; session: Session | undefined; renew: boolean }
  | { kind: 'fetch'; sessionId: Uint8Array };

/** A session the decision accepted, and where it came from. */
export interface Resumable {
  session: Session;
  viaTicket: boolean;
  /**
   * Resumed from a ticket sealed under a key that is no longer current (or is due to
   * rotate): the client gets a fresh ticket. Under the current key it keeps the one it has,
   * as with OpenSSL (SSL_TICKET_SUCCESS vs SSL_TICKET_SUCCESS_RENEW).
   */
  renewTicket: boolean;
}

/** The ClientHello's and the connection's part of the decision (the rest is ours). */
export type ResumptionQuery = Omit<ResumptionRequest, 'enabledSuites' | 'nowSeconds'>;

export interface ServerSessionsOptions {
  cache: SessionCache | undefined;
  ticketKeyring: TicketKeyring | undefined;
  crypto: CryptoProvider;
  now: () => number;
  /** Suites the context still enables (rule 6). */
  enabledSuites: readonly number[];
}

/**
 * Every session policy of one context in one place (OpenSSL's ssl_sess.c and the ticket
 * callbacks; Go's checkForResumption and sessionState): lookup (a ticket first, then the
 * session ID), the one decision, which new sessions get an ID or a ticket, storing after the
 * client's Finished, ticket sealing, invalidation after a fatal alert, and the counters.
 * Waiting on an external cache is the connection's business: `fetch` and `store` return
 * what the cache returns, a value or a promise, and never fail.
 */
export class ServerSessions {
  /** OpenSSL's SSL_CTX_sess_* counters for these sessions, and failed handshakes by reason. */
  readonly stats: SessionStats;

  constructor(private readonly options: ServerSessionsOptions) {
    this.stats = new SessionStats(options.cache);
  }

  /** Ticket lifetime in seconds (NewSessionTicket's hint), when tickets are on. */
  get ticketLifetime(): number | undefined {
    return this.options.ticketKeyring?.lifetimeSeconds;
  }

  /** A ClientHello is being answered (SSL_CTX_sess_accept). */
  countAccept(): void {
    this.stats.accept++;
  }

  /** A handshake completed (SSL_CTX_sess_accept_good). */
  countCompleted(): void {
    this.stats.acceptGood++;
  }

  /**
   * OpenSSL's ssl_get_prev_session, first half: a non-empty ticket is opened now (and if it
   * does not open, the session ID is not looked up); otherwise a session ID goes to the cache.
   */
  beginLookup(offer: ResumptionOffer): Lookup {
    const keyring = this.options.ticketKeyring;
    if (keyring && offer.ticket !== undefined && offer.ticket.length > 0) {
      const opened = keyring.open(offer.ticket, offer.sidCtx);
      return { kind: 'ticket', session: opened?.session, renew: opened?.renew ?? false };
    }
    if (offer.sessionId.length === 0 || !this.options.cache) return { kind: 'nothing-offered' };
    return { kind: 'fetch', sessionId: offer.sessionId };
  }

  /** The cache's answer for a session ID; a failing store is a miss, never the client's problem. */
  fetch(sessionId: Uint8Array): MaybePromise<Session | undefined> {
    let found: MaybePromise<Session | undefined>;
    try {
      found = this.options.cache?.get(sessionId);
    } catch {
      return undefined;
    }
    return isPromise(found) ? found.catch(() => undefined) : found;
  }

  /**
   * The decision on a candidate (`decideResumption`) with OpenSSL's counters: `misses` when
   * nothing was found, `timeouts` (and eviction) when it had expired, puretls's
   * `contextMismatches`, `hits` when it resumes; other refusals are counted nowhere, as in
   * OpenSSL. A fatal decision throws its TlsError.
   */
  decide(candidate: Session | undefined, via: { ticket: boolean; renew: boolean }, query: ResumptionQuery): Resumable | undefined {
    const viaTicket = via.ticket;
    const stats = this.stats;
    if (!candidate) {
      stats.misses++;
      return undefined;
    }
    // Written out rather than `{ ...query, nowSeconds, enabledSuites }`: V8 builds a spread
    // with more properties after it on its slow path (a few µs per handshake, in process).
    const decision = decideResumption(candidate, {
      version: query.version,
      sidCtx: query.sidCtx,
      clientCertRequested: query.clientCertRequested,
      clientCertRequired: query.clientCertRequired,
      nowSeconds: Math.floor(this.options.now() / 1000),
      clientOffersEms: query.clientOffersEms,
      offeredSuites: query.offeredSuites,
      enabledSuites: this.options.enabledSuites,
      serverName: query.serverName,
    });
    switch (decision.kind) {
      case 'resume':
        stats.hits++;
        return { session: candidate, viaTicket, renewTicket: via.renew };
      case 'fatal':
        throw new TlsError(decision.alert, decision.message, { code: decision.code });
      case 'miss':
        if (decision.reason === 'expired') {
          stats.timeouts++;
          if (!viaTicket) this.forget(candidate.sessionId);
        } else if (decision.reason === 'context-mismatch') {
          stats.contextMismatches++;
        }
        return undefined;
    }
  }

  /**
   * Whether a new session can ever resume: made with extended master secret (rule 5), and not
   * with client certificates asked for under an empty sid_ctx (rule 3 would refuse it on every
   * return visit; OpenSSL since 1.1.1 does not cache those either).
   */
  resumable(ems: boolean, clientAuth: ClientAuthMode, sidCtx: Uint8Array): boolean {
    return ems && !(clientAuth !== 'none' && sidCtx.length === 0);
  }

  /**
   * The session ID of a new session: 32 random bytes when it will go into the cache, else
   * empty (a ticket-only session has none, as in OpenSSL).
   */
  newSessionId(resumable: boolean): Uint8Array {
    return resumable && this.options.cache ? this.options.crypto.randomBytes(SESSION_ID_LENGTH) : new Uint8Array(0);
  }

  /** RFC 5077 §3.2: a ticket for a client that sent the extension, when tickets are on, for a session that can resume. */
  willIssueTicket(clientSentExtension: boolean, resumable: boolean): boolean {
    return this.options.ticketKeyring !== undefined && clientSentExtension && resumable;
  }

  /** The ticket for `session`; RFC 5077 §3.3: having promised one, an empty ticket rather than none. */
  sealTicket(session: Session): Uint8Array {
    try {
      return this.options.ticketKeyring?.seal(session) ?? new Uint8Array(0);
    } catch {
      return new Uint8Array(0);
    }
  }

  /**
   * Puts a session the client has proved it holds (its Finished verified) into the cache.
   * As node:tls, an external store may answer later; a failing one loses a session, not the
   * connection.
   */
  store(session: Session): MaybePromise<void> {
    const cache = this.options.cache;
    if (!cache || session.sessionId.length === 0) return;
    try {
      const stored = cache.set(session);
      return isPromise(stored) ? stored.catch(() => undefined) : stored;
    } catch {
      return;
    }
  }

  /** RFC 5246 §7.2.2: after a fatal alert the session must not be resumed again. */
  invalidate(session: Session): void {
    if (session.sessionId.length > 0) this.forget(session.sessionId);
  }

  private forget(sessionId: Uint8Array): void {
    const cache = this.options.cache;
    if (!cache) return;
    try {
      const done = cache.delete(sessionId);
      if (isPromise(done)) done.catch(() => undefined);
    } catch {
      // a failing store cannot make things worse here
    }
  }
}
