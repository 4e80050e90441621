import { copyBytes } from '../codec/bytes.js';
import { HandshakeType } from '../codec/enums.js';
import { AlertDescription, TlsError } from '../errors.js';

export const HANDSHAKE_HEADER_LENGTH = 4;

/**
 * The largest ClientHello body: OpenSSL's CLIENT_HELLO_MAX_LENGTH, every field at its maximum:
 * version 2 + random 32 + session_id 1+32 + cipher_suites 2+65534 + compression_methods 1+255
 * + extensions 2+65535.
 */
export const MAX_CLIENT_HELLO_LENGTH = 131_396;
/** The client's Certificate message: OpenSSL's default max_cert_list (SSL_MAX_CERT_LIST_DEFAULT, 100 KiB). */
export const MAX_CLIENT_CERTIFICATE_LENGTH = 102_400;
/** ClientKeyExchange: a 1-byte length and an ECDHE point (97 bytes for an uncompressed P-384 point). */
export const MAX_CLIENT_KEY_EXCHANGE_LENGTH = 256;
/** CertificateVerify: a 2-byte scheme, a 2-byte length and a DER ECDSA signature (at most 139 bytes for P-521). */
export const MAX_CERTIFICATE_VERIFY_LENGTH = 2048;
/** Finished: verify_data is exactly 12 bytes for every TLS 1.2 suite we have (RFC 5246 §7.4.9). */
export const MAX_FINISHED_LENGTH = 12;

/**
 * The longest body each handshake message a TLS 1.2 server can receive may announce (after
 * OpenSSL's max_message_size()). A type missing here is one a client never sends to a server
 * (ServerHello, HelloRequest, ...): unexpected_message from its header, whatever the state.
 */
export const MAX_HANDSHAKE_BODY_LENGTH: ReadonlyMap<number, number> = new Map([
  [HandshakeType.client_hello, MAX_CLIENT_HELLO_LENGTH],
  [HandshakeType.certificate, MAX_CLIENT_CERTIFICATE_LENGTH],
  [HandshakeType.client_key_exchange, MAX_CLIENT_KEY_EXCHANGE_LENGTH],
  [HandshakeType.certificate_verify, MAX_CERTIFICATE_VERIFY_LENGTH],
  [HandshakeType.finished, MAX_FINISHED_LENGTH],
]);

export interface HandshakeMessage {
  type: number;
  /** The message body, after the 4-byte header. */
  body: Uint8Array;
  /** Header and body exactly as received: what goes into the transcript. */
  raw: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/**
 * Joins handshake messages split across records and splits records that pack several.
 *
 * Each message is assembled in one buffer of exactly its announced length, allocated when
 * its 4-byte header is complete and after that header has been checked against the limit
 * for its type: a message sent one byte per record costs its own size, not an array per
 * fragment, and an oversized one is refused before any of its body is kept. Messages are
 * handed out as views of that buffer, which is theirs alone, so callers need not copy them.
 *
 * Input is consumed lazily: `push` keeps a view of the record, `next` copies out of it one
 * message at a time. The caller must call `retain()` before the pushed bytes change (the
 * connection does at the end of each `receive`); whatever is still unread is then copied.
 */
export class HandshakeJoiner {
  /** Bytes pushed and not yet read: a view of the caller's record, or our own copy. */
  private input: Uint8Array = EMPTY;
  private inputOwned = true;
  /** A header split across records. */
  private readonly header = new Uint8Array(HANDSHAKE_HEADER_LENGTH);
  private headerLength = 0;
  /** The message being filled: header and announced body, `filled` bytes so far. */
  private message: Uint8Array | undefined;
  private filled = 0;

  /** True at a message boundary: nothing pushed is left unread and no message is partly received. */
  get isEmpty(): boolean {
    return this.input.length === 0 && this.headerLength === 0 && this.message === undefined;
  }

  /** Bytes of a handshake record. The caller keeps them unchanged until next() returns undefined or retain(). */
  push(fragment: Uint8Array): void {
    if (fragment.length === 0) return;
    if (this.input.length === 0) {
      this.input = fragment;
      this.inputOwned = false;
    } else {
      // Pushed twice without draining (the connection never does): keep both, in order.
      const joined = new Uint8Array(this.input.length + fragment.length);
      joined.set(this.input);
      joined.set(fragment, this.input.length);
      this.input = joined;
      this.inputOwned = true;
    }
  }

  /** Copies what is still unread, so the caller may reuse the bytes it pushed. */
  retain(): void {
    if (!this.inputOwned) {
      this.input = this.input.length === 0 ? EMPTY : copyBytes(this.input);
      this.inputOwned = true;
    }
  }

  /** The next complete message, or undefined until more bytes arrive. Throws TlsError for a header we refuse. */
  next(): HandshakeMessage | undefined {
    if (this.message === undefined && !this.startMessage()) return undefined;
    const message = this.message!;
    const input = this.input;
    const n = Math.min(message.length - this.filled, input.length);
    if (n > 0) {
      // Usually the rest of the record is the rest of the message: no view of it then.
      message.set(n === input.length ? input : input.subarray(0, n), this.filled);
      this.filled += n;
      this.consume(n);
    }
    if (this.filled < message.length) return undefined;
    this.message = undefined;
    this.filled = 0;
    return { type: message[0]!, body: message.subarray(HANDSHAKE_HEADER_LENGTH), raw: message };
  }

  /** Reads a header (from the input, or completing a split one) and allocates the message. */
  private startMessage(): boolean {
    let header: Uint8Array;
    if (this.headerLength === 0 && this.input.length >= HANDSHAKE_HEADER_LENGTH) {
      header = this.input;
    } else {
      const n = Math.min(HANDSHAKE_HEADER_LENGTH - this.headerLength, this.input.length);
      this.header.set(this.input.subarray(0, n), this.headerLength);
      this.headerLength += n;
      this.consume(n);
      if (this.headerLength < HANDSHAKE_HEADER_LENGTH) return false;
      header = this.header;
    }
    const type = header[0]!;
    const length = (header[1]! << 16) | (header[2]! << 8) | header[3]!;
    const max = MAX_HANDSHAKE_BODY_LENGTH.get(type);
    if (max === undefined) {
      throw new TlsError(AlertDescription.unexpected_message, `handshake message type ${HandshakeType[type] ?? type} from a client`);
    }
    if (length > max) {
      throw new TlsError(
        AlertDescription.decode_error,
        `${HandshakeType[type]} of ${length} bytes announced; at most ${max} are allowed`,
        { reason: 'ERR_EXCESSIVE_MESSAGE_SIZE' },
      );
    }
    const message = new Uint8Array(HANDSHAKE_HEADER_LENGTH + length);
    for (let i = 0; i < HANDSHAKE_HEADER_LENGTH; i++) message[i] = header[i]!;
    if (header === this.input) this.consume(HANDSHAKE_HEADER_LENGTH);
    this.headerLength = 0;
    this.message = message;
    this.filled = HANDSHAKE_HEADER_LENGTH;
    return true;
  }

  private consume(n: number): void {
    this.input = this.input.length === n ? EMPTY : this.input.subarray(n);
  }
}
