import { X509Certificate } from 'node:crypto';
import { Socket as NetSocket, type Server as NetServer, type Socket, type SocketConstructorOpts } from 'node:net';
import { rootCertificates, type CipherNameAndProtocol, type DetailedPeerCertificate, type PeerCertificate, type TLSSocket } from 'node:tls';
import { ServerConnection } from '../connection.js';
import { TlsContext } from '../context.js';
import { createSecureContext, type SecureContextInput } from './secure-context.js';
import { TlsConfigError, type TlsError } from '../errors.js';
import { detailedPeerCertificate, legacyCertificate } from './peer-certificate.js';
import { X509_V_ERR, nodeAuthorizationError, type TrustStore } from '../pki/verify.js';
import { sharedSigalgs } from './tls-names.js';
import { forgetStreamHandle, hideFromNativeConsumers, releaseAcceptedSocket, streamHandleOf, type StreamHandle } from './tcp-handle.js';
import { tlsInvalidState, validateBuffer, validateFunction, validateInteger, validateObject, validateString } from './validate.js';

/** A Buffer over the same bytes (ours are never in shared memory). */
function asBuffer(b: Uint8Array): Buffer<ArrayBuffer> {
  return Buffer.from(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);
}

/**
 * Where a connection's records leave the core (takeOutput): Node's pooled Buffer, carved
 * from an 8 KiB pool below 4 KiB as node:net does for its own writes, where a typed array of
 * more than 64 bytes costs an ArrayBuffer of its own. The pool is not zeroed; takeOutput
 * fills the buffer to its last byte, and what it holds is records on their way to the wire.
 */
function outputBuffer(n: number): Buffer {
  return Buffer.allocUnsafe(n);
}

/** A piece of output as the Buffer a socket write takes (most are Buffers already: outputBuffer's, node:crypto's). */
function bufferOf(b: Uint8Array): Buffer {
  return b instanceof Buffer ? b : asBuffer(b);
}

/** How a Server makes a TlsSocket around an accepted connection. */
export interface TlsSocketOptions {
  /** Milliseconds the client has to finish the handshake; 0 for no limit. */
  handshakeTimeout?: number;
  /** Keep the writable side open after the peer ends its side (net.Socket's allowHalfOpen). Default false. */
  allowHalfOpen?: boolean;
  /** Emit node:tls's 'keylog' events. */
  keylog?: boolean;
  /** The server that accepted the connection (the socket's `server`). */
  server?: NetServer;
  /** Trace the connection's messages to stderr (node:tls's enableTrace option). */
  enableTrace?: boolean;
  /** The server's pauseOnConnect: nothing is read, the handshake included, until resume(). */
  pauseOnConnect?: boolean;
}

/**
 * node:tls's TLSSocket options, for a server socket made by hand: `isServer: true`, then
 * `secureContext` (a TlsContext) or createSecureContext's options; `requestCert` and
 * `rejectUnauthorized` default to false, as node:tls's. Other options are refused by name.
 */
export interface NodeTlsSocketOptions extends SecureContextInput {
  /** Must be true: puretls is a server. */
  isServer?: boolean;
  /** The server the socket belongs to (its `server` property). */
  server?: NetServer;
  /** The context to serve with (from createSecureContext); else one is made from the other options. */
  secureContext?: TlsContext;
  /** Ask the client for a certificate. Default false. */
  requestCert?: boolean;
  /** With requestCert: refuse a client whose certificate does not verify against `ca`. Default false (node:tls's, for a socket made by hand). */
  rejectUnauthorized?: boolean;
  /** Trace the connection's messages to stderr. */
  enableTrace?: boolean;
}

const NODE_SOCKET_OPTIONS = new Set(['isServer', 'server', 'secureContext', 'requestCert', 'rejectUnauthorized', 'enableTrace']);

