import type { RandomBytes } from './provider.js';

/**
 * A CSPRNG drawn `poolSize` bytes at a time: a handshake needs a few dozen random bytes in
 * several calls, and each call into the OS source (crypto.getRandomValues, OpenSSL's
 * RAND_bytes) costs more than the bytes. Bytes handed out are wiped from the pool, so none
 * is ever handed out twice. `fill` writes fresh random bytes over the whole array it gets.
 */
export function pooledRandom(fill: (out: Uint8Array) => void, poolSize = 4096): RandomBytes {
  const pool = new Uint8Array(poolSize);
  let at = poolSize;
  return (length: number): Uint8Array => {
    if (length > poolSize) {
      const out = new Uint8Array(length);
      fill(out);
      return out;
    }
    if (at + length > poolSize) {
      fill(pool);
      at = 0;
    }
    const out = pool.slice(at, at + length);
    pool.fill(0, at, at + length);
    at += length;
    return out;
  };
}
