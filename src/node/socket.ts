import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { CipherInfo, ServerConnection } from '../connection.js';
import type { TlsError } from '../errors.js';
import { describePeerCertificate, type PeerCertificate } from './peer-certificate.js';
import { X509_V_ERR, nodeAuthorizationError } from '../pki/verify.js';

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * The server-side TLS socket handed to `secureConnection` listeners: a Duplex of plaintext
 * over a net.Socket of ciphertext, shaped like node:tls's TLSSocket. It only moves bytes
 * between the socket and the sans-IO ServerConnection, which does all the TLS.
 */
export class TlsSocket extends Duplex {
  readonly encrypted = true;
  private secureEstablished = false;
  private ended = false;
  private reportedError = false;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Reading is paused while the connection waits on an SNI callback or a session store. */
  private waitingOnApplication = false;

  constructor(
    readonly socket: Socket,
    readonly connection: ServerConnection,
    options: { handshakeTimeout?: number; allowHalfOpen?: boolean; keylog?: boolean } = {},
  ) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false });
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

  getCipher(): CipherInfo | null {
    return this.connection.cipher ?? null;
  }

  getProtocol(): string | null {
    return this.connection.protocol ?? null;
  }

  get alpnProtocol(): string | false {
    return this.connection.alpnProtocol ?? false;
  }

  get servername(): string | false {
    return this.connection.serverName ?? false;
  }

  isSessionReused(): boolean {
    return this.connection.isSessionReused;
  }

  /** The session in OpenSSL's i2d_SSL_SESSION form, as node:tls's getSession() returns it. */
  getSession(): Buffer | undefined {
    const session = this.connection.session;
    return session ? asBuffer(session.toDER()) : undefined;
  }

  /** The client's certificate, in node:tls's shape (a subset), or {} when there is none. */
  getPeerCertificate(): PeerCertificate | Record<string, never> {
    const der = this.connection.session?.peerCertificate;
    return der ? describePeerCertificate(der) : {};
  }

  /** The client certificate verified against `ca` (node:tls's authorized). */
  get authorized(): boolean {
    return this.connection.peerVerification?.authorized ?? false;
  }

  /** Why the client is not authorized, in node:tls's words (OpenSSL's X509_V_ERR names), or null. */
  get authorizationError(): string | null {
    const peer = this.connection.peerVerification;
    if (!peer?.requested) return null;
    // node:tls reports a missing certificate as X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT.
    return nodeAuthorizationError(peer.verifyResult ?? X509_V_ERR.UNABLE_TO_GET_ISSUER_CERT) ?? null;
  }

  /** The server side has no peer ephemeral key to report (node:tls returns null too). */
  getEphemeralKeyInfo(): null {
    return null;
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  get remoteFamily(): string | undefined {
    return this.socket.remoteFamily;
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  address(): ReturnType<Socket['address']> {
    return this.socket.address();
  }

  get bytesRead(): number {
    return this.socket.bytesRead;
  }

  get bytesWritten(): number {
    return this.socket.bytesWritten;
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.socket.setTimeout(ms);
    if (callback) this.once('timeout', callback);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.socket.setKeepAlive(enable, initialDelay);
    return this;
  }

  ref(): this {
    this.socket.ref();
    return this;
  }

  unref(): this {
    this.socket.unref();
    return this;
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

  override _final(callback: (error?: Error | null) => void): void {
    const c = this.connection;
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
