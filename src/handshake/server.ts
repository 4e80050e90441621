import { concatBytes, copyBytes, toHex, transientBytes } from '../codec/bytes.js';
import { CipherSuiteId, HandshakeType, ProtocolVersion } from '../codec/enums.js';
import { constantTimeEqual, type EphemeralKey, type KeyedMac } from '../crypto/provider.js';
import { AlertDescription, fatal } from '../errors.js';
import type { HandshakeMessage } from '../record/handshake-joiner.js';
import type { Resumable, ServerSessions } from '../session/server-sessions.js';
import { Session } from '../session/session.js';
import { deriveTrafficKeys, extendedMasterSecret, masterSecret, verifyData, wipeTrafficKeys } from './key-schedule.js';
import { decodeClientHello, encodeServerHello, type ClientHello, type ServerHelloExtensions } from './messages/hello.js';
import { decodeCertificate, encodeCertificate, encodeCertificateRequest } from './messages/certificate.js';
import { acceptClientCertificate, checkCertificateVerify, CLIENT_CERTIFICATE_TYPES, CLIENT_SIGNATURE_SCHEMES, type PeerIdentity } from './client-auth.js';
import { decodeFinished, encodeFinished } from './messages/finished.js';
import { encodeNewSessionTicket } from './messages/ticket.js';
import { decodeClientKeyExchange, encodeEcdheParams, encodeServerHelloDone, encodeServerKeyExchange } from './messages/key-exchange.js';
import { GROUPS, selectAlpn, selectCertificate, selectGroup, type CertificateChoice } from './negotiate.js';
import type { ServerCertificate } from '../pki/server-certificate.js';
import { signatureSchemeName } from '../protocol/signature-schemes.js';
import { suiteById, type CipherSuite } from '../protocol/suites.js';
import type { HandshakeOutput, HandshakeSettings, HandshakeWait } from './output.js';
import { Transcript } from './transcript.js';

/** What the handshake learns, for the application (getCipher, alpnProtocol, ...). */
export interface NegotiatedParameters {
  suite: CipherSuite;
  /** The ECDHE group of a full handshake; undefined on resumption. */
  group: number | undefined;
  /** The certificate we authenticated with in a full handshake (with its signature scheme); undefined on resumption. */
  certificate: ServerCertificate | undefined;
  signatureScheme: number | undefined;
  alpnProtocol: string | undefined;
  serverName: string | undefined;
  resumed: boolean;
  /** How the session was found, when resumed. */
  resumedBy: 'ticket' | 'session-id' | undefined;
  /** A NewSessionTicket was sent. */
  ticketIssued: boolean;
  extendedMasterSecret: boolean;
  /** RFC 5746 support signalled by the client. */
  secureRenegotiation: boolean;
  session: Session;
  /** The hello randoms (RFC 5705's exporter seed). */
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
  /**
   * The master secret, kept for RFC 5705 exporters until the connection ends (a copy of its
   * own: `dispose` wipes it, whatever becomes of the session).
   */
  masterSecret: Uint8Array;
  /** Both Finished messages' verify_data (RFC 5929 tls-unique is the first one sent). */
  clientFinished: Uint8Array;
  serverFinished: Uint8Array;
  /** The client's certificate chain as sent in this handshake, leaf first (empty when resumed or none). */
  peerCertificates: readonly Uint8Array[];
  /** The client's signature_algorithms, as offered (undefined when it sent none). */
  clientSignatureAlgorithms: readonly number[] | undefined;
}

/**
 * What `finish` leaves for the getters: made by a class, not an object literal, because V8
 * moves the objects of a literal that mostly outlive a scavenge into the old generation at
 * birth ("allocation-site pretenuring"), and these live as long as their connection. An old
 * object keeps what it points to (the session, the randoms, the Finished data) through every
 * scavenge until the next full collection, dead or not; over sockets this literal was born
 * old nine times in ten, and V8 does not pretenure the instances of a class.
 */
