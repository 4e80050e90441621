import { writeUint32BE } from '../codec/bytes.js';
import { AlertDescription, TlsError } from '../errors.js';
import { AEAD_TAG_LENGTH, type Aead, type CryptoProvider } from '../crypto/provider.js';
import type { CipherSuite } from '../protocol/suites.js';
import { MAX_PLAINTEXT_LENGTH, RECORD_HEADER_LENGTH, newRecord, writeRecordHeader } from './deframer.js';

const TAG_LENGTH = AEAD_TAG_LENGTH;
const EMPTY = new Uint8Array(0);

/**
 * A 64-bit record sequence number kept as two 32-bit halves, so the hot path has no bigint.
 */
class SequenceNumber {
  private hi = 0;
  private lo = 0;

  writeTo(out: Uint8Array, at: number): void {
    writeUint32BE(out, at, this.hi);
    writeUint32BE(out, at + 4, this.lo);
  }

  increment(): void {
    if (this.lo === 0xffffffff) {
      if (this.hi === 0xffffffff) {
        // RFC 5246 §6.1: sequence numbers must not wrap; the connection has to end.
        throw new TlsError(AlertDescription.internal_error, 'record sequence number exhausted');
      }
      this.hi++;
      this.lo = 0;
    } else {
      this.lo++;
    }
  }
}

/**
 * Protection of one direction with an AEAD suite: RFC 5288 (AES-GCM: 4-byte implicit salt
 * from the key block + 8-byte explicit nonce, which we set to the sequence number) and
 * RFC 7905 (ChaCha20-Poly1305: 12-byte IV XOR the padded sequence number, no explicit nonce).
 * AAD = seq_num || type || version || plaintext length (RFC 5246 §6.2.3.3).
 */
export class AeadProtection {
  private readonly seq = new SequenceNumber();
  private readonly aead: Aead;
  /** Our reason when a record does not authenticate (see errors.ts: node's code differs by cipher). */
  private readonly badTagReason: string;
  private readonly explicitNonceLength: number;
  /**
   * The nonce of the record at hand. With an explicit nonce (AES-GCM), its first four bytes
   * are the implicit salt for good, set here; the key block it came from is wiped once both
   * directions are keyed.
   */
  private readonly nonce = new Uint8Array(12);
  private readonly aad = new Uint8Array(13);
  /** ChaCha20-Poly1305's 12-byte IV, our own copy, which each nonce is the sequence number XORed into; empty for AES-GCM. */
  private readonly iv: Uint8Array;

  constructor(crypto: CryptoProvider, suite: CipherSuite, key: Uint8Array, iv: Uint8Array) {
    this.explicitNonceLength = suite.explicitNonceLength;
    if (iv.length + this.explicitNonceLength !== 12) throw new RangeError('AEAD IV length does not fit the suite');
    if (this.explicitNonceLength) {
      this.nonce.set(iv);
      this.iv = EMPTY;
    } else {
      this.iv = iv.slice();
    }
    this.aead = crypto.aead(suite.aead, key);
    // OpenSSL 3 reports an AES-GCM tag that does not verify from its cipher provider, not as a bad record MAC.
    this.badTagReason = suite.aead.startsWith('aes') ? 'ERR_AES_GCM_TAG_MISMATCH' : 'ERR_BAD_RECORD_MAC';
  }

  /** Worst-case growth of a record's fragment. */
  get overhead(): number {
    return this.explicitNonceLength + TAG_LENGTH;
  }

  /** Fills `nonce` for the current sequence number. */
  private prepareNonce(): void {
    const n = this.nonce;
    if (this.explicitNonceLength === 8) {
      this.seq.writeTo(n, 4); // after the salt
    } else {
      n.fill(0, 0, 4);
      this.seq.writeTo(n, 4);
      for (let i = 0; i < 12; i++) n[i]! ^= this.iv[i]!;
    }
  }

  private prepareAad(type: number, version: number, length: number): void {
    const a = this.aad;
    this.seq.writeTo(a, 0);
    a[8] = type;
    a[9] = version >>> 8;
    a[10] = version;
    a[11] = length >>> 8;
    a[12] = length;
  }

  /** Wipes the keys: nothing more is sealed or opened in this direction. */
  dispose(): void {
    this.aead.dispose?.();
    this.nonce.fill(0);
    this.iv.fill(0);
  }

  /** A whole record, header included. */
  seal(type: number, version: number, plaintext: Uint8Array): Uint8Array {
    this.prepareNonce();
    this.prepareAad(type, version, plaintext.length);
    const e = this.explicitNonceLength;
    const record = newRecord(type, version, e + plaintext.length + TAG_LENGTH);
    // The explicit nonce is the sequence number (RFC 5288 §3 lets the sender choose it).
    for (let i = 0; i < e; i++) record[RECORD_HEADER_LENGTH + i] = this.nonce[4 + i]!;
    const body = record.subarray(RECORD_HEADER_LENGTH + e);
    const sealed = this.aead.seal(this.nonce, this.aad, plaintext, body);
    // A provider of the application's that ignores `out` returns an array of its own.
    if (sealed !== body) body.set(sealed);
    this.seq.increment();
    return record;
  }

  /** Whether the provider can seal without copying its output (Aead.sealDetached). */
  get sealsDetached(): boolean {
    return this.aead.sealDetached !== undefined;
  }

  /**
   * A whole record in three pieces, for a gathered write: the header with the explicit
   * nonce, then the ciphertext and the tag as the provider returned them
   * (Aead.sealDetached, only when `sealsDetached`).
   */
  sealPieces(type: number, version: number, plaintext: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
    this.prepareNonce();
    this.prepareAad(type, version, plaintext.length);
    const e = this.explicitNonceLength;
    const head = new Uint8Array(RECORD_HEADER_LENGTH + e);
    writeRecordHeader(head, type, version, e + plaintext.length + TAG_LENGTH);
    for (let i = 0; i < e; i++) head[RECORD_HEADER_LENGTH + i] = this.nonce[4 + i]!;
    const { ciphertext, tag } = this.aead.sealDetached!(this.nonce, this.aad, plaintext);
    this.seq.increment();
    return [head, ciphertext, tag];
  }

  /** The plaintext of a received fragment; bad_record_mac if it does not authenticate. */
  open(type: number, version: number, fragment: Uint8Array): Uint8Array {
    const e = this.explicitNonceLength;
    if (fragment.length < e + TAG_LENGTH) {
      throw new TlsError(AlertDescription.bad_record_mac, 'record too short to hold a nonce and tag', { reason: 'ERR_BAD_RECORD_MAC' });
    }
    const plaintextLength = fragment.length - e - TAG_LENGTH;
    if (e) {
      for (let i = 0; i < e; i++) this.nonce[4 + i] = fragment[i]!;
    } else {
      this.prepareNonce();
    }
    this.prepareAad(type, version, plaintextLength);
    const plaintext = this.aead.open(this.nonce, this.aad, fragment.subarray(e));
    if (plaintext === null) throw new TlsError(AlertDescription.bad_record_mac, 'record failed authentication', { reason: this.badTagReason });
    if (plaintext.length > MAX_PLAINTEXT_LENGTH) {
      throw new TlsError(AlertDescription.record_overflow, `decrypted record of ${plaintext.length} bytes`, { reason: 'ERR_DATA_LENGTH_TOO_LONG' });
    }
    this.seq.increment();
    return plaintext;
  }
}
