import { clientAuthMode, stricterClientAuth, type ClientAuthMode } from './client-auth-mode.js';
import { bytesEqual, copyBytes } from './codec/bytes.js';
import { ContentType, ProtocolVersion, protocolName } from './codec/enums.js';
import { groupName } from './config-names.js';
import { SID_CTX_BYTES, type SniCallback, type TlsContext } from './context.js';
import { AlertDescription, AlertLevel, TlsConfigError, TlsError, alertName, fatal } from './errors.js';
import type { DirectionKeys, HandshakeOutput, HandshakeSettings, HandshakeWait } from './handshake/output.js';
import { ServerHandshake, type NegotiatedParameters } from './handshake/server.js';
import { MAX_EXPORTER_CONTEXT_LENGTH, exportKeyingMaterial } from './handshake/key-schedule.js';
import { traceAlert, traceHandshake, traceRecord, type TraceDirection } from './handshake/trace.js';
import { AeadProtection } from './record/aead.js';
import { MAX_PLAINTEXT_LENGTH } from './record/deframer.js';
import { HandshakeJoiner } from './record/handshake-joiner.js';
import { RecordLayer } from './record/record-layer.js';
import { isPromise, then, type MaybePromise } from './maybe-promise.js';
import { toSidCtxBytes, type Session } from './session/session.js';

/**
 * OpenSSL's MAX_EMPTY_RECORDS: empty records in a row (any record with data resets the
 * count); one more is unexpected_message. A peer may not keep us busy with nothing.
 */
export const MAX_EMPTY_RECORDS = 32;
/**
 * OpenSSL's MAX_WARN_ALERT_COUNT: the fifth warning alert is unexpected_message unless a
 * record with data other than an alert came in between. An empty record does not reset
 * the count, so alternating empty records and warnings is cut off too (as in OpenSSL).
 */
export const MAX_WARNING_ALERTS = 5;

/** Per-connection settings over the context's (OpenSSL's SSL_set_* calls). */
export interface ConnectionOptions {
  /** Overrides the sid_ctx inherited from the context, for this connection only. */
  sessionIdContext?: string | Uint8Array;
  /**
   * Override the context's client-auth policy for this connection only (OpenSSL's
   * SSL_set_verify). Either one alone keeps the context's value for the other.
   */
  requestCert?: boolean;
  /** See requestCert: refuse a client whose certificate does not verify (OpenSSL's SSL_VERIFY_FAIL_IF_NO_PEER_CERT and a failed verification). */
  rejectUnauthorized?: boolean;
  /** Overrides the context's limit on the client's chain (OpenSSL's SSL_set_verify_depth). */
  maxCertificateChain?: number;
  /**
   * Chooses the context that serves a server name (SNI), instead of the context's own
   * `serverNames` and `sniCallback`; undefined keeps the current context.
   */
  selectContext?: SniCallback;
  /** Receives NSS key log lines (`CLIENT_RANDOM <random> <master secret>`, no newline). */
  onKeylog?: (line: string) => void;
  /** Receives a human-readable trace of every record and handshake message (see `onTrace`). */
  onTrace?: (line: string) => void;
}

/** The smallest record we may be asked to send (OpenSSL's SSL_set_max_send_fragment, node:tls's setMaxSendFragment). */
export const MIN_SEND_FRAGMENT = 512;
/** The largest, and the default: 2^14 bytes of plaintext (RFC 5246 §6.2.1). */
export const MAX_SEND_FRAGMENT = MAX_PLAINTEXT_LENGTH;

/** What the handshake established about the client's certificate (OpenSSL's SSL_get_verify_result and peer). */
export interface PeerVerification {
  /** Client certificates were asked for on this connection. */
  requested: boolean;
  /** The client's leaf certificate (DER), sent in this handshake or held by the session resumed. */
  certificate: Uint8Array | undefined;
  /** X509_V_OK (0) or the X509_V_ERR_* code the chain verification met; undefined without a certificate. */
  verifyResult: number | undefined;
  /** A certificate came and its chain verified against the trust anchors. */
  authorized: boolean;
}

