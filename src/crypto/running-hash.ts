import { releaseHash, takeHash, type NobleHash } from './noble-hash-pool.js';
import type { HashAlgorithm, RunningHash } from './provider.js';
import { SHA256_OUTPUT_LENGTH, Sha256, releaseSha256, takeSha256 } from './sha256.js';

/**
 * The pure providers' running hash, the handshake transcript (also what the node:crypto
 * provider hashes with by default): SHA-256 on sha256.ts, SHA-384 on noble. Each holds a
 * pooled state, taken when the hash is made and wiped and given back by `dispose`.
 */
export function runningHash(algorithm: HashAlgorithm): RunningHash {
  return algorithm === 'sha256' ? new Sha256RunningHash(takeSha256()) : new NobleRunningHash(algorithm, takeHash(algorithm));
}

/** A running hash over a pooled state; used after dispose it throws, since the state may be another hash's by then. */
abstract class PooledRunningHash<State extends { update(data: Uint8Array): unknown }> implements RunningHash {
  private state: State | undefined;

  constructor(state: State) {
    this.state = state;
  }

  protected live(): State {
    if (!this.state) throw new Error('running hash used after dispose');
    return this.state;
  }

  update(data: Uint8Array): void {
    this.live().update(data);
  }

  dispose(): void {
    if (this.state) this.release(this.state);
    this.state = undefined;
  }

  /** Wipes `state` and gives it back to its pool. */
  protected abstract release(state: State): void;
  abstract digest(): Uint8Array;
  abstract clone(): RunningHash;
}

/** Where a SHA-256 transcript's digest is taken, shared: a digest is synchronous, and this is wiped after each. */
const sha256Fork = new Sha256();

/** A running SHA-256 on sha256.ts: a digest allocates the 32 bytes returned and nothing else. */
class Sha256RunningHash extends PooledRunningHash<Sha256> {
  digest(): Uint8Array {
    // Taking a digest finishes a state, so fork it first and keep this one running.
    const out = new Uint8Array(SHA256_OUTPUT_LENGTH);
    sha256Fork.copyFrom(this.live()).digestInto(out);
    sha256Fork.wipe();
    return out;
  }

  clone(): RunningHash {
    return new Sha256RunningHash(takeSha256().copyFrom(this.live()));
  }

  protected release(state: Sha256): void {
    releaseSha256(state);
  }
}

/*
 * noble wraps each new hash object's block buffer, and each output array it is given, in
 * a DataView, which makes V8 give that array an ArrayBuffer of its own (about as costly as
 * hashing a block). So a noble digest is taken in one object per algorithm, shared: the
 * running state is copied in, the digest goes to a buffer that exists already and is
 * copied out. noble wipes a hash object when its digest is taken.
 */
const nobleFork: Partial<Record<HashAlgorithm, NobleHash>> = {};
const nobleDigest = new Uint8Array(new ArrayBuffer(64));

/** A running SHA-384 (or SHA-256) on noble's objects. */
class NobleRunningHash extends PooledRunningHash<NobleHash> {
  constructor(
    private readonly algorithm: HashAlgorithm,
    state: NobleHash,
  ) {
    super(state);
  }

  digest(): Uint8Array {
    // Taking a digest finalises noble's state, so fork it first and keep this one running.
    const fork = (nobleFork[this.algorithm] = this.live()._cloneInto(nobleFork[this.algorithm] as never) as NobleHash);
    fork.digestInto(nobleDigest);
    // The caller's own bytes; nothing of the digest lingers here.
    const out = nobleDigest.slice(0, fork.outputLen);
    nobleDigest.fill(0, 0, fork.outputLen);
    return out;
  }

  clone(): RunningHash {
    return new NobleRunningHash(this.algorithm, this.live()._cloneInto(takeHash(this.algorithm) as never) as NobleHash);
  }

  protected release(state: NobleHash): void {
    releaseHash(this.algorithm, state);
  }
}