interface Negotiated extends NegotiatedParameters {}
class Negotiated {
  constructor(hs: Keyed, resumed: boolean) {
    this.suite = hs.suite;
    this.group = hs.group;
    this.certificate = hs.authentication?.certificate;
    this.signatureScheme = hs.authentication?.signatureScheme;
    this.alpnProtocol = hs.extensions.alpnProtocol;
    this.serverName = hs.hello.extensions.serverName;
    this.resumed = resumed;
    this.resumedBy = resumed ? (hs.viaTicket ? 'ticket' : 'session-id') : undefined;
    this.ticketIssued = hs.extensions.sessionTicket;
    this.extendedMasterSecret = hs.extensions.extendedMasterSecret;
    this.secureRenegotiation = hs.secureRenegotiation;
    this.session = hs.session;
    this.clientRandom = hs.clientRandom;
    this.serverRandom = hs.serverRandom;
    this.masterSecret = copyBytes(hs.master);
    this.clientFinished = hs.clientFinished!;
    this.serverFinished = hs.serverFinished!;
    this.peerCertificates = hs.peerChain ?? NO_CERTIFICATES;
    this.clientSignatureAlgorithms = hs.hello.extensions.signatureAlgorithms;
  }
}

/** The peer chain of a handshake without one (shared: nobody writes into it). */
const NO_CERTIFICATES: readonly Uint8Array[] = Object.freeze([]);

/** Everything fixed once the ClientHello is answered. */
interface Agreed {
  hello: ClientHello;
  suite: CipherSuite;
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
  transcript: Transcript;
  extensions: ServerHelloExtensions;
  secureRenegotiation: boolean;
}

interface Keyed extends Agreed {
  master: Uint8Array;
  /** HMAC keyed with the master secret, for the three PRF runs of the connection. */
  masterMac: KeyedMac;
  session: Session;
  /** The session goes into the cache once the client's Finished is verified. */
  cacheable: boolean;
  group: number | undefined;
  /** The certificate and ServerKeyExchange scheme of a full handshake. */
  authentication: Omit<CertificateChoice, 'kind' | 'suite'> | undefined;
  /** Resumed from a ticket (rather than by session ID). */
  viaTicket: boolean;
  /** The client's chain, when it sent one in this handshake. */
  peerChain?: readonly Uint8Array[];
  /** verify_data of each Finished, once made. */
  clientFinished?: Uint8Array;
  serverFinished?: Uint8Array;
}

/**
 * Keyed from Agreed and what keying added, field by field in one order. Not `{ ...hs, ... }`:
 * V8 copies a spread and then adds each further property through its slow path, which
 * cost about 8 µs per resumption (a tenth of it, in process; bench/inprocess.ts profile).
 */
function keyedFrom(hs: Agreed, keys: Omit<Keyed, keyof Agreed | 'clientFinished' | 'serverFinished'>): Keyed {
  return {
    hello: hs.hello,
    suite: hs.suite,
    clientRandom: hs.clientRandom,
    serverRandom: hs.serverRandom,
    transcript: hs.transcript,
    extensions: hs.extensions,
    secureRenegotiation: hs.secureRenegotiation,
    master: keys.master,
    masterMac: keys.masterMac,
    session: keys.session,
    cacheable: keys.cacheable,
    group: keys.group,
    authentication: keys.authentication,
    viaTicket: keys.viaTicket,
    peerChain: keys.peerChain,
    clientFinished: undefined,
    serverFinished: undefined,
  };
}

/** A ClientHello read and checked, before it is answered. */
interface HelloReceived {
  hello: ClientHello;
  transcript: Transcript;
  secureRenegotiation: boolean;
}

/** What a full handshake carries from ServerHelloDone to ClientKeyExchange. */
interface KeyExchangeState {
  hs: Agreed;
  ephemeral: EphemeralKey;
  group: number;
  sessionId: Uint8Array;
  authentication: Omit<CertificateChoice, 'kind' | 'suite'>;
}

/**
 * The server's states (rustls' tls12 module): each holds only what is valid at that point.
 * A message that the current state does not expect is unexpected_message, by construction.
 */
type State =
  | { kind: 'ExpectClientHello' }
  | { kind: 'AwaitServerName'; received: HelloReceived; servername: string }
  | { kind: 'AwaitSessionLookup'; received: HelloReceived; sessionId: Uint8Array }
  | { kind: 'ExpectCertificate'; kx: KeyExchangeState }
  | { kind: 'ExpectClientKeyExchange'; kx: KeyExchangeState; peer: PeerIdentity | undefined }
  | { kind: 'ExpectCertificateVerify'; hs: Keyed; peer: PeerIdentity }
  | { kind: 'ExpectChangeCipherSpec'; hs: Keyed; resumed: boolean }
  | { kind: 'ExpectFinished'; hs: Keyed; resumed: boolean }
  | { kind: 'AwaitSessionStore'; hs: Keyed }
  | { kind: 'Complete' };

const SERVER_RANDOM_LENGTH = 32;
/**
 * Renegotiation ClientHellos answered with a no_renegotiation warning before the next one is
 * fatal: node:tls's CLIENT_RENEG_LIMIT, so a client that node:tls serves is served here.
 */