/** The suite in use, as node:tls's getCipher() reports it. */
export interface CipherInfo {
  /** OpenSSL name, e.g. 'ECDHE-ECDSA-AES128-GCM-SHA256'. */
  name: string;
  /** IANA name, e.g. 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'. */
  standardName: string;
  /** The protocol: 'TLSv1.2'. */
  version: string;
}

/**
 * A server-side TLS 1.2 connection with no I/O (OpenSSL's SSL, rustls' ServerConnection):
 * feed it the bytes that arrive with `receive`, send what `takeOutput` returns, read
 * decrypted data with `takePlaintext`, and write with `write`. It never throws for
 * anything the peer does: a protocol error queues the right alert and closes.
 */
export class ServerConnection implements HandshakeSettings {
  /** The record layer: this connection alone reads, writes and keys it. */
  private readonly record = new RecordLayer();
  /** What the handshake and the connection send through: the one writer of records, with tracing. */
  private readonly output: RecordLayerOutput;
  private readonly joiner = new HandshakeJoiner();
  private readonly handshake: ServerHandshake;
  private currentContext: TlsContext;
  private connectionSidCtx: Uint8Array;
  private verifyMode: ClientAuthMode;
  private verifyDepth: number;
  private readonly contextSelector: SniCallback | undefined;
  private plaintext: Uint8Array[] = [];
  private emptyRecords = 0;
  private warningAlerts = 0;
  /** Receives NSS key log lines; set it before the handshake (formatting only happens when set). */
  onKeylog: ((line: string) => void) | undefined;
  /**
   * Receives a human-readable trace, one line per record and per handshake message, both
   * ways (node:tls's enableTrace); formatting only happens when it is set.
   */
  onTrace: ((line: string) => void) | undefined;
  private noRenegotiation = false;
  private failure: TlsError | undefined;
  private peerClosed = false;
  private localClosed = false;
  private disposed = false;
  /** The application is answering what the handshake waits for; input waits in the record layer. */
  private waiting = false;
  /** The answer that came while waiting: it resumes the handshake at the next process(). */
  private answered: (() => void) | undefined;

  /** Called after an asynchronous step (SNI callback, external cache) made progress: drain output. */
  onWake: (() => void) | undefined;

  constructor(context: TlsContext, options: ConnectionOptions = {}) {
    this.currentContext = context;
    // SSL_new: the connection starts with the context's sid_ctx (shared, not copied: see SID_CTX_BYTES).
    this.connectionSidCtx = context[SID_CTX_BYTES];
    if (options.sessionIdContext !== undefined) this.setSessionIdContext(options.sessionIdContext);
    // SSL_new copies the verify mode too; a per-connection setting overrides it (SSL_set_verify).
    this.verifyMode = clientAuthMode(
      options.requestCert ?? context.requestCert,
      options.rejectUnauthorized ?? context.rejectUnauthorized,
    );
    this.verifyDepth = options.maxCertificateChain ?? context.maxCertificateChain;
    this.contextSelector = options.selectContext;
    this.onKeylog = options.onKeylog;
    this.onTrace = options.onTrace;
    this.output = new RecordLayerOutput(this.record, this);
    this.handshake = new ServerHandshake(this, this.output);
  }

  // -------------------------------------------------------------------------------------
  // Context and session id context (OpenSSL's SSL_set_session_id_context, SSL_set_SSL_CTX)

  get context(): TlsContext {
    return this.currentContext;
  }

  /**
   * The sid_ctx itself, which this connection may share with its context: read it, never
   * write into it (`sessionIdContext` is a copy). A new value replaces the array.
   */
  get sidCtx(): Uint8Array {
    return this.connectionSidCtx;
  }

  /** The session id context this connection resumes and stores sessions under (a copy). */
  get sessionIdContext(): Uint8Array {
    return this.connectionSidCtx.slice();
  }

