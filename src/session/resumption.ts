import { bytesEqual } from '../codec/bytes.js';
import { AlertDescription } from '../errors.js';
import type { Session } from './session.js';

/** What the ClientHello and the serving connection bring to the decision. */
export interface ResumptionRequest {
  /** The version this handshake negotiates (0x0303). */
  version: number;
  /** The connection's session id context (after any SNI context switch). */
  sidCtx: Uint8Array;
  /** OpenSSL's SSL_VERIFY_PEER: the server asks for client certificates. */
  clientCertRequested: boolean;
  /** With clientCertRequested: only clients with a verified certificate are served. */
  clientCertRequired: boolean;
  /** Now, in whole seconds since the epoch. */
  nowSeconds: number;
  /** The ClientHello offers extended_master_secret (RFC 7627). */
  clientOffersEms: boolean;
  /** Suites in the ClientHello. */
  offeredSuites: readonly number[];
  /** Suites this context still enables. */
  enabledSuites: readonly number[];
  /** SNI host name in this ClientHello, if any. */
  serverName: string | undefined;
}

/** Why a session offered is not resumed (a full handshake follows), as decideResumption names it. */
export type MissReason =
  | 'version-mismatch'
  | 'context-mismatch'
  | 'expired'
  | 'no-extended-master-secret'
  | 'suite-not-offered'
  | 'server-name-mismatch'
  | 'client-not-authorized';

/** What decideResumption concludes: resume, miss (with its reason) or fail the handshake (with the alert). */
export type ResumptionDecision =
  | { kind: 'resume' }
  | { kind: 'miss'; reason: MissReason }
  | { kind: 'fatal'; alert: AlertDescription; code: string; message: string };


function sameServerName(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * The one resumption decision (OpenSSL's ssl_get_prev_session plus the puretls rules of
 * docs/SPEC-sid-ctx.md), in the spec's order. Pure: the caller counts, evicts and alerts.
 */
export function decideResumption(session: Session, req: ResumptionRequest): ResumptionDecision {
  // 1.
  if (session.version !== req.version) return { kind: 'miss', reason: 'version-mismatch' };
  // 2. Before the fatal check below: a session from another context is simply not ours.
  if (!bytesEqual(session.sidCtx, req.sidCtx)) return { kind: 'miss', reason: 'context-mismatch' };
  // 3. Resuming would skip client authentication for a context that never set a sid_ctx:
  //    refuse loudly (OpenSSL's SSL_R_SESSION_ID_CONTEXT_UNINITIALIZED).
  if (req.clientCertRequested && req.sidCtx.length === 0) {
    return {
      kind: 'fatal',
      alert: AlertDescription.internal_error,
      code: 'SESSION_ID_CONTEXT_UNINITIALIZED',
      message: 'client certificates are requested but the session id context is empty; set one to resume sessions',
    };
  }
  // 4.
  if (session.isExpiredAt(req.nowSeconds)) return { kind: 'miss', reason: 'expired' };
  // 5. RFC 7627 §5.3.
  if (session.extendedMasterSecret && !req.clientOffersEms) {
    return {
      kind: 'fatal',
      alert: AlertDescription.illegal_parameter,
      code: 'INCONSISTENT_EXTMS',
      message: 'the session used extended master secret but this ClientHello does not offer it',
    };
  }
  if (!session.extendedMasterSecret) return { kind: 'miss', reason: 'no-extended-master-secret' };
  // 6.
  if (!req.offeredSuites.includes(session.cipherSuite) || !req.enabledSuites.includes(session.cipherSuite)) {
    return { kind: 'miss', reason: 'suite-not-offered' };
  }
  // 7.
  if (!sameServerName(session.serverName, req.serverName)) return { kind: 'miss', reason: 'server-name-mismatch' };
  // 8. (puretls) A context that requires a verified client certificate does not resume a
  //    session without one (made where it was optional): a full handshake lets the client
  //    authenticate. node:tls refuses such a connection after the handshake instead.
  if (req.clientCertRequested && req.clientCertRequired && (session.peerCertificate === undefined || (session.verifyResult ?? 0) !== 0)) {
    return { kind: 'miss', reason: 'client-not-authorized' };
  }
  return { kind: 'resume' };
}
