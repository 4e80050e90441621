import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'mocha';
import { NobleHmac, Sha256Hmac, keyedHmac } from '../../src/crypto/hmac.js';
import type { HashAlgorithm, KeyedMac } from '../../src/crypto/provider.js';
import { hex } from '../helpers/tls-client.js';

/**
 * The pure providers' HMACs (src/crypto/hmac.ts: keyed states copied into working states
 * shared by all keys) against node:crypto's HMAC: on sha256.ts for SHA-256 (Sha256Hmac),
 * on noble (NobleHmac, for either hash), and `keyedHmac`, which picks between them.
 */

const KEY_LENGTHS = [0, 1, 20, 32, 48, 63, 64, 65, 127, 128, 129, 200];
const PART_LENGTHS = [0, 1, 13, 31, 32, 48, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 300];

const IMPLEMENTATIONS: Array<[name: string, make: (algorithm: HashAlgorithm, key: Uint8Array) => KeyedMac, algorithms: readonly HashAlgorithm[]]> = [
  ['Sha256Hmac', (_algorithm, key) => new Sha256Hmac(key), ['sha256']],
  ['NobleHmac', (algorithm, key) => new NobleHmac(algorithm, key), ['sha256', 'sha384']],
  ['keyedHmac', keyedHmac, ['sha256', 'sha384']],
];

for (const [name, make, algorithms] of IMPLEMENTATIONS) {
  describe(`${name} against node:crypto createHmac`, () => {
    for (const algorithm of algorithms) {
      it(`${algorithm}: keys of ${KEY_LENGTHS.join(', ')} bytes (longer than the block: hashed first), one part of every length around the block`, () => {
        for (const k of KEY_LENGTHS) {
          const key = randomBytes(k);
          const mac = make(algorithm, key);
          assert.equal(mac.outputLength, algorithm === 'sha256' ? 32 : 48);
          for (const n of PART_LENGTHS) {
            const data = randomBytes(n);
            assert.equal(hex(mac.mac(data)), createHmac(algorithm, key).update(data).digest('hex'), `key ${k}, data ${n}`);
          }
        }
      });

      it(`${algorithm}: several parts, as the PRF passes A(i), label and seed; no part at all`, () => {
        const key = randomBytes(48);
        const mac = make(algorithm, key);
        for (let trial = 0; trial < 100; trial++) {
          const parts = Array.from({ length: 1 + (trial % 4) }, (_, i) => randomBytes(PART_LENGTHS[(trial * 7 + i * 3) % PART_LENGTHS.length]!));
          assert.equal(hex(mac.mac(...parts)), createHmac(algorithm, key).update(Buffer.concat(parts)).digest('hex'), `trial ${trial}`);
        }
        assert.equal(hex(mac.mac()), createHmac(algorithm, key).digest('hex'));
      });
    }

    it('many keys of both hashes interleaved (the working hashes are shared), inputs at odd offsets', () => {
      const macs = [0, 1, 2, 3, 4, 5].map((i) => {
        const algorithm = algorithms[i % algorithms.length]!;
        const key = randomBytes(16 + i * 20);
        return { algorithm, key, mac: make(algorithm, key) };
      });
      const backing = randomBytes(600);
      for (let round = 0; round < 50; round++) {
        for (const { algorithm, key, mac } of macs) {
          const a = backing.subarray(round % 7, (round % 7) + 32 + round);
          const b = backing.subarray(100 + (round % 5), 100 + (round % 5) + 64);
          assert.equal(hex(mac.mac(a, b)), createHmac(algorithm, key).update(a).update(b).digest('hex'), `${algorithm}, round ${round}`);
        }
      }
    });

    it('each MAC is the caller\'s own bytes: later MACs under any key leave it unchanged', () => {
      const one = make('sha256', randomBytes(32));
      const two = make('sha256', randomBytes(32));
      const first = one.mac(Buffer.from('first'));
      const kept = hex(first);
      two.mac(Buffer.from('second'));
      one.mac(Buffer.from('third'));
      assert.equal(hex(first), kept);
      assert.equal(first.buffer.byteLength, 32, 'a buffer of its own, not a view of a shared one');
    });
    it('keys made as others are disposed (their hash objects reused) MAC as node:crypto does; a disposed MAC refuses to MAC, and never with another key', () => {
      const live: Array<{ algorithm: HashAlgorithm; key: Buffer; mac: KeyedMac }> = [];
      for (let round = 0; round < 200; round++) {
        const algorithm = round % 3 ? 'sha256' : algorithms[algorithms.length - 1]!;
        const key = randomBytes(16 + (round % 150));
        live.push({ algorithm, key, mac: make(algorithm, key) });
        // Dispose of some at random: the next keys take their objects.
        if (round % 2) {
          const [gone] = live.splice((round * 7) % live.length, 1);
          gone!.mac.dispose!();
          gone!.mac.dispose!(); // twice is harmless
          assert.throws(() => gone!.mac.mac(Buffer.from('after')), /after dispose/);
        }
        for (const { algorithm: a, key: k, mac } of live.slice(-5)) {
          const data = randomBytes(round % 90);
          assert.equal(hex(mac.mac(data)), createHmac(a, k).update(data).digest('hex'), `round ${round}`);
        }
      }
      for (const { algorithm, key, mac } of live) assert.equal(hex(mac.mac(Buffer.from('end'))), createHmac(algorithm, key).update('end').digest('hex'));
    });
  });
}

describe('Sha256Hmac.macInto: the MAC written where the PRF wants it', () => {
  it('one, two or three parts at any offset, as mac() and node:crypto; nothing written outside; a short output refused', () => {
    const key = randomBytes(48);
    const mac = new Sha256Hmac(key);
    for (let trial = 0; trial < 60; trial++) {
      const parts = Array.from({ length: 1 + (trial % 3) }, (_, i) => randomBytes(PART_LENGTHS[(trial * 5 + i * 7) % PART_LENGTHS.length]!));
      const at = trial % 9;
      const out = new Uint8Array(at + 32 + 5).fill(0xaa);
      mac.macInto(out, at, parts[0]!, parts[1], parts[2]);
      const expected = createHmac('sha256', key).update(Buffer.concat(parts)).digest('hex');
      assert.equal(hex(out.subarray(at, at + 32)), expected, `trial ${trial}`);
      assert.equal(hex(mac.mac(...parts)), expected);
      assert.ok(out.subarray(0, at).every((b) => b === 0xaa) && out.subarray(at + 32).every((b) => b === 0xaa), 'only the 32 bytes at the offset');
    }
    assert.throws(() => mac.macInto(new Uint8Array(40), 9, randomBytes(3)), RangeError);
    mac.dispose();
    assert.throws(() => mac.macInto(new Uint8Array(32), 0, randomBytes(3)), /after dispose/);
  });
});