  /** 0..32 bytes; too long fails with SSL_SESSION_ID_CONTEXT_TOO_LONG and keeps the old value. */
  setSessionIdContext(value: string | Uint8Array): void {
    this.connectionSidCtx = toSidCtxBytes(value);
  }

  /**
   * The connection's client-auth policy, copied from the context at creation. An SNI switch
   * may make it stricter, never weaker.
   */
  get clientAuth(): ClientAuthMode {
    return this.verifyMode;
  }

  /** The most certificates a client's chain may hold here (copied at creation; a switch may lower it). */
  get maxCertificateChain(): number {
    return this.verifyDepth;
  }

  /** A renegotiation attempt ends the connection at once (ERR_TLS_RENEGOTIATION_DISABLED). */
  get renegotiationDisabled(): boolean {
    return this.noRenegotiation;
  }

  /**
   * node:tls's disableRenegotiation(): a renegotiation ClientHello is fatal at once instead
   * of being refused with a no_renegotiation warning (we never renegotiate either way).
   */
  disableRenegotiation(): void {
    this.noRenegotiation = true;
  }

  /**
   * SSL_set_SSL_CTX: the new context brings its certificate, key, trust anchors and suites.
   * The sid_ctx follows it only if it was still the old context's value, so one set for this
   * connection survives the switch; the verify mode and depth stay the connection's, made
   * stricter if the new context asks more of the client (a virtual host never loosens client
   * auth).
   */
  switchContext(context: TlsContext): void {
    if (context === this.currentContext) return;
    if (bytesEqual(this.connectionSidCtx, this.currentContext[SID_CTX_BYTES])) {
      this.connectionSidCtx = context[SID_CTX_BYTES];
    }
    this.verifyMode = stricterClientAuth(this.verifyMode, context.clientAuth);
    this.verifyDepth = Math.min(this.verifyDepth, context.maxCertificateChain);
    this.currentContext = context;
  }

  /**
   * The context for an SNI host name: the connection's selector, else the context's own
   * table. An SNI callback that fails (now or later) is internal_error, ERR_SNI_CALLBACK.
   */
  private chooseContext(servername: string): MaybePromise<TlsContext | undefined> {
    let chosen: MaybePromise<TlsContext | undefined>;
    try {
      chosen = this.contextSelector ? this.contextSelector(servername) : this.currentContext.selectServerName(servername);
    } catch (e) {
      throw sniFailure(e);
    }
    return isPromise(chosen) ? chosen.catch((e: unknown) => Promise.reject(sniFailure(e))) : chosen;
  }

  // -------------------------------------------------------------------------------------
  // State

  /** Both Finished messages are done: application data may flow. */
  get handshakeComplete(): boolean {
    return this.handshake.complete;
  }

  /** Waiting on the application (an SNI callback, a session store); input is buffered meanwhile. */
  get busy(): boolean {
    return !this.failure && !this.disposed && this.waiting;
  }

  /** The fatal error that closed the connection (ours or the peer's alert), if any. */
  get error(): TlsError | undefined {
    return this.failure;
  }

  /** The peer sent close_notify: no more data will come. */
  get receivedCloseNotify(): boolean {
    return this.peerClosed;
  }

  /** We sent close_notify: no more data may be written. */
  get sentCloseNotify(): boolean {
    return this.localClosed;
  }

  /** Nothing more can be read or written. */
  get closed(): boolean {
    return this.disposed || this.failure !== undefined || (this.peerClosed && this.localClosed);
  }

  /**
   * The transport is gone: wipe the record keys now instead of whenever the object is
   * collected. Output already queued can still be taken; nothing more is read or written.
   * Directions that end in the protocol (close_notify, a fatal alert) are wiped already.
   */
  dispose(): void {
    this.disposed = true;
    this.record.retireRead();
    this.record.retireWrite();
    this.handshake.dispose(false);
  }