export const MAX_RENEGOTIATION_REFUSALS = 3;

/**
 * The server side of the TLS 1.2 handshake, written to read top to bottom like Go's
 * handshake_server.go. The steps, in order, with the function for each:
 *
 *   full handshake (RFC 5246 §7.3)            abbreviated handshake (RFC 5246 §7.3, RFC 5077 §3.1)
 *   ClientHello          processClientHello   ClientHello          processClientHello
 *   (SNI: AwaitServerName)   serverNameChosen (SNI: AwaitServerName)   serverNameChosen
 *   (cache: AwaitSessionLookup) sessionFound  ticket, or cache: AwaitSessionLookup  sessionFound
 *   -> no session to resume  checkForResumption -> a session resumes      checkForResumption
 *   (certificate and suite)  selectCertificate
 *   ServerHello .. ServerHelloDone  doFullHandshake  ServerHello            doResumeHandshake
 *   [client Certificate] processClientCertificate  keys                  establishKeys
 *   ClientKeyExchange    processClientKeyExchange  [NewSessionTicket], CCS, Finished  sendFinished
 *   keys                 establishKeys        client CCS           handleChangeCipherSpec
 *   [CertificateVerify]  processCertificateVerify  client Finished   processFinished
 *   client CCS           handleChangeCipherSpec    done               finish
 *   client Finished      processFinished
 *   (store: AwaitSessionStore) sessionStored
 *   [NewSessionTicket], CCS, Finished  sendFinished
 *   done                 finish
 *
 * Each state (`State`) holds only what is valid at that point, so a message the state does
 * not expect is unexpected_message by construction. The handshake never waits: where it
 * needs the application (SNI, an external session cache) it stops in a named Await state,
 * `waitingFor` says what for, and the connection resumes it with the answer.
 */
export class ServerHandshake {
  private state: State = { kind: 'ExpectClientHello' };
  private flight: Uint8Array[] = [];
  /** Set once the handshake is done. */
  negotiated: NegotiatedParameters | undefined;
  /** The cached session being resumed, before the handshake is done. */
  private resumingSession: Session | undefined;
  private renegotiationRefusals = 0;
  /** Secrets of a handshake under way, wiped when their use ends or the connection does. */
  private liveEphemeral: EphemeralKey | undefined;
  private liveMasterMac: KeyedMac | undefined;

  constructor(
    private readonly settings: HandshakeSettings,
    private readonly output: HandshakeOutput,
  ) {}

  get complete(): boolean {
    return this.state.kind === 'Complete';
  }

  /** What the handshake waits for before it can go on, if anything. */
  get waitingFor(): HandshakeWait | undefined {
    const state = this.state;
    switch (state.kind) {
      case 'AwaitServerName':
        return { kind: 'ServerName', servername: state.servername };
      case 'AwaitSessionLookup':
        return { kind: 'SessionLookup', sessionId: state.sessionId };
      case 'AwaitSessionStore':
        return { kind: 'SessionStore', session: state.hs.session };
      default:
        return undefined;
    }
  }

  /**
   * The connection went away: wipe the ECDHE private key and the master-secret HMAC if still
   * held. After a fatal alert (`failed`), the session must not be resumed again either
   * (RFC 5246 §7.2.2).
   */
  dispose(failed: boolean): void {
    this.liveEphemeral?.dispose?.();
    this.liveEphemeral = undefined;
    this.liveMasterMac?.dispose?.();
    this.liveMasterMac = undefined;
    // The exporter's copy of the master secret: nothing can be exported from a connection gone.
    this.negotiated?.masterSecret.fill(0);
    const session = this.negotiated?.session ?? this.resumingSession;
    if (failed && session) this.sessions.invalidate(session);
  }

  /**
   * After dispose: forgets what was negotiated (the session, the randoms, the Finished
   * data), for a connection whose socket has closed (see ServerConnection.release).
   */
  release(): void {
    this.negotiated = undefined;
    this.resumingSession = undefined;
  }

  /** The serving context's session service (it changes with the context on an SNI switch). */
  private get sessions(): ServerSessions {
    return this.settings.context.sessions;
  }