function connectionForNodeOptions(options: NodeTlsSocketOptions): { connection: ServerConnection; options: TlsSocketOptions } {
  validateObject(options, 'options');
  if (options.isServer !== true) {
    throw new TlsConfigError('ERR_UNSUPPORTED_OPTION', 'puretls is a TLS server: a TLSSocket made by hand needs { isServer: true }');
  }
  const contextOptions = Object.fromEntries(Object.entries(options).filter(([k, v]) => !NODE_SOCKET_OPTIONS.has(k) && v !== undefined));
  let context: TlsContext;
  if (options.secureContext !== undefined) {
    if (!(options.secureContext instanceof TlsContext)) throw new TlsConfigError('ERR_INVALID_ARG_TYPE', 'secureContext must be a puretls TlsContext (createSecureContext)');
    const extra = Object.keys(contextOptions);
    if (extra.length > 0) {
      throw new TlsConfigError('ERR_UNSUPPORTED_OPTION', `${extra.map((k) => `'${k}'`).join(', ')} cannot be combined with secureContext: give them to createSecureContext`);
    }
    context = options.secureContext;
  } else {
    context = createSecureContext(contextOptions);
  }
  const connection = new ServerConnection(context, { requestCert: options.requestCert === true, rejectUnauthorized: options.rejectUnauthorized === true });
  return {
    connection,
    options: { ...(options.server ? { server: options.server } : {}), ...(options.enableTrace ? { enableTrace: true } : {}) },
  };
}

/** The trust anchors' DER per store, and node's root certificates (its store when a context has no `ca`). */
const anchorsOf = new WeakMap<TrustStore, readonly Uint8Array[]>();
let nodeRoots: readonly Uint8Array[] | undefined;

function trustAnchors(store: TrustStore | undefined): readonly Uint8Array[] {
  if (!store) return (nodeRoots ??= rootCertificates.map((pem) => new Uint8Array(new X509Certificate(pem).raw)));
  let ders = anchorsOf.get(store);
  if (!ders) anchorsOf.set(store, (ders = store.certificates.map((c) => c.der)));
  return ders;
}

/**
 * Every TlsSocket's TCP reads land here (net.Socket's `onread`): the connection copies what
 * it keeps before the read callback returns, so one buffer serves every connection and a
 * read allocates nothing. It only ever holds ciphertext.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** net.Socket calls its `onread` callback as a method of the socket. */
function onCiphertext(this: TlsSocket, length: number, buffer: Buffer): boolean {
  return this.receiveCiphertext(buffer.subarray(0, length));
}

/** A chunk given to write(): net.Socket hands strings through undecoded (decodeStrings: false). */
function chunkBytes(chunk: Buffer | string, encoding: BufferEncoding): Uint8Array {
  return typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
}

/**
 * The server-side TLS socket handed to `secureConnection` listeners, shaped like node:tls's
 * TLSSocket: a net.Socket of plaintext over the accepted connection's TCP handle, which it
 * takes over (`tcp-handle.ts`), so bytes pass through one JavaScript stream per connection as
 * under node:tls. It only moves bytes between the handle and the sans-IO ServerConnection,
 * which does all the TLS: reads go to the connection, its plaintext is pushed; writes go to
 * the connection, its records go to the handle.
 */
export class TlsSocket extends NetSocket {
  /** Always true: node:tls's TLSSocket says so, and http, Express and http2 read it. */
  readonly encrypted = true;
  /** The server that accepted the connection (as net.Socket's and node:tls's `server`). */
  readonly server: NetServer | undefined;
  private secureEstablished = false;
  /** The data of end(data), sent with our close_notify by _final. */
  private finalData: Uint8Array | undefined;
  private ended = false;
  private reportedError = false;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Reading is stopped while the connection waits on an SNI callback or a session store. */
  private waitingOnApplication = false;
  /** Made by hand (node:tls's way): a handshake failure is this socket's 'error'. */
  private readonly madeByHand: boolean;
  /** The handle taken over from `socket`, closed by this socket. */
  private readonly tcpHandle: StreamHandle | undefined;