  /**
   * dispose(), and forget what the handshake negotiated and any plaintext not taken: the
   * getters answer as before a handshake (`negotiated`, `session`, `cipher`, ... undefined).
   * For an adapter whose socket is gone, as node:tls's sockets drop their TLS state with
   * their handle: a closed socket can outlive its connection by a second (an application's
   * listener on it, in a listener array V8 made in the old generation, keeps it until the
   * next full collection), and every scavenge until then copies what it still reaches.
   */
  release(): void {
    if (!this.disposed) this.dispose();
    this.handshake.release();
    this.plaintext = [];
  }

  /**
   * Everything the handshake agreed (suite, group, ALPN, SNI, session, randoms, Finished data),
   * once it is complete.
   */
  get negotiated(): NegotiatedParameters | undefined {
    return this.handshake.negotiated;
  }

  /** The client's certificate and its verification, once the handshake is complete. */
  get peerVerification(): PeerVerification | undefined {
    const session = this.handshake.negotiated?.session;
    if (!session) return undefined;
    const certificate = session.peerCertificate;
    const verifyResult = certificate === undefined ? undefined : (session.verifyResult ?? 0);
    return { requested: this.verifyMode !== 'none', certificate, verifyResult, authorized: verifyResult === 0 };
  }

  /** The handshake resumed a session. */
  get isSessionReused(): boolean {
    return this.handshake.negotiated?.resumed ?? false;
  }

  /** The session of this connection (new or resumed), once the handshake is complete. */
  get session(): Session | undefined {
    return this.handshake.negotiated?.session;
  }

  /** 'TLSv1.2' once the handshake is complete. */
  get protocol(): string | undefined {
    return this.handshake.negotiated ? protocolName(ProtocolVersion.TLSv1_2) : undefined;
  }

  /** The suite in use, once the handshake is complete. */
  get cipher(): CipherInfo | undefined {
    const n = this.handshake.negotiated;
    return n && { name: n.suite.opensslName, standardName: n.suite.name, version: 'TLSv1.2' };
  }

  /** The ECDHE group name as OpenSSL spells it ('X25519', 'prime256v1', 'secp384r1'). */
  get groupName(): string | undefined {
    const g = this.handshake.negotiated?.group;
    return g === undefined ? undefined : groupName(g);
  }

  /** The ALPN protocol chosen, if any. */
  get alpnProtocol(): string | undefined {
    return this.handshake.negotiated?.alpnProtocol;
  }

  /** The SNI host name the client sent, if any. */
  get serverName(): string | undefined {
    return this.handshake.negotiated?.serverName;
  }

  /** The verify_data of the Finished we sent (node:tls's getFinished), once the handshake is done. */
  get finished(): Uint8Array | undefined {
    return this.handshake.negotiated?.serverFinished.slice();
  }

  /** The verify_data of the client's Finished (node:tls's getPeerFinished). */
  get peerFinished(): Uint8Array | undefined {
    return this.handshake.negotiated?.clientFinished.slice();
  }

  /**
   * The client's certificate chain, leaf first, as it sent it in this handshake; a resumed
   * session holds the leaf only (OpenSSL keeps no more in a session either).
   */
  get peerCertificateChain(): readonly Uint8Array[] {
    const n = this.handshake.negotiated;
    if (!n) return [];
    if (n.peerCertificates.length > 0) return n.peerCertificates;
    return n.session.peerCertificate ? [n.session.peerCertificate] : [];
  }

  /**
   * Our certificate (DER) for this connection, as OpenSSL's SSL_get_certificate: the one the
   * full handshake chose; on resumption, the serving context's certificate for the suite's
   * kind (after an SNI switch, the virtual host's).
   */
  get localCertificate(): Uint8Array | undefined {
    const n = this.handshake.negotiated;
    const chosen = n?.certificate ?? (n && this.currentContext.certificates.find((c) => c.auth === n.suite.auth));
    return (chosen ?? this.currentContext.certificate)?.chain[0];
  }