  handleMessage(msg: HandshakeMessage): void {
    const state = this.state;
    switch (state.kind) {
      case 'ExpectClientHello':
        this.expect(msg, HandshakeType.client_hello);
        return this.processClientHello(msg);
      case 'ExpectCertificate':
        this.expect(msg, HandshakeType.certificate);
        return this.processClientCertificate(state.kx, msg);
      case 'ExpectClientKeyExchange':
        this.expect(msg, HandshakeType.client_key_exchange);
        return this.processClientKeyExchange(state.kx, state.peer, msg);
      case 'ExpectCertificateVerify':
        this.expect(msg, HandshakeType.certificate_verify);
        return this.processCertificateVerify(state.hs, state.peer, msg);
      case 'ExpectFinished':
        this.expect(msg, HandshakeType.finished);
        return this.processFinished(state, msg);
      case 'ExpectChangeCipherSpec':
        throw fatal(AlertDescription.unexpected_message, `handshake message ${msg.type} where ChangeCipherSpec was expected`);
      case 'AwaitServerName':
      case 'AwaitSessionLookup':
      case 'AwaitSessionStore':
        throw new Error(`handshake message delivered while in ${state.kind}`); // the connection never does this
      case 'Complete':
        if (msg.type === HandshakeType.client_hello) {
          this.refuseRenegotiation();
          return;
        }
        throw fatal(AlertDescription.unexpected_message, `handshake message ${msg.type} after the handshake`);
    }
  }

  /**
   * A ClientHello after the handshake. The first MAX_RENEGOTIATION_REFUSALS get a
   * no_renegotiation warning and the connection goes on (RFC 5746 §4.4; OpenSSL with
   * SSL_OP_NO_RENEGOTIATION answers every one so); the next is a fatal no_renegotiation
   * (the alert BoringSSL sends at once), so a peer cannot make us answer forever.
   */
  private refuseRenegotiation(): void {
    // node:tls's disableRenegotiation(): the first attempt ends the connection.
    if (this.settings.renegotiationDisabled) {
      throw fatal(AlertDescription.no_renegotiation, 'a renegotiation ClientHello on a connection with renegotiation disabled', 'ERR_TLS_RENEGOTIATION_DISABLED');
    }
    if (++this.renegotiationRefusals > MAX_RENEGOTIATION_REFUSALS) {
      throw fatal(
        AlertDescription.no_renegotiation,
        `a renegotiation ClientHello after ${MAX_RENEGOTIATION_REFUSALS} refusals`,
        'ERR_TOO_MANY_RENEGOTIATIONS',
      );
    }
    this.output.sendWarning(AlertDescription.no_renegotiation);
  }

  /** The client's ChangeCipherSpec, well-formed and at a message boundary (the connection checked). */
  handleChangeCipherSpec(): void {
    const state = this.state;
    if (state.kind !== 'ExpectChangeCipherSpec') {
      throw fatal(AlertDescription.unexpected_message, 'unexpected ChangeCipherSpec');
    }
    this.state = { kind: 'ExpectFinished', hs: state.hs, resumed: state.resumed };
  }

  private expect(msg: HandshakeMessage, type: HandshakeType): void {
    if (msg.type !== type) {
      throw fatal(
        AlertDescription.unexpected_message,
        `expected ${HandshakeType[type]}, got handshake message type ${HandshakeType[msg.type] ?? msg.type}`,
      );
    }
  }

  // -------------------------------------------------------------------------------------
  // ClientHello

  private processClientHello(msg: HandshakeMessage): void {
    const hello = decodeClientHello(msg.body);
    checkClientVersion(hello);
    const secureRenegotiation = checkRenegotiationInfo(hello);
    if (!hello.compressionMethods.includes(0)) {
      // RFC 8446 §4.1.2 names the alert; OpenSSL sends decode_error (NO_COMPRESSION_SPECIFIED).
      throw fatal(AlertDescription.illegal_parameter, 'the client does not offer null compression', 'ERR_NO_COMPRESSION_SPECIFIED');
    }
    const formats = hello.extensions.ecPointFormats;
    if (formats && !formats.includes(0)) {
      throw fatal(AlertDescription.illegal_parameter, 'the client does not support uncompressed points');
    }
    const transcript = new Transcript();
    transcript.add(msg.raw);
    const received: HelloReceived = { hello, transcript, secureRenegotiation };
    // The SNI switch comes first, so the sid_ctx and cache that decide are the virtual host's.
    const servername = hello.extensions.serverName;
    if (servername !== undefined) this.state = { kind: 'AwaitServerName', received, servername };
    else this.lookUpSession(received);
  }

  /** The connection chose the context for the SNI name (and switched to it, or kept its own). */
  serverNameChosen(): void {
    const state = this.state;
    if (state.kind !== 'AwaitServerName') throw new Error(`serverNameChosen in ${state.kind}`);
    this.lookUpSession(state.received);
  }

