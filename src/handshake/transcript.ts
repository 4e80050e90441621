import type { CryptoProvider, HashAlgorithm, RunningHash } from '../crypto/provider.js';
import { concatBytes } from '../codec/bytes.js';

/**
 * The running hash of handshake messages. The hash depends on the suite, which is chosen
 * after the ClientHello arrives, so messages are buffered until `begin()`.
 */
export class Transcript {
  private hash: RunningHash | undefined;
  private buffered: Uint8Array[] = [];
  /** Raw messages kept for CertificateVerify, which may sign with another hash. */
  private kept: Uint8Array[] | undefined;

  add(message: Uint8Array): void {
    if (this.kept) this.kept.push(message);
    if (this.hash) this.hash.update(message);
    else this.buffered.push(message);
  }

  /** Chooses the hash; `keepMessages` also keeps the raw messages for CertificateVerify. */
  begin(crypto: CryptoProvider, algorithm: HashAlgorithm, keepMessages = false): void {
    if (keepMessages) this.kept = [...this.buffered];
    const hash = crypto.hash(algorithm);
    for (const m of this.buffered) hash.update(m);
    this.buffered = [];
    this.hash = hash;
  }

  /** All messages so far, concatenated; stops keeping them (OpenSSL frees its buffer too). */
  messages(): Uint8Array {
    const kept = this.kept ?? [];
    this.kept = undefined;
    return concatBytes(kept);
  }

  /** Both Finished messages are done: the running hash goes back to the provider. */
  end(): void {
    this.hash?.dispose?.();
    this.hash = undefined;
    this.buffered = [];
    this.kept = undefined;
  }

  /** The hash of everything added so far; the transcript keeps running. */
  current(): Uint8Array {
    if (!this.hash) throw new Error('transcript hash used before the suite was chosen');
    return this.hash.digest();
  }
}
