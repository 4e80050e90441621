import { copyBytes } from '../codec/bytes.js';
import { AlertDescription, TlsError } from '../errors.js';

export const HANDSHAKE_HEADER_LENGTH = 4;
/** Largest handshake message we buffer (the protocol allows 2^24; Go also stops at 64 KiB). */
export const MAX_HANDSHAKE_MESSAGE_LENGTH = 65536;

export interface HandshakeMessage {
  type: number;
  /** The message body, after the 4-byte header. */
  body: Uint8Array;
  /** Header and body exactly as received: what goes into the transcript. */
  raw: Uint8Array;
}

/**
 * Joins handshake messages split across records and splits records that pack several.
 * Messages are handed out as views of an owned buffer, so callers need not copy them.
 */
export class HandshakeJoiner {
  private pending: Uint8Array[] = [];
  private pendingLength = 0;

  /** True at a message boundary: no partial message is buffered. */
  get isEmpty(): boolean {
    return this.pendingLength === 0;
  }

  push(fragment: Uint8Array): void {
    if (fragment.length === 0) return;
    // Copy: the fragment is a view of the caller's buffer or of a record being decrypted.
    this.pending.push(copyBytes(fragment));
    this.pendingLength += fragment.length;
  }

  /** The next complete message, or undefined until more fragments arrive. Throws TlsError. */
  next(): HandshakeMessage | undefined {
    if (this.pendingLength < HANDSHAKE_HEADER_LENGTH) return undefined;
    let head = this.pending[0]!;
    if (head.length < HANDSHAKE_HEADER_LENGTH) {
      this.coalesce();
      head = this.pending[0]!;
    }
    const bodyLength = (head[1]! << 16) | (head[2]! << 8) | head[3]!;
    if (bodyLength > MAX_HANDSHAKE_MESSAGE_LENGTH) {
      throw new TlsError(AlertDescription.illegal_parameter, `handshake message of ${bodyLength} bytes is too large`, {
        code: 'ERR_EXCESSIVE_MESSAGE_SIZE',
      });
    }
    const total = HANDSHAKE_HEADER_LENGTH + bodyLength;
    if (this.pendingLength < total) return undefined;
    if (head.length < total) {
      this.coalesce();
      head = this.pending[0]!;
    }
    const raw = head.subarray(0, total);
    if (head.length === total) this.pending.shift();
    else this.pending[0] = head.subarray(total);
    this.pendingLength -= total;
    return { type: raw[0]!, body: raw.subarray(HANDSHAKE_HEADER_LENGTH), raw };
  }

  private coalesce(): void {
    const all = new Uint8Array(this.pendingLength);
    let at = 0;
    for (const p of this.pending) {
      all.set(p, at);
      at += p.length;
    }
    this.pending = [all];
  }
}