  /** OpenSSL's ssl_get_prev_session: a ticket is opened now; a session ID may need the cache. */
  private lookUpSession(received: HelloReceived): void {
    this.sessions.countAccept();
    const { hello } = received;
    const lookup = this.sessions.beginLookup({
      sessionId: hello.sessionId,
      ticket: hello.extensions.sessionTicket,
      sidCtx: this.settings.sidCtx,
    });
    switch (lookup.kind) {
      case 'nothing-offered':
        return this.doFullHandshake(received);
      case 'ticket':
        return this.checkForResumption(received, lookup.session, { ticket: true, renew: lookup.renew });
      case 'fetch':
        this.state = { kind: 'AwaitSessionLookup', received, sessionId: lookup.sessionId };
    }
  }

  /** The cache answered the session ID lookup. */
  sessionFound(session: Session | undefined): void {
    const state = this.state;
    if (state.kind !== 'AwaitSessionLookup') throw new Error(`sessionFound in ${state.kind}`);
    this.checkForResumption(state.received, session, { ticket: false, renew: false });
  }

  /** The one decision (docs/SPEC-sid-ctx.md), then the handshake it leads to. */
  private checkForResumption(received: HelloReceived, candidate: Session | undefined, via: { ticket: boolean; renew: boolean }): void {
    const { hello } = received;
    const resumable = this.sessions.decide(candidate, via, {
      version: ProtocolVersion.TLSv1_2,
      sidCtx: this.settings.sidCtx,
      // The connection's policy, not the context's: rule 8 holds on every virtual host.
      clientCertRequested: this.settings.clientAuth !== 'none',
      clientCertRequired: this.settings.clientAuth === 'require',
      clientOffersEms: hello.extensions.extendedMasterSecret,
      offeredSuites: hello.cipherSuites,
      serverName: hello.extensions.serverName,
    });
    if (resumable) this.doResumeHandshake(received, resumable);
    else this.doFullHandshake(received);
  }

  /** A session made now can ever resume (rules 3 and 5; see ServerSessions.resumable). */
  private newSessionResumable(hello: ClientHello): boolean {
    return this.sessions.resumable(hello.extensions.extendedMasterSecret, this.settings.clientAuth, this.settings.sidCtx);
  }

  private willIssueTicket(hello: ClientHello): boolean {
    return this.sessions.willIssueTicket(hello.extensions.sessionTicket !== undefined, this.newSessionResumable(hello));
  }

  private negotiateAlpn(hello: ClientHello): string | undefined {
    const alpn = selectAlpn(hello.extensions.alpnProtocols, this.settings.context.alpnProtocols);
    if (alpn.kind === 'no-overlap') {
      throw fatal(AlertDescription.no_application_protocol, 'no ALPN protocol in common with the client');
    }
    return alpn.kind === 'selected' ? alpn.protocol : undefined;
  }

  // -------------------------------------------------------------------------------------
  // Full handshake

  private doFullHandshake(received: HelloReceived): void {
    const { hello } = received;
    const context = this.settings.context;
    const { certificate, suite, signatureScheme } = this.selectCertificate(hello);
    const group = selectGroup(hello.extensions.supportedGroups, context.groups);
    if (group === undefined) throw fatal(AlertDescription.handshake_failure, 'no ECDHE group in common', 'ERR_NO_SHARED_GROUP');
    const alpnProtocol = this.negotiateAlpn(hello);
    const ems = hello.extensions.extendedMasterSecret;
    const issueTicket = this.willIssueTicket(hello);
    const sessionId = this.sessions.newSessionId(this.newSessionResumable(hello));

    const requestCert = this.settings.clientAuth !== 'none';
    const hs = this.sendServerHello(received, suite, sessionId, {
      renegotiationInfo: received.secureRenegotiation,
      extendedMasterSecret: ems,
      ecPointFormats: hello.extensions.ecPointFormats !== undefined,
      serverNameAck: hello.extensions.serverName !== undefined,
      sessionTicket: issueTicket,
      alpnProtocol,
    }, requestCert);
    this.sendMessage(hs.transcript, encodeCertificate(certificate.chain));
    const ephemeral = context.crypto.generateEphemeralKey(GROUPS.get(group)!);
    this.liveEphemeral = ephemeral;
    const params = encodeEcdheParams(group, ephemeral.publicKey);
    const signed = new Uint8Array(64 + params.length);
    signed.set(hs.clientRandom, 0);
    signed.set(hs.serverRandom, 32);
    signed.set(params, 64);
    // The ServerKeyExchange signature (RFC 8422 §5.4): an RSA one is verified before it
    // goes (a CRT fault would leak the key); a fault throws internal_error and nothing of
    // this flight is sent.
    const sig = certificate.sign(signatureScheme, signed);
    this.sendMessage(hs.transcript, encodeServerKeyExchange(params, signatureScheme, sig));
    const kx: KeyExchangeState = { hs, ephemeral, group, sessionId, authentication: { certificate, signatureScheme } };
    if (requestCert) this.sendMessage(hs.transcript, encodeCertificateRequest(CLIENT_SIGNATURE_SCHEMES, CLIENT_CERTIFICATE_TYPES));
    this.sendMessage(hs.transcript, encodeServerHelloDone());
    this.flushFlight();
    this.state = requestCert ? { kind: 'ExpectCertificate', kx } : { kind: 'ExpectClientKeyExchange', kx, peer: undefined };
  }