  /** The client's signature_algorithms in its order, once the handshake is done (undefined: none sent). */
  get peerSignatureSchemes(): readonly number[] | undefined {
    return this.handshake.negotiated?.clientSignatureAlgorithms;
  }

  /**
   * RFC 5705 keying material exporter, with the TLS 1.2 PRF of the negotiated suite over the
   * master secret and both hello randoms (OpenSSL's SSL_export_keying_material). Without
   * `context` the seed carries no context at all, which differs from an empty one. Throws
   * before the handshake is complete, after the connection ended (the secret is wiped), and
   * for the labels TLS keeps for itself ('master secret', 'key expansion', ...).
   */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Uint8Array {
    const n = this.handshake.negotiated;
    if (!n) throw new TlsConfigError('ERR_TLS_INVALID_STATE', 'keying material can be exported once the handshake is complete');
    if (this.disposed || this.failure) throw new TlsConfigError('ERR_TLS_INVALID_STATE', 'the connection has ended: its master secret is wiped');
    if (!Number.isSafeInteger(length) || length < 0) throw new TlsConfigError('ERR_OUT_OF_RANGE', `length must be a whole number of bytes, not ${length}`);
    if (context !== undefined && context.length > MAX_EXPORTER_CONTEXT_LENGTH) {
      throw new TlsConfigError('ERR_EXPORTER_CONTEXT_TOO_LONG', `an exporter context of ${context.length} bytes: at most ${MAX_EXPORTER_CONTEXT_LENGTH}`);
    }
    const out = exportKeyingMaterial(this.currentContext.crypto, n.suite.hash, n.masterSecret, n.clientRandom, n.serverRandom, label, context, length);
    if (!out) throw new TlsConfigError('ERR_ILLEGAL_EXPORTER_LABEL', `'${label}' is an exporter label reserved for TLS itself (RFC 5705 §4)`);
    return out;
  }

  /**
   * The largest plaintext per record we send from now on (OpenSSL's SSL_set_max_send_fragment,
   * node:tls's setMaxSendFragment): 512 to 16384 bytes; anything else is refused (false).
   */
  setMaxSendFragment(size: number): boolean {
    if (!Number.isInteger(size) || size < MIN_SEND_FRAGMENT || size > MAX_SEND_FRAGMENT) return false;
    this.record.maxSendFragment = size;
    return true;
  }

  // -------------------------------------------------------------------------------------
  // Bytes in

  /** Bytes from the network. Never throws; errors close the connection with an alert. */
  receive(data: Uint8Array): void {
    if (this.failure || this.peerClosed || this.disposed) return;
    this.record.receive(data);
    this.process();
    // Records were cut out of `data` in place; the caller may reuse it once we return.
    this.record.retainInput();
  }

  /**
   * The one driver: hands complete handshake messages and records to their handlers, and
   * answers what the handshake waits for. Only here do promises meet the handshake.
   */
  private process(): void {
    try {
      while (!this.failure && !this.peerClosed && !this.disposed && !this.waiting) {
        const resume = this.answered;
        if (resume) {
          this.answered = undefined;
          resume();
          continue;
        }
        const wait = this.handshake.waitingFor;
        if (wait) {
          this.answer(wait);
          continue;
        }
        const message = this.joiner.next();
        if (message) {
          if (this.onTrace) this.output.traceMessages(message.raw);
          this.handshake.handleMessage(message);
          continue;
        }
        const record = this.record.nextRecord();
        if (!record) return;
        if (this.onTrace) this.output.traceRecord('received', record.type, record.data);
        this.handleRecord(record.type, record.data);
      }
    } catch (e) {
      this.fail(e);
    } finally {
      // The record just read is a view that the next read replaces: keep what is unread.
      this.joiner.retain();
      if (this.peerClosed || this.failure) this.record.retireRead();
      if (this.failure) this.record.retireWrite();
    }
  }

