import type { CryptoProvider, HashAlgorithm, RunningHash } from '../crypto/provider.js';

/**
 * The running hash of handshake messages. The hash depends on the suite, which is chosen
 * after the ClientHello arrives, so messages are buffered until `begin()`.
 */
export class Transcript {
  private hash: RunningHash | undefined;
  private buffered: Uint8Array[] = [];

  add(message: Uint8Array): void {
    if (this.hash) this.hash.update(message);
    else this.buffered.push(message);
  }

  begin(crypto: CryptoProvider, algorithm: HashAlgorithm): void {
    const hash = crypto.hash(algorithm);
    for (const m of this.buffered) hash.update(m);
    this.buffered = [];
    this.hash = hash;
  }

  /** The hash of everything added so far; the transcript keeps running. */
  current(): Uint8Array {
    if (!this.hash) throw new Error('transcript hash used before the suite was chosen');
    return this.hash.digest();
  }
}
