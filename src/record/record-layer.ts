import { AlertDescription, TlsError } from '../errors.js';
import { MAX_FROM_SLAB, concatBytes, ownedBytes } from '../codec/bytes.js';
import { ProtocolVersion } from '../codec/enums.js';
import type { AeadProtection } from './aead.js';
import { MAX_CIPHERTEXT_LENGTH, MAX_PLAINTEXT_LENGTH, RECORD_HEADER_LENGTH, RecordDeframer, newRecord } from './deframer.js';

export interface PlainRecord {
  type: number;
  /** Decrypted fragment (a view; valid until the next call into the record layer). */
  data: Uint8Array;
}

/**
 * One half of the record layer per direction (after Go's halfConn): the protection in use
 * and the one prepared by the handshake, switched by ChangeCipherSpec, which also restarts
 * the sequence number (a fresh AeadProtection starts at zero).
 */
class HalfConnection {
  current: AeadProtection | undefined;
  pending: AeadProtection | undefined;
  /** This direction has ended (close_notify, a fatal alert, the transport gone): keys wiped. */
  retired = false;

  /**
   * Drops the keys as soon as a direction is finished rather than when the connection is
   * collected: a connection's objects outlive its socket until V8's next full collection,
   * and AES-GCM's per-key GHASH tables are most of what a resumed handshake allocates.
   */
  retire(): void {
    this.retired = true;
    this.current?.dispose();
    this.pending?.dispose();
    this.current = this.pending = undefined;
  }

  prepare(p: AeadProtection): void {
    // Keys agreed after the direction ended (an asynchronous step that finished late).
    if (this.retired) p.dispose();
    else this.pending = p;
  }

  change(direction: string): void {
    // An abandoned handshake that carried on (an asynchronous step that finished late).
    if (this.retired) return;
    if (!this.pending) {
      throw new TlsError(AlertDescription.unexpected_message, `ChangeCipherSpec (${direction}) before keys were agreed`);
    }
    this.current = this.pending;
    this.pending = undefined;
  }
}

/** The record layer: bytes in, records out; records in, bytes out. No I/O. */
export class RecordLayer {
  private readonly deframer = new RecordDeframer();
  private readonly read = new HalfConnection();
  private readonly write = new HalfConnection();
  private output: Uint8Array[] = [];
  private outputLength = 0;
  /** The record version once agreed; the first records may carry any 3.x. */
  private agreedVersion: number | undefined;
  /**
   * Most plaintext bytes per record we send (OpenSSL's max_send_fragment); the connection
   * keeps it within 512..2^14.
   */
  maxSendFragment = MAX_PLAINTEXT_LENGTH;

  agreeVersion(version: number): void {
    this.agreedVersion = version;
  }

  get readEncrypted(): boolean {
    return this.read.current !== undefined;
  }

  get writeEncrypted(): boolean {
    return this.write.current !== undefined;
  }

  /** Bytes received but not yet framed into a whole record. */
  get bufferedInput(): number {
    return this.deframer.buffered;
  }

  /** Takes bytes from the network. Records may be views of `data` until `retainInput()`. */
  receive(data: Uint8Array): void {
    this.deframer.push(data);
  }

  /** The caller is about to reuse its buffer: keep a copy of any partial record. */
  retainInput(): void {
    this.deframer.retain();
  }

  /** The next record, decrypted; undefined when more bytes are needed. Throws TlsError. */
  nextRecord(): PlainRecord | undefined {
    if (this.read.retired) return undefined;
    const reader = this.read.current;
    const raw = this.deframer.next({
      maxFragmentLength: reader ? MAX_CIPHERTEXT_LENGTH : MAX_PLAINTEXT_LENGTH,
      version: this.agreedVersion,
    });
    if (!raw) return undefined;
    const data = reader ? reader.open(raw.type, raw.version, raw.fragment) : raw.fragment;
    return { type: raw.type, data };
  }