  /**
   * Asks the application what the handshake waits for. An answer now resumes the handshake
   * at once; a promise makes the connection wait (input stays in the record layer, `busy` is
   * true), and when it settles the handshake resumes inside process() and `onWake` tells the
   * caller to drain output. An answer that comes after the connection ended is dropped.
   */
  private answer(wait: HandshakeWait): void {
    const resume = this.ask(wait);
    if (!isPromise(resume)) {
      resume();
      return;
    }
    this.waiting = true;
    resume
      .then(
        (r) => r,
        (e: unknown) => (): never => {
          throw e;
        },
      )
      .then((r) => {
        this.waiting = false;
        this.answered = r;
        this.process();
      })
      .finally(() => this.onWake?.());
  }

  /** The application's answer to `wait`, as the step that resumes the handshake with it. */
  private ask(wait: HandshakeWait): MaybePromise<() => void> {
    switch (wait.kind) {
      case 'ServerName':
        return then(this.chooseContext(wait.servername), (context) => () => {
          if (context) this.switchContext(context);
          this.handshake.serverNameChosen();
        });
      case 'SessionLookup':
        return then(this.currentContext.sessions.fetch(wait.sessionId), (session) => () => this.handshake.sessionFound(session));
      case 'SessionStore':
        return then(this.currentContext.sessions.store(wait.session), () => () => this.handshake.sessionStored());
    }
  }

  /** After OpenSSL's ssl3_get_record and ssl3_read_bytes: how empty records and warnings are counted. */
  private handleRecord(type: number, data: Uint8Array): void {
    if (data.length === 0) {
      // RFC 5246 §6.2.1: only application data may be empty.
      if (type === ContentType.handshake) throw fatal(AlertDescription.unexpected_message, 'zero-length handshake record');
      if (type === ContentType.application_data && ++this.emptyRecords > MAX_EMPTY_RECORDS) {
        throw fatal(AlertDescription.unexpected_message, `more than ${MAX_EMPTY_RECORDS} empty records in a row`, 'ERR_RECORD_TOO_SMALL');
      }
    } else {
      this.emptyRecords = 0;
      if (type !== ContentType.alert) this.warningAlerts = 0;
    }
    switch (type) {
      case ContentType.handshake:
        this.joiner.push(data);
        return;
      case ContentType.change_cipher_spec:
        // OpenSSL's tls_get_message_header: anything but the single byte 1 is unexpected_message.
        if (data.length !== 1 || data[0] !== 1) {
          throw fatal(AlertDescription.unexpected_message, 'a ChangeCipherSpec that is not the single byte 1', 'ERR_BAD_CHANGE_CIPHER_SPEC');
        }
        // Keys change at a message boundary only.
        if (!this.joiner.isEmpty) throw fatal(AlertDescription.unexpected_message, 'ChangeCipherSpec inside a handshake message');
        this.handshake.handleChangeCipherSpec();
        this.record.changeReadProtection();
        return;
      case ContentType.alert:
        this.handleAlert(data);
        return;
      case ContentType.application_data:
        if (!this.handshake.complete) throw fatal(AlertDescription.unexpected_message, 'application data before the handshake finished');
        if (!this.joiner.isEmpty) throw fatal(AlertDescription.unexpected_message, 'application data inside a handshake message');
        if (data.length > 0) this.plaintext.push(this.record.readEncrypted ? data : copyBytes(data));
        return;
    }
  }

