import type { ClientAuthMode } from '../client-auth-mode.js';
import { ProtocolVersion } from '../codec/enums.js';
import type { TlsContext } from '../context.js';
import { TlsError } from '../errors.js';
import { isPromise, type MaybePromise, type SessionCache } from '../session/cache.js';
import { decideResumption } from '../session/resumption.js';
import type { Session } from '../session/session.js';
import type { ClientHello } from './messages/hello.js';

/** A session the decision accepted, and where it came from. */
export interface Resumable {
  session: Session;
  viaTicket: boolean;
}

/**
 * OpenSSL's ssl_get_prev_session: the session to resume, or undefined for a full handshake.
 * A non-empty ticket is tried first, and if it does not open, the session ID is not looked
 * up. Session-ID lookups go to the serving context's cache, which may answer later. The
 * decision itself (`decideResumption`) is pure; this keeps the counters and evicts.
 */
export function checkForResumption(
  context: TlsContext,
  sidCtx: Uint8Array,
  clientAuth: ClientAuthMode,
  hello: ClientHello,
): MaybePromise<Resumable | undefined> {
  const ticket = hello.extensions.sessionTicket;
  if (context.ticketKeyring && ticket !== undefined && ticket.length > 0) {
    // The connection's sid_ctx: keys shared by a fleet open a ticket only in its own context.
    const opened = context.ticketKeyring.open(ticket, sidCtx)?.session;
    return judge(context, sidCtx, clientAuth, opened, hello, undefined) ? { session: opened!, viaTicket: true } : undefined;
  }
  const cache = context.sessionCache;
  if (hello.sessionId.length === 0 || !cache) return undefined;
  let found: MaybePromise<Session | undefined>;
  try {
    found = cache.get(hello.sessionId);
  } catch {
    found = undefined; // a failing store is a miss, not the client's problem
  }
  const decide = (session: Session | undefined): Resumable | undefined =>
    judge(context, sidCtx, clientAuth, session, hello, cache) ? { session: session!, viaTicket: false } : undefined;
  return isPromise(found) ? found.then(decide, () => decide(undefined)) : decide(found);
}

/**
 * Applies the decision to a candidate and keeps OpenSSL's counters: `misses` when nothing
 * was found (no such session ID, or a ticket that does not open), `timeouts` when it had
 * expired, and puretls's `contextMismatches`; other refusals are counted nowhere, as in OpenSSL.
 */
function judge(
  context: TlsContext,
  sidCtx: Uint8Array,
  clientAuth: ClientAuthMode,
  session: Session | undefined,
  hello: ClientHello,
  cache: SessionCache | undefined,
): boolean {
  const stats = context.stats;
  if (!session) {
    stats.misses++;
    return false;
  }
  const decision = decideResumption(session, {
    version: ProtocolVersion.TLSv1_2,
    sidCtx,
    // The connection's policy, not the context's: rule 8 holds on every virtual host.
    clientCertRequested: clientAuth !== 'none',
    clientCertRequired: clientAuth === 'require',
    nowSeconds: Math.floor(context.now() / 1000),
    clientOffersEms: hello.extensions.extendedMasterSecret,
    offeredSuites: hello.cipherSuites,
    enabledSuites: context.cipherSuites.map((s) => s.id),
    serverName: hello.extensions.serverName,
  });
  if (decision.kind === 'resume') return true;
  if (decision.kind === 'fatal') throw new TlsError(decision.alert, decision.message, { code: decision.code });
  if (decision.reason === 'expired') {
    stats.timeouts++;
    if (cache) {
      const removed = cache.delete(session.sessionId);
      if (isPromise(removed)) removed.catch(() => undefined);
    }
  } else if (decision.reason === 'context-mismatch') {
    stats.contextMismatches++;
  }
  return false;
}