  /**
   * The certificate, suite and ServerKeyExchange scheme for this client (negotiate.ts's
   * selectCertificate, OpenSSL's ssl3_choose_cipher); what refuses the client is named.
   */
  private selectCertificate(hello: ClientHello): CertificateChoice {
    const context = this.settings.context;
    if (context.certificates.length === 0) throw fatal(AlertDescription.handshake_failure, 'no certificate is configured for this server');
    const choice = selectCertificate(
      {
        cipherSuites: hello.cipherSuites,
        signatureAlgorithms: hello.extensions.signatureAlgorithms,
        supportedGroups: hello.extensions.supportedGroups,
      },
      context.certificates,
      context.cipherSuites,
      context.clientCipherPreference,
    );
    switch (choice.kind) {
      case 'selected':
        return choice;
      case 'no-shared-cipher':
        throw fatal(AlertDescription.handshake_failure, 'no cipher suite in common', 'ERR_NO_SHARED_CIPHER');
      case 'curve-not-accepted':
        throw fatal(AlertDescription.handshake_failure, `the client does not accept our ${choice.curve} certificate`, 'ERR_NO_SHARED_GROUP');
      case 'no-signature-scheme':
        throw fatal(
          AlertDescription.handshake_failure,
          choice.offered === undefined
            ? 'the client sent no signature_algorithms, and RFC 9155 forbids the SHA-1 default'
            : `the client accepts none of our ${choice.certificate.keyType} key's signature schemes (${choice.certificate.signatureSchemes.map(signatureSchemeName).join(', ')})`,
          'ERR_NO_SHARED_SIGALG',
        );
    }
  }

  private processClientCertificate(kx: KeyExchangeState, msg: HandshakeMessage): void {
    // Trust anchors are the serving context's (a virtual host's own `ca`); the policy is the
    // connection's. With no anchors, no chain verifies: a required certificate fails closed.
    const context = this.settings.context;
    const peer = acceptClientCertificate(decodeCertificate(msg.body), {
      trust: context.trustStore,
      rejectUnauthorized: this.settings.clientAuth === 'require',
      now: new Date(context.now()),
      crypto: context.crypto,
      maxCertificateChain: this.settings.maxCertificateChain,
    });
    kx.hs.transcript.add(msg.raw);
    this.state = { kind: 'ExpectClientKeyExchange', kx, peer };
  }

  private processCertificateVerify(hs: Keyed, peer: PeerIdentity, msg: HandshakeMessage): void {
    checkCertificateVerify(peer, msg.body, hs.transcript.messages(), this.settings.context.crypto);
    hs.transcript.add(msg.raw);
    this.state = { kind: 'ExpectChangeCipherSpec', hs, resumed: false };
  }

  private sendServerHello(
    received: HelloReceived,
    suite: CipherSuite,
    sessionId: Uint8Array,
    extensions: ServerHelloExtensions,
    keepMessages: boolean,
  ): Agreed {
    const { hello, transcript, secureRenegotiation } = received;
    const crypto = this.settings.context.crypto;
    transcript.begin(crypto, suite.hash, keepMessages);
    const serverRandom = crypto.randomBytes(SERVER_RANDOM_LENGTH);
    this.output.agreeVersion(ProtocolVersion.TLSv1_2);
    this.sendMessage(
      transcript,
      encodeServerHello({ version: ProtocolVersion.TLSv1_2, random: serverRandom, sessionId, cipherSuite: suite.id, extensions }),
    );
    return { hello, suite, clientRandom: hello.random, serverRandom, transcript, extensions, secureRenegotiation };
  }