  /** After OpenSSL's ssl3_read_bytes: what each alert means for a TLS 1.2 server. */
  private handleAlert(data: Uint8Array): void {
    if (data.length !== 2) throw fatal(AlertDescription.decode_error, `alert record of ${data.length} bytes`);
    if (!this.joiner.isEmpty) throw fatal(AlertDescription.unexpected_message, 'alert inside a handshake message');
    const level = data[0]!;
    const description = data[1]!;
    if (level === AlertLevel.fatal) {
      throw new TlsError(description, `peer sent fatal alert ${alertName(description)}`, { fromPeer: true });
    }
    if (level !== AlertLevel.warning) {
      throw fatal(AlertDescription.illegal_parameter, `alert with unknown level ${level}`, 'ERR_UNKNOWN_ALERT_TYPE');
    }
    if (++this.warningAlerts >= MAX_WARNING_ALERTS) {
      throw fatal(AlertDescription.unexpected_message, `${MAX_WARNING_ALERTS} warning alerts without data in between`, 'ERR_TOO_MANY_WARN_ALERTS');
    }
    if (description === AlertDescription.close_notify) {
      this.peerClosed = true;
      if (!this.handshake.complete) {
        this.failure = new TlsError(AlertDescription.close_notify, 'peer closed the connection during the handshake', {
          fromPeer: true,
          reason: 'ERR_CLOSED_DURING_HANDSHAKE',
        });
        this.countFailure(this.failure);
      }
      return;
    }
    // We never ask to renegotiate, so a refusal can only be a confused peer.
    if (description === AlertDescription.no_renegotiation) {
      throw fatal(AlertDescription.handshake_failure, 'unexpected no_renegotiation alert');
    }
    // Any other warning is ignored in TLS 1.2, as OpenSSL does.
  }

  // -------------------------------------------------------------------------------------
  // Bytes out, plaintext in and out

  /**
   * Encrypted bytes to send, or undefined. One buffer per call: one socket write. Yours:
   * its ArrayBuffer is its own. Given `allocate`, what has to be copied or joined goes
   * into the buffer `allocate(n)` returns (filled to its last byte); a single record over
   * 4 KiB, an array of its own already, comes as it is. An adapter passes its runtime's
   * pooled allocation there (Node's Buffer.allocUnsafe): V8 gives each typed array of
   * more than 64 bytes an ArrayBuffer of its own, about 1–3 µs, and a handshake flight or
   * a short write is 65 bytes to a few KiB.
   */
  takeOutput(allocate?: (n: number) => Uint8Array): Uint8Array | undefined {
    return this.record.takeOutput(allocate);
  }

  /**
   * The same bytes as takeOutput, as buffers for one gathered write (writev), in order:
   * with a provider whose cipher returns buffers of its own (the node:crypto provider), a
   * record over 4 KiB goes as header, ciphertext and tag, and its ciphertext is not copied
   * again; everything else is joined as takeOutput joins it. Each buffer is the caller's.
   */
  takeOutputPieces(allocate?: (n: number) => Uint8Array): Uint8Array[] | undefined {
    return this.record.takeOutputPieces(allocate);
  }

  /** Bytes wait to be taken with takeOutput(). */
  get hasOutput(): boolean {
    return this.record.pendingOutput > 0;
  }

  /** Decrypted application data received so far. */
  takePlaintext(): Uint8Array[] {
    const out = this.plaintext;
    this.plaintext = [];
    return out;
  }

  /** Queues application data; it is cut into records of at most 2^14 bytes. */
  write(data: Uint8Array): void {
    if (this.failure) throw new Error(`write after a fatal error: ${this.failure.message}`);
    if (this.disposed) throw new Error('write after dispose');
    if (this.localClosed) throw new Error('write after close_notify');
    if (!this.handshake.complete) throw new Error('write before the handshake completed');
    if (data.length > 0) this.send(ContentType.application_data, data);
  }

  /** Sends close_notify (once). Reading may go on until the peer's close_notify. */
  close(): void {
    if (this.localClosed || this.failure || this.disposed) return;
    this.localClosed = true;
    this.send(ContentType.alert, CLOSE_NOTIFY);
    this.record.retireWrite();
  }

  // -------------------------------------------------------------------------------------
  // Errors are sticky: the first one queues its alert and ends the connection.

