import { copyBytes, latin1String, transientBytes } from '../codec/bytes.js';
import { ContentType } from '../codec/enums.js';
import { AlertDescription, TlsError } from '../errors.js';

/** RFC 5246 §6.2.1: a TLSPlaintext fragment is at most 2^14 bytes. */
export const MAX_PLAINTEXT_LENGTH = 16384;
/** An AEAD record adds an explicit nonce and a tag; 256 bytes of slack is what AEAD needs. */
export const MAX_CIPHERTEXT_LENGTH = MAX_PLAINTEXT_LENGTH + 256;
export const RECORD_HEADER_LENGTH = 5;
const EMPTY = new Uint8Array(0);
/** The request lines OpenSSL recognises as plain HTTP in a first record (ssl3_get_record). */
const HTTP_METHODS = ['GET ', 'POST ', 'HEAD ', 'PUT '];

/** A new record of `fragmentLength` bytes after its 5-byte header (RFC 5246 §6.2.1), header written. */
export function newRecord(type: number, version: number, fragmentLength: number): Uint8Array {
  const record = transientBytes(RECORD_HEADER_LENGTH + fragmentLength);
  writeRecordHeader(record, type, version, fragmentLength);
  return record;
}

/** The 5-byte record header (RFC 5246 §6.2.1) at the start of `out`. */
export function writeRecordHeader(out: Uint8Array, type: number, version: number, fragmentLength: number): void {
  out[0] = type;
  out[1] = version >>> 8;
  out[2] = version;
  out[3] = fragmentLength >>> 8;
  out[4] = fragmentLength;
}

export interface RawRecord {
  type: number;
  version: number;
  /** The fragment as received (still encrypted once keys are active). A view; copy to keep. */
  fragment: Uint8Array;
}

/** What the deframer accepts in the next record header. */
export interface RecordLimits {
  /** Largest fragment length allowed: plaintext or ciphertext limit. */
  maxFragmentLength: number;
  /** Exact record version required, or undefined before the version is negotiated. */
  version: number | undefined;
}

/**
 * Cuts TLS records out of a byte stream that arrives in arbitrary chunks (one byte at a
 * time works). The header is checked as soon as it is complete, so an oversized length is
 * refused before its body is buffered.
 *
 * Records are cut straight out of the caller's chunk when nothing is pending (the common
 * case: whole records per read), so the returned fragments are views valid until the next
 * call. `retain()` copies what is left over once the caller is done with the chunk.
 */
export class RecordDeframer {
  private buf: Uint8Array = EMPTY;
  private start = 0;
  private end = 0;
  /** `buf` is the caller's chunk, not ours: it must be copied before we return to the caller. */
  private borrowed = false;
  private seenFirstRecord = false;

  /** Bytes buffered but not yet returned as records. */
  get buffered(): number {
    return this.end - this.start;
  }

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    const live = this.end - this.start;
    if (live === 0) {
      this.buf = data;
      this.start = 0;
      this.end = data.length;
      this.borrowed = true;
      return;
    }
    if (!this.borrowed && this.end + data.length <= this.buf.length) {
      this.buf.set(data, this.end);
      this.end += data.length;
      return;
    }
    // Room for a whole record, so a record trickling in is copied about once.
    const next = new Uint8Array(Math.max(live + data.length, MAX_CIPHERTEXT_LENGTH + RECORD_HEADER_LENGTH));
    next.set(this.buf.subarray(this.start, this.end));
    next.set(data, live);
    this.buf = next;
    this.start = 0;
    this.end = live + data.length;
    this.borrowed = false;
  }

  /** Stops referring to the caller's chunk: copies any partial record still in it. */
  retain(): void {
    if (this.start === this.end) {
      this.buf = EMPTY;
      this.start = this.end = 0;
      this.borrowed = false;
    } else if (this.borrowed) {
      this.buf = copyBytes(this.buf.subarray(this.start, this.end));
      this.end -= this.start;
      this.start = 0;
      this.borrowed = false;
    }
  }

  /** The next complete record, or undefined if more bytes are needed. Throws TlsError. */
  next(limits: RecordLimits): RawRecord | undefined {
    const available = this.end - this.start;
    if (available === 0) return undefined;
    const b = this.buf;
    const s = this.start;
    if (!this.seenFirstRecord) this.checkFirstBytes(available);
    if (available < RECORD_HEADER_LENGTH) return undefined;

    const type = b[s]!;
    const version = (b[s + 1]! << 8) | b[s + 2]!;
    const length = (b[s + 3]! << 8) | b[s + 4]!;
    if (type < ContentType.change_cipher_spec || type > ContentType.application_data) {
      throw new TlsError(AlertDescription.unexpected_message, `unknown record content type ${type}`, { reason: 'ERR_UNKNOWN_RECORD_TYPE' });
    }
    // RFC 5246 Appendix E.1: any {03,XX} is accepted until the version is agreed.
    if (limits.version === undefined ? b[s + 1] !== 3 : version !== limits.version) {
      throw new TlsError(AlertDescription.protocol_version, `unexpected record version 0x${version.toString(16).padStart(4, '0')}`, {
        reason: 'ERR_WRONG_VERSION_NUMBER',
      });
    }
    if (length > limits.maxFragmentLength) {
      // OpenSSL's names: a record in clear longer than 2^14, a protected one longer than its limit.
      const reason = limits.maxFragmentLength > MAX_PLAINTEXT_LENGTH ? 'ERR_ENCRYPTED_LENGTH_TOO_LONG' : 'ERR_DATA_LENGTH_TOO_LONG';
      throw new TlsError(AlertDescription.record_overflow, `record of ${length} bytes exceeds ${limits.maxFragmentLength}`, { reason });
    }
    if (available < RECORD_HEADER_LENGTH + length) return undefined;

    this.seenFirstRecord = true;
    const fragmentStart = s + RECORD_HEADER_LENGTH;
    this.start = fragmentStart + length;
    return { type, version, fragment: b.subarray(fragmentStart, fragmentStart + length) };
  }

  /**
   * An SSLv2-format ClientHello (RFC 5246 Appendix E.2) starts with a 2-byte length whose top
   * bit is set, then msg_type 1. We do not accept it, but we name it rather than report
   * an unknown content type.
   */
  private checkFirstBytes(available: number): void {
    const b = this.buf;
    const s = this.start;
    if (b[s]! & 0x80 && available >= 3 && b[s + 2] === 1) {
      throw new TlsError(AlertDescription.protocol_version, 'SSLv2-format ClientHello is not supported', {
        reason: 'ERR_SSLV2_CLIENT_HELLO',
      });
    }
    // OpenSSL's ssl3_get_record: plain HTTP sent to the TLS port is named as such.
    if (available >= RECORD_HEADER_LENGTH) {
      const start = latin1String(b.subarray(s, s + RECORD_HEADER_LENGTH));
      if (HTTP_METHODS.some((m) => start.startsWith(m))) {
        throw new TlsError(AlertDescription.unexpected_message, `a plain HTTP request (${JSON.stringify(start)}...) on the TLS port`, {
          reason: 'ERR_HTTP_REQUEST',
        });
      }
      if (start === 'CONNE') {
        throw new TlsError(AlertDescription.unexpected_message, 'an HTTP proxy request (CONNECT) on the TLS port', { reason: 'ERR_HTTPS_PROXY_REQUEST' });
      }
    }
  }
}