  private processClientKeyExchange(kx: KeyExchangeState, peer: PeerIdentity | undefined, msg: HandshakeMessage): void {
    const { hs, ephemeral, group, sessionId, authentication } = kx;
    const peerPublic = decodeClientKeyExchange(msg.body);
    const preMaster = ephemeral.agree(peerPublic);
    // Used once: the private key goes now, whatever the outcome (noble's key wipes it in agree already).
    ephemeral.dispose?.();
    this.liveEphemeral = undefined;
    if (!preMaster) throw fatal(AlertDescription.illegal_parameter, 'invalid ECDHE public key from the client');
    hs.transcript.add(msg.raw);
    const context = this.settings.context;
    const crypto = context.crypto;
    const ems = hs.extensions.extendedMasterSecret;
    let master: Uint8Array;
    try {
      master = ems
        ? extendedMasterSecret(crypto, hs.suite.hash, preMaster, hs.transcript.current())
        : masterSecret(crypto, hs.suite.hash, preMaster, hs.clientRandom, hs.serverRandom);
    } finally {
      preMaster.fill(0); // the ECDHE shared secret's only use is the master secret
    }
    const session = new Session({
      version: ProtocolVersion.TLSv1_2,
      cipherSuite: hs.suite.id,
      sessionId,
      masterSecret: master,
      sidCtx: copyBytes(this.settings.sidCtx),
      createdAt: Math.floor(context.now() / 1000),
      timeout: context.sessionTimeout,
      extendedMasterSecret: ems,
      serverName: hs.hello.extensions.serverName,
      alpn: hs.extensions.alpnProtocol,
      kexGroup: group,
      peerCertificate: peer?.chain[0],
      // As SSL_get_verify_result: the last error the verification met (node:tls reports the same).
      verifyResult: peer?.verification?.verifyResult,
    });
    const masterMac = crypto.hmac(hs.suite.hash, master);
    this.liveMasterMac = masterMac;
    const keyed = keyedFrom(hs, { master, masterMac, session, cacheable: sessionId.length > 0, group, authentication, viaTicket: false, peerChain: peer?.chain ?? [] });
    this.establishKeys(keyed);
    this.state =
      peer && peer.chain.length > 0
        ? { kind: 'ExpectCertificateVerify', hs: keyed, peer }
        : { kind: 'ExpectChangeCipherSpec', hs: keyed, resumed: false };
  }

  // -------------------------------------------------------------------------------------
  // Abbreviated handshake

  private doResumeHandshake(received: HelloReceived, resumable: Resumable): void {
    const { hello } = received;
    const { viaTicket } = resumable;
    // OpenSSL's tls_decrypt_ticket: a session resumed from a ticket takes the session ID the
    // client offered (and we echo), so the application sees this connection's ID.
    const session =
      viaTicket && hello.sessionId.length > 0 ? resumable.session.with({ sessionId: copyBytes(hello.sessionId) }) : resumable.session;
    const context = this.settings.context;
    const suite = suiteById(session.cipherSuite)!;
    const alpnProtocol = this.negotiateAlpn(hello);
    this.resumingSession = session;
    // RFC 5077 §3.4: the client's session ID is echoed whether it resumes by ID or by ticket.
    // A ticket under the current key stays the client's; an older one is renewed (OpenSSL).
    const newTicket = this.willIssueTicket(hello) && (!viaTicket || resumable.renewTicket);
    const hs = this.sendServerHello(received, suite, hello.sessionId, {
      renegotiationInfo: received.secureRenegotiation,
      extendedMasterSecret: true, // the decision resumes EMS sessions only
      ecPointFormats: false,
      serverNameAck: false,
      sessionTicket: newTicket,
      alpnProtocol,
    }, false);
    const masterMac = context.crypto.hmac(suite.hash, session.masterSecret);
    this.liveMasterMac = masterMac;
    const keyed = keyedFrom(hs, {
      master: session.masterSecret,
      masterMac,
      session,
      cacheable: false,
      group: undefined,
      authentication: undefined,
      viaTicket,
      peerChain: undefined,
    });
    this.establishKeys(keyed);
    this.sendFinished(keyed);
    this.state = { kind: 'ExpectChangeCipherSpec', hs: keyed, resumed: true };
  }

  // -------------------------------------------------------------------------------------
  // Keys and Finished