  prepareReadProtection(p: AeadProtection): void {
    this.read.prepare(p);
  }

  prepareWriteProtection(p: AeadProtection): void {
    this.write.prepare(p);
  }

  /** The peer's ChangeCipherSpec arrived. */
  changeReadProtection(): void {
    this.read.change('read');
  }

  /** We sent ChangeCipherSpec; what we write next is protected. */
  changeWriteProtection(): void {
    this.write.change('write');
  }

  /** Nothing more will be read: wipe the read keys. */
  retireRead(): void {
    this.read.retire();
  }

  /** Nothing more will be written: wipe the write keys. Records already queued stay queued. */
  retireWrite(): void {
    this.write.retire();
  }

  /** Queues `data` as records of `type`, at most `maxSendFragment` bytes of plaintext each. */
  send(type: number, data: Uint8Array): void {
    const max = this.maxSendFragment;
    if (data.length <= max) {
      this.sendFragment(type, data); // one record (an empty one included), and no view made
      return;
    }
    for (let at = 0; at < data.length; at += max) {
      this.sendFragment(type, data.subarray(at, Math.min(at + max, data.length)));
    }
  }

  private sendFragment(type: number, fragment: Uint8Array): void {
    // After close_notify or a fatal alert we send nothing more (RFC 5246 §7.2.1); without
    // keys, a record could only go out in the clear.
    if (this.write.retired) return;
    const version = this.agreedVersion ?? ProtocolVersion.TLSv1_2;
    const writer = this.write.current;
    if (writer?.sealsDetached && fragment.length > MAX_FROM_SLAB) {
      // A long record in pieces, the provider's ciphertext uncopied (see takeOutputPieces).
      for (const piece of writer.sealPieces(type, version, fragment)) {
        this.output.push(piece);
        this.outputLength += piece.length;
      }
      return;
    }
    let record: Uint8Array;
    if (writer) {
      record = writer.seal(type, version, fragment);
    } else {
      record = newRecord(type, version, fragment.length);
      record.set(fragment, RECORD_HEADER_LENGTH);
    }
    this.output.push(record);
    this.outputLength += record.length;
  }

  get pendingOutput(): number {
    return this.outputLength;
  }

  /**
   * Everything queued for the wire, as one buffer (one socket write), or undefined. Records
   * may be views of a shared slab (transientBytes); what leaves is the caller's own, copied
   * into `allocate`'s buffer when one is given (see ServerConnection.takeOutput).
   */
  takeOutput(allocate?: (n: number) => Uint8Array): Uint8Array | undefined {
    if (this.outputLength === 0) return undefined;
    const chunks = this.output;
    const out = chunks.length === 1 ? ownedBytes(chunks[0]!, allocate) : concatBytes(chunks, allocate);
    this.output = [];
    this.outputLength = 0;
    return out;
  }

  /**
   * Everything queued for the wire, as buffers for one gathered write (writev), each the
   * caller's: what is longer than transientBytes makes (a long record, or a provider's
   * ciphertext from sealDetached) as it is, and each run of shorter pieces between
   * those joined into one buffer (from `allocate` when given). Undefined when nothing waits.
   */
  takeOutputPieces(allocate?: (n: number) => Uint8Array): Uint8Array[] | undefined {
    if (this.outputLength === 0) return undefined;
    const chunks = this.output;
    this.output = [];
    this.outputLength = 0;
    const pieces: Uint8Array[] = [];
    let runStart = 0;
    const endRun = (end: number): void => {
      if (end === runStart) return;
      pieces.push(end - runStart === 1 ? ownedBytes(chunks[runStart]!, allocate) : concatBytes(chunks.slice(runStart, end), allocate));
    };
    for (let i = 0; i < chunks.length; i++) {
      if (chunks[i]!.length <= MAX_FROM_SLAB) continue;
      endRun(i);
      pieces.push(chunks[i]!);
      runStart = i + 1;
    }
    endRun(chunks.length);
    return pieces;
  }
}