  /** When the socket was made (performance.now()): where its handshake's duration starts. */
  readonly startedAt = performance.now();

  /**
   * What node:tls's sockets still report once destroyed (alpnProtocol, servername,
   * authorized, authorizationError), kept as the connection is released.
   */
  private closedWith: { alpnProtocol: string | false; servername: string | false; authorized: boolean; authorizationError: string | null } | undefined;

  /** The sans-IO connection this socket carries: all the TLS happens there. */
  readonly connection: ServerConnection;

  /** The Server's way: a connection made for this socket. */
  constructor(socket: Socket, connection: ServerConnection, options?: TlsSocketOptions);
  /**
   * node:tls's way, `new tls.TLSSocket(socket, { isServer: true, secureContext })` (or with
   * createSecureContext's options instead of `secureContext`), e.g. for STARTTLS: the
   * handshake starts at once; 'secure' when it is done, 'error' if it fails.
   */
  constructor(socket: Socket, options: NodeTlsSocketOptions);
  constructor(
    /** The accepted TCP socket; its handle now belongs to this socket. */
    readonly socket: Socket,
    connectionOrOptions: ServerConnection | NodeTlsSocketOptions,
    socketOptions: TlsSocketOptions = {},
  ) {
    const made = connectionOrOptions instanceof ServerConnection ? undefined : connectionForNodeOptions(connectionOrOptions);
    const options = made?.options ?? socketOptions;
    const handle = streamHandleOf(socket);
    // Bytes the accepted socket read but nobody consumed (STARTTLS: what came after the command).
    const unread = handle && socket.readableLength > 0 ? (socket.read() as Buffer | string | null) : null;
    super({
      handle,
      allowHalfOpen: made ? false : (options.allowHalfOpen ?? false),
      // As node:tls: a pauseOnConnect server's sockets read nothing, the handshake included, until resume().
      pauseOnCreate: options.pauseOnConnect === true,
      onread: { buffer: READ_BUFFER, callback: onCiphertext },
    } as SocketConstructorOpts);
    this.tcpHandle = handle;
    if (handle) hideFromNativeConsumers(handle);
    const connection = (this.connection = made?.connection ?? (connectionOrOptions as ServerConnection));
    this.madeByHand = made !== undefined;
    // Nobody else hears a handshake failure of a socket made by hand: it is its 'error' (as node:tls).
    if (made) this.once('handshakeError', (err: Error) => this.destroy(err));
    this.server = options.server;
    if (options.enableTrace) this.enableTrace();
    // node:tls's 'keylog' (line with its newline), when asked for: formatting is not free.
    if (options.keylog) connection.onKeylog = (line) => this.emit('keylog', Buffer.from(`${line}\n`));
    connection.onWake = () => this.onApplicationAnswer();
    // Whoever destroys the accepted socket (a server tracking its 'connection's) closes ours.
    socket.once('close', () => {
      if (this.destroyed) return;
      forgetStreamHandle(this);
      this.destroy();
    });
    const timeout = options.handshakeTimeout ?? 0;
    if (timeout > 0) {
      this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(), timeout);
      this.handshakeTimer.unref?.();
    }
    if (unread !== null) queueMicrotask(() => this.receiveCiphertext(typeof unread === 'string' ? Buffer.from(unread, 'latin1') : unread));
  }

  // -------------------------------------------------------------------------------------
  // node:tls TLSSocket API

  /** { name, standardName, version } once the handshake is done; undefined before, as node:tls. */
  getCipher(): CipherNameAndProtocol {
    return this.connection.cipher as CipherNameAndProtocol;
  }

  /** The protocol once the handshake is done ('TLSv1.2', the only one), else null. */
  getProtocol(): string | null {
    return this.connection.protocol ?? null;
  }

  /** The ALPN protocol chosen (RFC 7301), or false when none was. */
  get alpnProtocol(): string | false {
    if (this.closedWith) return this.closedWith.alpnProtocol;
    return this.connection.alpnProtocol ?? false;
  }

  /** The SNI host name the client sent (RFC 6066 §3), or false. */
  get servername(): string | false {
    if (this.closedWith) return this.closedWith.servername;
    return this.connection.serverName ?? false;
  }

  /** The handshake resumed a session (by ticket or session ID). */
  isSessionReused(): boolean {
    return this.connection.isSessionReused;
  }

  /** The session in OpenSSL's i2d_SSL_SESSION form, as node:tls's getSession() returns it. */
  getSession(): Buffer<ArrayBuffer> | undefined {
    const session = this.connection.session;
    return session ? asBuffer(session.toDER()) : undefined;
  }

  /**
   * The client's certificate as node:tls gives it, field for field (node's own X509ToObject
   * builds it), or {} when there is none. With `detailed`, `issuerCertificate` links each
   * certificate to its issuer: from the chain the client sent, then from the serving
   * context's `ca` (node's default root certificates when there is none), and a self-issued
   * root to itself, as node:tls does.
   */
  getPeerCertificate(detailed: true): DetailedPeerCertificate;
  getPeerCertificate(detailed?: false): PeerCertificate;
  getPeerCertificate(detailed?: boolean): PeerCertificate | DetailedPeerCertificate;
  getPeerCertificate(detailed?: boolean): PeerCertificate | DetailedPeerCertificate {
    const chain = this.connection.peerCertificateChain;
    if (chain.length === 0) return {} as PeerCertificate;
    if (!detailed) return legacyCertificate(chain[0]!);
    return detailedPeerCertificate(chain, trustAnchors(this.connection.context.trustStore));
  }

  /** The client's certificate as a node:crypto X509Certificate, or undefined. */
  getPeerX509Certificate(): X509Certificate | undefined {
    const der = this.connection.peerCertificateChain[0];
    return der ? new X509Certificate(der) : undefined;
  }

  /** Our certificate for this connection (the virtual host's after SNI) as an X509Certificate. */
  getX509Certificate(): X509Certificate | undefined {
    const der = this.connection.localCertificate;
    return der ? new X509Certificate(der) : undefined;
  }

  /** Our certificate in node:tls's legacy shape, or {} (node:tls's getCertificate). */
  getCertificate(): PeerCertificate | object | null {
    const der = this.connection.localCertificate;
    return der ? legacyCertificate(der) : {};
  }

  /** The verify_data of the Finished we sent (RFC 5929 channel binding), or undefined before the handshake. */
  getFinished(): Buffer<ArrayBuffer> | undefined {
    const data = this.connection.finished;
    return data ? asBuffer(data) : undefined;
  }

  /** The verify_data of the client's Finished, or undefined before the handshake. */
  getPeerFinished(): Buffer<ArrayBuffer> | undefined {
    const data = this.connection.peerFinished;
    return data ? asBuffer(data) : undefined;
  }

  /**
   * RFC 5705 keying material (node:tls's exportKeyingMaterial): `length` bytes for `label`,
   * with `context` when given. node's argument checks and codes; ERR_TLS_INVALID_STATE
   * before the handshake; ERR_SSL_TLS_ILLEGAL_EXPORTER_LABEL for a label TLS keeps.
   */
  exportKeyingMaterial(length: number, label: string, context?: Buffer): Buffer<ArrayBuffer> {
    validateInteger(length, 'length', 1, 0xffffffff);
    validateString(label, 'label');
    if (context !== undefined) validateBuffer(context, 'context');
    if (!this.connection.handshakeComplete) throw tlsInvalidState();
    const ctx = context === undefined ? undefined : new Uint8Array(context.buffer, context.byteOffset, context.byteLength);
    return asBuffer(this.connection.exportKeyingMaterial(length, label, ctx));
  }

  /** The signature algorithms both sides support, as node:tls names them ('ECDSA+SHA256', ...). */
  getSharedSigalgs(): string[] {
    return sharedSigalgs(this.connection.peerSignatureSchemes);
  }

  /**
   * node:tls's getTLSTicket(): the ticket a client received, so undefined on a server (node's
   * server sockets return undefined too; the tickets we issue never come back to us whole).
   */
  getTLSTicket(): Buffer<ArrayBuffer> | undefined {
    return undefined;
  }

  /**
   * The largest record we send from now on: 512 to 16384 bytes of plaintext (OpenSSL's
   * SSL_set_max_send_fragment). false, and no change, outside that range.
   */
  setMaxSendFragment(size: number): boolean {
    validateInteger(size, 'size', -(2 ** 31), 2 ** 31 - 1);
    return this.connection.setMaxSendFragment(size);
  }

  /** A renegotiation attempt by the client now ends the connection (ERR_TLS_RENEGOTIATION_DISABLED). */
  disableRenegotiation(): void {
    this.connection.disableRenegotiation();
  }

  /**
   * puretls never renegotiates (RFC 5746 renegotiation is not implemented): as node:tls
   * when renegotiation is not possible, returns false and hands `callback` the error.
   */
  renegotiate(options: { rejectUnauthorized?: boolean; requestCert?: boolean }, callback?: (err: Error | null) => void): boolean | undefined {
    validateObject(options, 'options');
    if (callback !== undefined) validateFunction(callback, 'callback');
    if (this.destroyed) return undefined;
    const error = new TlsConfigError('ERR_TLS_RENEGOTIATION_UNSUPPORTED', 'puretls does not renegotiate: open a new connection instead');
    if (callback) process.nextTick(callback, error);
    return false;
  }

  /**
   * Prints a human-readable trace of every record and handshake message of this connection
   * to stderr (node:tls's enableTrace). It shows handshake contents, not keys.
   */
  enableTrace(): void {
    this.connection.onTrace = (line) => process.stderr.write(`${line}\n`);
  }

  /** The client certificate verified against `ca` (node:tls's authorized). */
  get authorized(): boolean {
    if (this.closedWith) return this.closedWith.authorized;
    return this.connection.peerVerification?.authorized ?? false;
  }

  /**
   * Why the client is not authorized, in node:tls's words (OpenSSL's X509_V_ERR names such
   * as 'CERT_HAS_EXPIRED'), or null. Typed as @types/node types node:tls's (`Error`), so
   * our sockets fit where node's are expected; the value is a string or null, as node:tls's.
   */
  get authorizationError(): TLSSocket['authorizationError'] {
    return this.authorizationErrorName as unknown as Error;
  }

  /** authorizationError with its real type: OpenSSL's X509_V_ERR name, or null. */
  get authorizationErrorName(): string | null {
    if (this.closedWith) return this.closedWith.authorizationError;
    const peer = this.connection.peerVerification;
    if (!peer?.requested) return null;
    // node:tls reports a missing certificate as X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT.
    return nodeAuthorizationError(peer.verifyResult ?? X509_V_ERR.UNABLE_TO_GET_ISSUER_CERT) ?? null;
  }

  /** node:tls returns null on a server socket: the ephemeral key info is a client's view. */
  getEphemeralKeyInfo(): null {
    return null;
  }

  /** An accepted socket is connected already: connect() is refused (ERR_SOCKET_CONNECTED, as net.Socket). */
  override connect(..._args: unknown[]): never {
    throw Object.assign(new Error('Socket is already connected'), { code: 'ERR_SOCKET_CONNECTED' });
  }

  /**
   * node:tls's setKeyCert changes the certificate of a connection in progress; puretls
   * chooses it before the handshake answers (SNICallback, addContext), so this is refused.
   */
  setKeyCert(_context: unknown): never {
    throw new TlsConfigError('ERR_UNSUPPORTED_OPERATION', 'setKeyCert is not supported: choose the certificate with SNICallback or addContext');
  }

  // -------------------------------------------------------------------------------------
  // Moving bytes

  /**
   * A TCP read (net.Socket's onread callback; not for applications): false stops reading
   * until _read starts it again.
   */
  receiveCiphertext(ciphertext: Uint8Array): boolean {
    const c = this.connection;
    c.receive(ciphertext);
    const flowing = this.pump();
    if (c.busy && !this.waitingOnApplication) {
      // Bytes that arrive meanwhile would pile up in the connection: let TCP hold them.
      this.waitingOnApplication = true;
    }
    return flowing && !this.waitingOnApplication;
  }

  /** The application's SNI callback or session store answered: go on, and read again. */
  private onApplicationAnswer(): void {
    const resume = this.waitingOnApplication && !this.connection.busy;
    if (resume) this.waitingOnApplication = false;
    const flowing = this.pump();
    // Not past an application's pause(): its resume() starts reading (net.Socket's, with onread).
    if (resume && flowing && !this.destroyed && !this.isPaused()) super._read(0);
  }

  /**
   * Sends what the connection produced and delivers what it decrypted. False when the
   * reader has enough plaintext buffered (stream backpressure): reading waits for _read.
   */
  private pump(): boolean {
    const c = this.connection;
    const out = c.takeOutputPieces(outputBuffer);
    if (out) this.writeToHandle(out);
    if (!this.secureEstablished && c.handshakeComplete) {
      this.secureEstablished = true;
      this.clearHandshakeTimer();
      this.emit('secure');
    }
    let flowing = true;
    for (const chunk of c.takePlaintext()) flowing = super.push(asBuffer(chunk)) && flowing;
    if (c.error) {
      this.onTlsError(c.error);
      return false;
    }
    if (c.receivedCloseNotify) this.endReadable();
    return flowing;
  }

  /**
   * Records straight to the TCP handle (net.Socket's own write path), outside this stream's
   * queue: one write, or one gathered write (writev) of the pieces takeOutputPieces gave.
   */
  private writeToHandle(pieces: Uint8Array[], callback?: (error?: Error | null) => void): void {
    if (this.destroyed) {
      callback?.();
      return;
    }
    const done = (err?: Error | null): void => {
      if (callback) callback(err);
      else if (err) this.destroy(err);
    };
    if (pieces.length === 1) {
      super._write(bufferOf(pieces[0]!), 'buffer' as BufferEncoding, done);
      return;
    }
    // net.Socket's _writev takes what Writable hands it: { chunk, encoding } entries, and
    // `allBuffers` when every chunk is a Buffer (then node's writev skips the encodings).
    const entries = Object.assign(
      pieces.map((p) => ({ chunk: bufferOf(p), encoding: 'buffer' as BufferEncoding })),
      { allBuffers: true },
    );
    super._writev!(entries, done);
  }

  override _read(size: number): void {
    if (!this.waitingOnApplication) super._read(size);
  }

  /**
   * The TCP handle's end of stream (net.Socket's read path pushes null): before the
   * handshake, a failed handshake; after it, a FIN without close_notify is the end of data
   * all the same, as node:tls treats it.
   */
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null) return super.push(chunk, encoding);
    if (!this.secureEstablished) {
      this.failHandshake(Object.assign(new Error('Client network socket disconnected before secure TLS connection was established'), {
        code: 'ECONNRESET',
      }));
    } else {
      this.endReadable();
    }
    return false;
  }

  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeRecords([chunkBytes(chunk, encoding)], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer | string; encoding: BufferEncoding }>, callback: (error?: Error | null) => void): void {
    this.writeRecords(
      chunks.map((c) => chunkBytes(c.chunk, c.encoding)),
      callback,
    );
  }

  private writeRecords(chunks: Uint8Array[], callback: (error?: Error | null) => void): void {
    const c = this.connection;
    try {
      if (!this.secureEstablished) throw new Error('write before the TLS handshake completed');
      for (const chunk of chunks) c.write(chunk);
    } catch (e) {
      callback(e as Error);
      return;
    }
    const out = c.takeOutputPieces(outputBuffer);
    if (!out) {
      callback();
      return;
    }
    // The callback runs once the handle has taken the bytes: that is the backpressure.
    this.writeToHandle(out, (err) => callback(err ?? null));
  }

  /**
   * end(data): the data goes out in the same socket write as our close_notify (one record
   * each, one write), not in a write of its own before it, as node:tls's end() does in its
   * native layer. Writes still queued go first: _final runs after them.
   */
  override end(cb?: () => void): this;
  override end(chunk: unknown, cb?: () => void): this;
  override end(chunk: unknown, encoding?: BufferEncoding, cb?: () => void): this;
  override end(chunk?: unknown, encoding?: unknown, cb?: unknown): this {
    const data = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : chunk;
    const done = (typeof encoding === 'function' ? encoding : cb) as (() => void) | undefined;
    if (!(data instanceof Uint8Array) || !this.secureEstablished || this.writableEnded || this.destroyed) {
      return super.end(chunk as never, encoding as never, cb as never);
    }
    this.finalData = data;
    return super.end(done);
  }

  /** Our last records (end's data, close_notify), then the TCP shutdown (net.Socket's _final). */
  override _final(callback: (error?: Error | null) => void): void {
    const c = this.connection;
    const data = this.finalData;
    this.finalData = undefined;
    try {
      if (data && data.length > 0 && !c.error) c.write(data);
    } catch (e) {
      callback(e as Error);
      return;
    }
    if (!c.error) c.close();
    const out = c.takeOutputPieces(outputBuffer);
    if (!out) {
      super._final(callback);
      return;
    }
    this.writeToHandle(out, (err) => (err ? callback(err) : super._final(callback)));
  }

  /**
   * The keys are wiped, the handle closed (net.Socket's _destroy) and the accepted socket
   * released. A failure before the handshake completed is reported as 'handshakeError'
   * (tlsClientError on the server), not as this socket's 'error', as node:tls does.
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.clearHandshakeTimer();
    this.connection.dispose();
    this.closedWith = {
      alpnProtocol: this.alpnProtocol,
      servername: this.servername,
      authorized: this.authorized,
      authorizationError: this.authorizationErrorName,
    };
    let reported = error;
    if (error && !this.secureEstablished && !this.reportedError) {
      this.reportedError = true;
      this.emit('handshakeError', error);
      if (!this.madeByHand) reported = null;
    }
    // An alert just written is in the kernel already: libuv writes at once when it can.
    super._destroy(reported, callback);
    releaseAcceptedSocket(this.socket, this.tcpHandle);
    // As node:tls's sockets, whose TLS state goes with their handle: from here on only the
    // four properties above keep their values, and the other getters answer as before a
    // handshake (node:tls's answer null). A destroyed socket can outlive this call by a
    // second (see ServerConnection.release), and every scavenge until then copied the whole
    // connection: about 0.8 of the 2.6 MB that survived each one under the bench's load.
    this.connection.release();
  }

  // -------------------------------------------------------------------------------------
  // Endings

  private endReadable(): void {
    if (this.ended) return;
    this.ended = true;
    super.push(null);
    // As net.Socket at end of stream: emits 'end' even if the application never reads, so a
    // socket that is not half-open ends its side too.
    this.read(0);
  }

  private onHandshakeTimeout(): void {
    this.failHandshake(Object.assign(new Error('TLS handshake timeout'), { code: 'ERR_TLS_HANDSHAKE_TIMEOUT' }));
  }

  private onTlsError(error: TlsError): void {
    if (this.reportedError) return;
    this.reportedError = true;
    if (!this.secureEstablished) {
      this.failHandshake(error);
      return;
    }
    // The peer's close_notify-less fatal alert or ours: the stream ends with an error.
    this.destroy(error);
  }

  private failHandshake(error: Error): void {
    if (this.destroyed) return;
    this.reportedError = true;
    this.clearHandshakeTimer();
    this.emit('handshakeError', error);
    this.destroy();
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }
}