  private fail(e: unknown): void {
    // After dispose() nobody is listening, and a late step's error says nothing about the
    // session, which must stay resumable.
    if (this.failure || this.disposed) return;
    const error =
      e instanceof TlsError
        ? e
        : new TlsError(AlertDescription.internal_error, `internal error: ${e instanceof Error ? e.message : String(e)}`, {
            code: 'ERR_INTERNAL',
          });
    this.failure = error;
    this.countFailure(error);
    if (!error.fromPeer && error.alert !== AlertDescription.close_notify) {
      try {
        this.send(ContentType.alert, Uint8Array.of(AlertLevel.fatal, error.alert));
      } catch {
        // Nothing more can be said to this peer.
      }
    }
    this.record.retireRead();
    this.record.retireWrite();
    this.handshake.dispose(true);
  }

  /** A handshake that fails counts once, by reason, in the serving context's stats. */
  private countFailure(error: TlsError): void {
    if (!this.handshake.complete) this.currentContext.stats.failures.count(error.reason);
  }

  // -------------------------------------------------------------------------------------
  // Every record we send goes through the output (and is traced when someone listens).

  private send(type: number, data: Uint8Array): void {
    this.output.send(type, data);
  }
}

/**
 * The handshake's one way out: everything it sends goes through the connection's record
 * layer. A small class rather than an object of closures: V8 tends to allocate closures made
 * in a constructor in old space, and then every connection they point to survives young
 * collections (measured: four times the major GCs and twice the time per resumption).
 */
class RecordLayerOutput implements HandshakeOutput {
  constructor(
    private readonly record: RecordLayer,
    private readonly connection: {
      readonly context: TlsContext;
      onKeylog: ((line: string) => void) | undefined;
      onTrace: ((line: string) => void) | undefined;
    },
  ) {}

  /** Every record the connection sends, the handshake's and its own (traced when someone listens). */
  send(type: number, data: Uint8Array): void {
    if (this.connection.onTrace) this.traceRecord('sent', type, data);
    this.record.send(type, data);
  }

  traceRecord(direction: TraceDirection, type: number, data: Uint8Array): void {
    const onTrace = this.connection.onTrace;
    if (!onTrace) return;
    const encrypted = direction === 'sent' ? this.record.writeEncrypted : this.record.readEncrypted;
    onTrace(traceRecord(direction, type, data.length, encrypted));
    // Received handshake messages are traced whole, as the joiner delivers them.
    if (type === ContentType.handshake && direction === 'sent') this.traceMessages(data);
    else if (type === ContentType.alert) onTrace(traceAlert(direction, data));
  }

  traceMessages(messages: Uint8Array): void {
    const onTrace = this.connection.onTrace;
    if (onTrace) for (const line of traceHandshake(messages)) onTrace(line);
  }

  sendHandshake(messages: Uint8Array): void {
    this.send(ContentType.handshake, messages);
  }

  sendChangeCipherSpec(): void {
    this.send(ContentType.change_cipher_spec, CHANGE_CIPHER_SPEC);
    this.record.changeWriteProtection();
  }

  installKeys(direction: 'read' | 'write', keys: DirectionKeys): void {
    const protection = new AeadProtection(this.connection.context.crypto, keys.suite, keys.key, keys.iv);
    if (direction === 'read') this.record.prepareReadProtection(protection);
    else this.record.prepareWriteProtection(protection);
  }

  agreeVersion(version: number): void {
    this.record.agreeVersion(version);
  }

  sendWarning(description: AlertDescription): void {
    this.send(ContentType.alert, Uint8Array.of(AlertLevel.warning, description));
  }

  get wantsKeylog(): boolean {
    return this.connection.onKeylog !== undefined;
  }

  keylog(line: string): void {
    this.connection.onKeylog?.(line);
  }
}

const CLOSE_NOTIFY = Uint8Array.of(AlertLevel.warning, AlertDescription.close_notify);
const CHANGE_CIPHER_SPEC = Uint8Array.of(1);

function sniFailure(e: unknown): TlsError {
  if (e instanceof TlsError) return e;
  return new TlsError(AlertDescription.internal_error, `SNI callback failed: ${e instanceof Error ? e.message : String(e)}`, {
    code: 'ERR_SNI_CALLBACK',
  });
}