  private establishKeys(hs: Keyed): void {
    const keys = deriveTrafficKeys(this.settings.context.crypto, hs.suite, hs.masterMac, hs.clientRandom, hs.serverRandom);
    this.output.installKeys('read', { suite: hs.suite, key: keys.clientKey, iv: keys.clientIv });
    this.output.installKeys('write', { suite: hs.suite, key: keys.serverKey, iv: keys.serverIv });
    wipeTrafficKeys(keys); // each direction keeps its own key schedule and IV
    if (this.output.wantsKeylog) this.output.keylog(`CLIENT_RANDOM ${toHex(hs.clientRandom)} ${toHex(hs.master)}`);
  }

  private processFinished(state: Extract<State, { kind: 'ExpectFinished' }>, msg: HandshakeMessage): void {
    const { hs, resumed } = state;
    const crypto = this.settings.context.crypto;
    const expected = verifyData(crypto, hs.suite.hash, hs.masterMac, 'client', hs.transcript.current());
    if (!constantTimeEqual(decodeFinished(msg.body), expected)) {
      throw fatal(AlertDescription.decrypt_error, 'the client Finished does not verify', 'ERR_BAD_FINISHED');
    }
    hs.clientFinished = expected;
    hs.transcript.add(msg.raw);
    if (resumed) {
      this.finish(hs, true);
      return;
    }
    // Cached only now that the client has proved it holds the master secret; as node:tls,
    // the last flight waits for the cache to take the session.
    if (hs.cacheable) this.state = { kind: 'AwaitSessionStore', hs };
    else this.sendLastFlight(hs);
  }

  /** The cache took the session (or failed to: a lost session, not a lost connection). */
  sessionStored(): void {
    const state = this.state;
    if (state.kind !== 'AwaitSessionStore') throw new Error(`sessionStored in ${state.kind}`);
    this.sendLastFlight(state.hs);
  }

  private sendLastFlight(hs: Keyed): void {
    this.sendFinished(hs);
    this.finish(hs, false);
  }

  /** NewSessionTicket, then ChangeCipherSpec and Finished: the server's last flight. */
  private sendFinished(hs: Keyed): void {
    const lifetime = this.sessions.ticketLifetime;
    if (hs.extensions.sessionTicket && lifetime !== undefined) {
      this.sendMessage(hs.transcript, encodeNewSessionTicket(lifetime, this.sessions.sealTicket(hs.session)));
    }
    this.flushFlight();
    this.output.sendChangeCipherSpec();
    const data = verifyData(this.settings.context.crypto, hs.suite.hash, hs.masterMac, 'server', hs.transcript.current());
    hs.serverFinished = data;
    this.sendMessage(hs.transcript, encodeFinished(data));
    this.flushFlight();
  }

  private finish(hs: Keyed, resumed: boolean): void {
    // Both Finished messages are done: the master secret's last PRF has run, and the
    // transcript's last digest is taken.
    hs.masterMac.dispose?.();
    hs.transcript.end();
    if (this.liveMasterMac === hs.masterMac) this.liveMasterMac = undefined;
    this.sessions.countCompleted();
    this.negotiated = new Negotiated(hs, resumed);
    this.state = { kind: 'Complete' };
  }

  // -------------------------------------------------------------------------------------
  // Output: a flight's messages are batched into as few records as possible.

  private sendMessage(transcript: Transcript, message: Uint8Array): void {
    transcript.add(message);
    this.flight.push(message);
  }

  private flushFlight(): void {
    if (this.flight.length === 0) return;
    const messages = this.flight;
    this.flight = [];
    this.output.sendHandshake(messages.length === 1 ? messages[0]! : concatBytes(messages, transientBytes));
  }
}


/** TLS 1.2 only: supported_versions decides when present, else client_version (RFC 8446 §4.2.1). */
function checkClientVersion(hello: ClientHello): void {
  const versions = hello.extensions.supportedVersions;
  const ok = versions ? versions.includes(ProtocolVersion.TLSv1_2) : hello.clientVersion >= ProtocolVersion.TLSv1_2;
  if (!ok) throw fatal(AlertDescription.protocol_version, 'the client does not support TLS 1.2', 'ERR_UNSUPPORTED_PROTOCOL');
}

/** RFC 5746 §3.6: SCSV or an empty renegotiation_info means secure renegotiation support. */
function checkRenegotiationInfo(hello: ClientHello): boolean {
  const info = hello.extensions.renegotiationInfo;
  if (info !== undefined && info.length !== 0) {
    throw fatal(AlertDescription.handshake_failure, 'non-empty renegotiation_info in an initial handshake');
  }
  return info !== undefined || hello.cipherSuites.includes(CipherSuiteId.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
}

