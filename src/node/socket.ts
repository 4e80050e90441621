import { X509Certificate } from 'node:crypto';
import type { Server as NetServer, Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { rootCertificates, type CipherNameAndProtocol, type DetailedPeerCertificate, type PeerCertificate, type TLSSocket } from 'node:tls';
import { ServerConnection } from '../connection.js';
import { TlsContext } from '../context.js';
import { createSecureContext, type SecureContextInput } from './secure-context.js';
import { TlsConfigError, type TlsError } from '../errors.js';
import { detailedPeerCertificate, legacyCertificate } from './peer-certificate.js';
import { X509_V_ERR, nodeAuthorizationError, type TrustStore } from '../pki/verify.js';
import { sharedSigalgs } from './tls-names.js';
import { tlsInvalidState, validateBuffer, validateFunction, validateInteger, validateObject, validateString } from './validate.js';

/** A Buffer over the same bytes (ours are never in shared memory). */
function asBuffer(b: Uint8Array): Buffer<ArrayBuffer> {
  return Buffer.from(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);
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
 * The server-side TLS socket handed to `secureConnection` listeners: a Duplex of plaintext
 * over a net.Socket of ciphertext, shaped like node:tls's TLSSocket. It only moves bytes
 * between the socket and the sans-IO ServerConnection, which does all the TLS.
 */
export class TlsSocket extends Duplex {
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
  /** Reading is paused while the connection waits on an SNI callback or a session store. */
  private waitingOnApplication = false;

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
    /** The TCP socket underneath, carrying the ciphertext. */
    readonly socket: Socket,
    connectionOrOptions: ServerConnection | NodeTlsSocketOptions,
    socketOptions: TlsSocketOptions = {},
  ) {
    super({ allowHalfOpen: connectionOrOptions instanceof ServerConnection ? (socketOptions.allowHalfOpen ?? false) : false });
    const made = connectionOrOptions instanceof ServerConnection ? undefined : connectionForNodeOptions(connectionOrOptions);
    const connection = (this.connection = made?.connection ?? (connectionOrOptions as ServerConnection));
    const options = made?.options ?? socketOptions;
    // Nobody else hears a handshake failure of a socket made by hand: it is its 'error' (as node:tls).
    if (made) this.once('handshakeError', (err: Error) => this.destroy(err));
    this.server = options.server;
    if (options.enableTrace) this.enableTrace();
    // node:tls's 'keylog' (line with its newline), when asked for: formatting is not free.
    if (options.keylog) connection.onKeylog = (line) => this.emit('keylog', Buffer.from(`${line}\n`));
    connection.onWake = () => {
      // The application's SNI callback or session store answered: read again.
      if (this.waitingOnApplication && !connection.busy) {
        this.waitingOnApplication = false;
        socket.resume();
      }
      this.pump();
    };
    socket.on('data', (chunk: Buffer) => {
      connection.receive(chunk);
      if (connection.busy && !this.waitingOnApplication) {
        // Bytes that arrive meanwhile would pile up in the connection: let TCP hold them.
        this.waitingOnApplication = true;
        socket.pause();
      }
      this.pump();
    });
    socket.on('end', () => this.onSocketEnd());
    socket.on('error', (err) => this.onSocketError(err));
    socket.on('close', () => {
      this.clearHandshakeTimer();
      if (!this.destroyed) this.destroy();
    });
    socket.on('timeout', () => this.emit('timeout'));
    const timeout = options.handshakeTimeout ?? 0;
    if (timeout > 0) {
      this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(), timeout);
      this.handshakeTimer.unref?.();
    }
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
    return this.connection.alpnProtocol ?? false;
  }

  /** The SNI host name the client sent (RFC 6066 §3), or false. */
  get servername(): string | false {
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
    const peer = this.connection.peerVerification;
    if (!peer?.requested) return null;
    // node:tls reports a missing certificate as X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT.
    return nodeAuthorizationError(peer.verifyResult ?? X509_V_ERR.UNABLE_TO_GET_ISSUER_CERT) ?? null;
  }

  /** node:tls returns null on a server socket: the ephemeral key info is a client's view. */
  getEphemeralKeyInfo(): null {
    return null;
  }

  /** The TCP socket's remote address. */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** The TCP socket's remote port. */
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  /** 'IPv4' or 'IPv6', from the TCP socket. */
  get remoteFamily(): string | undefined {
    return this.socket.remoteFamily;
  }

  /** The TCP socket's local address. */
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  /** The TCP socket's local port. */
  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  /** The TCP socket's local address, port and family. */
  address(): ReturnType<Socket['address']> {
    return this.socket.address();
  }

  /** Bytes received on the TCP socket (ciphertext, as node:tls counts them). */
  get bytesRead(): number {
    return this.socket.bytesRead;
  }

  /** Bytes sent on the TCP socket (ciphertext). */
  get bytesWritten(): number {
    return this.socket.bytesWritten;
  }

  /** The TCP socket's idle timeout; 'timeout' is emitted here, and `callback` runs once on it. */
  setTimeout(ms: number, callback?: () => void): this {
    this.socket.setTimeout(ms);
    if (callback) this.once('timeout', callback);
    return this;
  }

  /** Nagle's algorithm off (true) or on, on the TCP socket. */
  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  /** TCP keep-alive on the TCP socket. */
  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.socket.setKeepAlive(enable, initialDelay);
    return this;
  }

  /** Keeps the process alive while this connection is open (the default). */
  ref(): this {
    this.socket.ref();
    return this;
  }

  /** Lets the process exit even if this connection is open. */
  unref(): this {
    this.socket.unref();
    return this;
  }

  /** net.Socket's RST: the TCP connection is reset, and this socket destroyed. */
  resetAndDestroy(): this {
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
    this.destroy();
    return this;
  }

  /** net.Socket's: an accepted connection is never connecting. */
  get connecting(): boolean {
    return false;
  }

  /** net.Socket's: not connected yet (never, for an accepted socket, until it is destroyed). */
  get pending(): boolean {
    return this.destroyed;
  }

  /** net.Socket's readyState, from this stream's readable and writable sides. */
  get readyState(): 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  /** net.Socket's deprecated bufferSize: what waits to be written (plaintext here, and the TCP socket's). */
  get bufferSize(): number {
    return this.writableLength + this.socket.writableLength;
  }

  /** net.Socket's: the addresses tried when connecting (empty for an accepted connection). */
  get autoSelectFamilyAttemptedAddresses(): string[] {
    return this.socket.autoSelectFamilyAttemptedAddresses;
  }

  /** An accepted socket is connected already: connect() is refused (ERR_SOCKET_CONNECTED, as net.Socket). */
  connect(..._args: unknown[]): never {
    throw Object.assign(new Error('Socket is already connected'), { code: 'ERR_SOCKET_CONNECTED' });
  }

  /**
   * node:tls's setKeyCert changes the certificate of a connection in progress; puretls
   * chooses it before the handshake answers (SNICallback, addContext), so this is refused.
   */
  setKeyCert(_context: unknown): never {
    throw new TlsConfigError('ERR_UNSUPPORTED_OPERATION', 'setKeyCert is not supported: choose the certificate with SNICallback or addContext');
  }

  /** net.Socket's: end, and destroy once everything is flushed (http.Server calls it). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  // -------------------------------------------------------------------------------------
  // Moving bytes

  /** Sends what the connection produced and delivers what it decrypted. */
  private pump(): void {
    const c = this.connection;
    const out = c.takeOutput();
    if (out && !this.socket.destroyed) this.socket.write(out);
    if (!this.secureEstablished && c.handshakeComplete) {
      this.secureEstablished = true;
      this.clearHandshakeTimer();
      this.emit('secure');
    }
    for (const chunk of c.takePlaintext()) {
      if (!this.push(asBuffer(chunk))) this.socket.pause();
    }
    if (c.error) {
      this.onTlsError(c.error);
      return;
    }
    if (c.receivedCloseNotify) this.endReadable();
  }

  override _read(): void {
    if (this.socket.isPaused() && !this.waitingOnApplication) this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeRecords([chunk], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.writeRecords(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  private writeRecords(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    const c = this.connection;
    try {
      if (!this.secureEstablished) throw new Error('write before the TLS handshake completed');
      for (const chunk of chunks) c.write(chunk);
    } catch (e) {
      callback(e as Error);
      return;
    }
    const out = c.takeOutput();
    if (!out) {
      callback();
      return;
    }
    // The callback runs once the socket has taken the bytes: that is the backpressure.
    this.socket.write(out, (err) => callback(err ?? null));
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
    const out = c.takeOutput();
    if (this.socket.destroyed) {
      callback();
      return;
    }
    if (out) this.socket.end(out, () => callback());
    else this.socket.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.clearHandshakeTimer();
    this.connection.dispose();
    // Let an alert already queued reach the peer before the socket goes.
    if (!this.socket.destroyed) {
      if (this.socket.writableLength > 0) this.socket.end(() => this.socket.destroy());
      else this.socket.destroy();
    }
    callback(error);
  }

  // -------------------------------------------------------------------------------------
  // Endings

  private endReadable(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
    // As net.Socket at end of stream: emits 'end' even if the application never reads, so a
    // socket that is not half-open ends its side too.
    this.read(0);
  }

  private onSocketEnd(): void {
    if (!this.secureEstablished) {
      this.failHandshake(Object.assign(new Error('Client network socket disconnected before secure TLS connection was established'), {
        code: 'ECONNRESET',
      }));
      return;
    }
    // A TCP FIN without close_notify: end of data all the same, as node:tls treats it.
    this.endReadable();
  }

  private onSocketError(err: Error): void {
    if (!this.secureEstablished) this.failHandshake(err);
    else this.destroy(err);
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
