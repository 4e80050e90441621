import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'mocha';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import type { Aead, AeadAlgorithm, CryptoProvider } from '../../src/crypto/provider.js';
import { NodeCryptoProvider } from '../../src/node/node-crypto.js';
import { AlertDescription, TlsError } from '../../src/errors.js';
import { suiteById, type CipherSuite } from '../../src/protocol/suites.js';
import { AeadProtection } from '../../src/record/aead.js';
import { RecordLayer } from '../../src/record/record-layer.js';
import { Suite, concat, encodeRecord, flipBit, fromHex, hex } from '../helpers/tls-client.js';

const crypto = new NobleCryptoProvider();

interface AeadVector {
  name: string;
  algorithm: AeadAlgorithm;
  key: string;
  nonce: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
}

const GCM_P =
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' +
  '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const GCM_A = 'feedfacedeadbeeffeedfacedeadbeefabaddad2';

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 1-4 and 13-16
// (the ones with a 96-bit IV). Cases 4 and 16 use the first 60 bytes of the case 3/15 plaintext.
const VECTORS: AeadVector[] = [
  {
    name: 'AES-128-GCM test case 1 (empty: the tag is E(K, J0) alone)',
    algorithm: 'aes-128-gcm',
    key: '00'.repeat(16),
    nonce: '00'.repeat(12),
    aad: '',
    plaintext: '',
    ciphertext: '',
    tag: '58e2fccefa7e3061367f1d57a4e7455a',
  },
  {
    name: 'AES-128-GCM test case 2 (one block)',
    algorithm: 'aes-128-gcm',
    key: '00'.repeat(16),
    nonce: '00'.repeat(12),
    aad: '',
    plaintext: '00'.repeat(16),
    ciphertext: '0388dace60b6a392f328c2b971b2fe78',
    tag: 'ab6e47d42cec13bdf53a67b21257bddf',
  },
  {
    name: 'AES-256-GCM test case 13 (empty)',
    algorithm: 'aes-256-gcm',
    key: '00'.repeat(32),
    nonce: '00'.repeat(12),
    aad: '',
    plaintext: '',
    ciphertext: '',
    tag: '530f8afbc74536b9a963b4f1c4cb738b',
  },
  {
    name: 'AES-256-GCM test case 14 (one block)',
    algorithm: 'aes-256-gcm',
    key: '00'.repeat(32),
    nonce: '00'.repeat(12),
    aad: '',
    plaintext: '00'.repeat(16),
    ciphertext: 'cea7403d4d606b6e074ec5d3baf39d18',
    tag: 'd0d1c8a799996bf0265b98b5d48ab919',
  },
  {
    name: 'AES-128-GCM test case 3',
    algorithm: 'aes-128-gcm',
    key: 'feffe9928665731c6d6a8f9467308308',
    nonce: 'cafebabefacedbaddecaf888',
    aad: '',
    plaintext: GCM_P,
    ciphertext:
      '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e' +
      '21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985',
    tag: '4d5c2af327cd64a62cf35abd2ba6fab4',
  },
  {
    name: 'AES-128-GCM test case 4',
    algorithm: 'aes-128-gcm',
    key: 'feffe9928665731c6d6a8f9467308308',
    nonce: 'cafebabefacedbaddecaf888',
    aad: GCM_A,
    plaintext: GCM_P.slice(0, 120),
    ciphertext:
      '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e' +
      '21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091',
    tag: '5bc94fbc3221a5db94fae95ae7121a47',
  },
  {
    name: 'AES-256-GCM test case 15',
    algorithm: 'aes-256-gcm',
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
    nonce: 'cafebabefacedbaddecaf888',
    aad: '',
    plaintext: GCM_P,
    ciphertext:
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
      '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad',
    tag: 'b094dac5d93471bdec1a502270e3cc6c',
  },
  {
    name: 'AES-256-GCM test case 16',
    algorithm: 'aes-256-gcm',
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
    nonce: 'cafebabefacedbaddecaf888',
    aad: GCM_A,
    plaintext: GCM_P.slice(0, 120),
    ciphertext:
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
      '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
  {
    name: 'ChaCha20-Poly1305, RFC 8439 §2.8.2',
    algorithm: 'chacha20-poly1305',
    key: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f',
    nonce: '070000004041424344454647',
    aad: '50515253c0c1c2c3c4c5c6c7',
    plaintext: Buffer.from(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    ).toString('hex'),
    ciphertext:
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6' +
      '3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36' +
      '92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
      '3ff4def08e4b7a9de576d26586cec64b6116',
    tag: '1ae10b594f09e26a7e902ecbd0600691',
  },
];

describe('AEAD known answers through the crypto provider', () => {
  for (const v of VECTORS) {
    it(`${v.name}: seal gives the published ciphertext || tag, open gives the plaintext back`, () => {
      const aead = crypto.aead(v.algorithm, fromHex(v.key));
      const sealed = aead.seal(fromHex(v.nonce), fromHex(v.aad), fromHex(v.plaintext));
      assert.equal(hex(sealed), v.ciphertext + v.tag);
      const opened = aead.open(fromHex(v.nonce), fromHex(v.aad), fromHex(v.ciphertext + v.tag));
      assert.ok(opened);
      assert.equal(hex(opened), v.plaintext);
    });

    it(`${v.name}: open returns null (never throws) for a flipped bit in ciphertext, tag, AAD or nonce`, () => {
      const aead = crypto.aead(v.algorithm, fromHex(v.key));
      const ct = fromHex(v.ciphertext + v.tag);
      const nonce = fromHex(v.nonce);
      const aad = fromHex(v.aad);
      assert.equal(aead.open(nonce, aad, flipBit(ct, 0)), null);
      assert.equal(aead.open(nonce, aad, flipBit(ct, ct.length - 1, 7)), null);
      assert.equal(aead.open(flipBit(nonce, 11), aad, ct), null);
      assert.equal(aead.open(nonce, concat(aad, Uint8Array.of(0)), ct), null);
      assert.equal(aead.open(nonce, aad, ct.subarray(0, 15)), null);
    });
  }
});

describe('AEAD provider against node:crypto: every length, unaligned views, one instance reused', () => {
  for (const algorithm of ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305'] as const) {
    it(`${algorithm}: lengths 0..100, inputs at byte offsets 0..3, failures in between`, () => {
      const keyLength = algorithm === 'aes-128-gcm' ? 16 : 32;
      const key = Uint8Array.from({ length: keyLength }, (_, i) => (i * 13 + 5) & 0xff);
      const aead = crypto.aead(algorithm, key); // one instance, as a record protection keeps it
      for (let n = 0; n <= 100; n++) {
        const offset = n % 4;
        // Views at odd offsets inside larger buffers, as the record layer hands them over.
        const backing = Uint8Array.from({ length: offset + n + 40 }, (_, i) => (i * 7 + n) & 0xff);
        const plaintext = backing.subarray(offset, offset + n);
        const nonce = backing.subarray(offset + n, offset + n + 12).slice();
        nonce[0] = n; // distinct per length
        const aad = backing.subarray(offset + 1, offset + 1 + (n % 21));
        const cipher = createCipheriv(algorithm as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
        cipher.setAAD(aad, { plaintextLength: n });
        const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
        const sealed = aead.seal(nonce, aad, plaintext);
        assert.equal(hex(sealed), hex(expected), `seal, length ${n}`);
        // Open from an unaligned copy, and make sure a failure does not disturb the next call.
        const unaligned = new Uint8Array(sealed.length + 3).subarray(3);
        unaligned.set(sealed);
        assert.equal(aead.open(nonce, aad, flipBit(unaligned, n % unaligned.length)), null, `tampered, length ${n}`);
        const opened = aead.open(nonce, aad, unaligned);
        assert.ok(opened, `open, length ${n}`);
        assert.equal(hex(opened), hex(plaintext), `open, length ${n}`);
      }
    });
  }

  for (const algorithm of ['aes-128-gcm', 'aes-256-gcm'] as const) {
    it(`${algorithm}: records of 0, 1, 15, 16, 17, 255, 2^14 - 1 and 2^14 bytes, random keys (the compact GHASH at every size)`, () => {
      for (let trial = 0; trial < 3; trial++) {
        const key = randomBytes(algorithm === 'aes-128-gcm' ? 16 : 32);
        const aead = crypto.aead(algorithm, key);
        for (const n of [0, 1, 15, 16, 17, 255, 16383, 16384]) {
          const nonce = randomBytes(12);
          const aad = randomBytes(13);
          const plaintext = randomBytes(n);
          const cipher = createCipheriv(algorithm, key, nonce);
          cipher.setAAD(aad);
          const expected = hex(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
          const sealed = aead.seal(nonce, aad, plaintext);
          assert.equal(hex(sealed), expected, `seal, length ${n}`);
          assert.equal(hex(aead.open(nonce, aad, sealed)!), hex(plaintext), `open, length ${n}`);
          assert.equal(aead.open(nonce, aad, flipBit(sealed, sealed.length - 1)), null, `tampered tag, length ${n}`);
        }
      }
    });
  }

  it('aes-128-gcm: one key over 4 MiB of 16 KiB records, each record as node:crypto seals it', () => {
    const key = randomBytes(16);
    const aead = crypto.aead('aes-128-gcm', key);
    const plaintext = randomBytes(16384);
    for (let i = 0; i < 256; i++) {
      const nonce = Buffer.alloc(12);
      nonce.writeUInt32BE(i, 8);
      const aad = Buffer.from([i, 0, 0, 0, 0, 0, 0, 0, 23, 3, 3, 0x40, 0]);
      const cipher = createCipheriv('aes-128-gcm', key, nonce);
      cipher.setAAD(aad);
      const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      const sealed = aead.seal(nonce, aad, plaintext);
      if (hex(sealed) !== hex(expected)) assert.fail(`record ${i} differs from node:crypto`);
    }
  });

  it('a key of the wrong length is refused', () => {
    assert.throws(() => crypto.aead('aes-128-gcm', new Uint8Array(32)), RangeError);
    assert.throws(() => crypto.aead('aes-256-gcm', new Uint8Array(16)), RangeError);
    assert.throws(() => crypto.aead('chacha20-poly1305', new Uint8Array(16)), RangeError);
  });
});

describe("AEAD seal into the caller's buffer (the record layer's fragment), both providers", () => {
  const providers: Array<[string, CryptoProvider]> = [
    ['noble', crypto],
    ['node-crypto', new NodeCryptoProvider()],
  ];
  for (const [name, provider] of providers) {
    for (const algorithm of ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305'] as const) {
      it(`${name} ${algorithm}: writes into out at offsets 0, 5 and 13, returns it, and touches nothing around it`, () => {
        const key = randomBytes(algorithm === 'aes-128-gcm' ? 16 : 32);
        const aead = provider.aead(algorithm, key);
        // 1024 and 1025 straddle AesGcm's small-record path; 4096 the core's slab limit.
        for (const n of [0, 17, 1024, 1025, 4096, 16384]) {
          for (const offset of [0, 5, 13]) {
            const nonce = randomBytes(12);
            const aad = randomBytes(13);
            const plaintext = randomBytes(n);
            const cipher = createCipheriv(algorithm as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
            cipher.setAAD(aad, { plaintextLength: n });
            const expected = hex(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
            const backing = new Uint8Array(offset + n + 16 + 7).fill(0xee);
            const out = backing.subarray(offset, offset + n + 16);
            const sealed = aead.seal(nonce, aad, plaintext, out);
            const where = `length ${n}, offset ${offset}`;
            assert.equal(sealed, out, `the same array comes back, ${where}`);
            assert.equal(hex(out), expected, `as node:crypto seals it, ${where}`);
            assert.ok(backing.subarray(0, offset).every((b) => b === 0xee), `nothing written before out, ${where}`);
            assert.ok(backing.subarray(offset + n + 16).every((b) => b === 0xee), `nothing written after out, ${where}`);
            assert.equal(hex(aead.open(nonce, aad, out)!), hex(plaintext), `opens, ${where}`);
          }
        }
        assert.throws(() => aead.seal(randomBytes(12), new Uint8Array(13), new Uint8Array(10), new Uint8Array(25)), 'one byte short');
        assert.throws(() => aead.seal(randomBytes(12), new Uint8Array(13), new Uint8Array(10), new Uint8Array(27)), 'one byte over');
      });
    }
  }
});

// -------------------------------------------------------------------------------------------
// The record construction: RFC 5288 (GCM) and RFC 7905 (ChaCha20-Poly1305), checked against
// records built here with node:crypto.

function seq8(seq: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(seq));
  return b;
}

/** The record an AEAD suite must produce, computed with node:crypto. */
function expectedRecord(suite: CipherSuite, key: Uint8Array, iv: Uint8Array, seq: number, type: number, plaintext: Uint8Array): Uint8Array {
  const aad = Buffer.concat([seq8(seq), Buffer.from([type, 3, 3, plaintext.length >> 8, plaintext.length & 0xff])]);
  let nonce: Buffer;
  let explicit: Buffer;
  if (suite.explicitNonceLength === 8) {
    explicit = seq8(seq); // RFC 5288 §3: the explicit nonce may be the sequence number
    nonce = Buffer.concat([iv, explicit]);
  } else {
    explicit = Buffer.alloc(0);
    const padded = Buffer.concat([Buffer.alloc(4), seq8(seq)]);
    nonce = Buffer.from(padded.map((b, i) => b ^ iv[i]!)); // RFC 7905 §2
  }
  const algorithm = suite.aead === 'chacha20-poly1305' ? 'chacha20-poly1305' : suite.aead;
  const cipher = createCipheriv(algorithm as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const fragment = Buffer.concat([explicit, ct]);
  return encodeRecord(type, 0x0303, fragment);
}

function keyFor(suite: CipherSuite): { key: Uint8Array; iv: Uint8Array } {
  const key = Uint8Array.from({ length: suite.keyLength }, (_, i) => (i * 7 + 1) & 0xff);
  const iv = Uint8Array.from({ length: suite.fixedIvLength }, (_, i) => (0xa0 + i * 3) & 0xff);
  return { key, iv };
}

function assertBadRecordMac(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof TlsError && e.alert === AlertDescription.bad_record_mac);
}

for (const id of [Suite.AES128_GCM, Suite.AES256_GCM, Suite.CHACHA20]) {
  const suite = suiteById(id)!;
  describe(`AeadProtection record layout: ${suite.name}`, () => {
    const { key, iv } = keyFor(suite);

    it('seal produces exactly the RFC 5288 / RFC 7905 record for sequence numbers 0, 1, 2', () => {
      const p = new AeadProtection(crypto, suite, key, iv);
      const messages = [new TextEncoder().encode('first record'), new Uint8Array(0), new Uint8Array(1000).fill(0x5a)];
      const types = [22, 23, 21];
      messages.forEach((m, seq) => {
        const record = p.seal(types[seq]!, 0x0303, m);
        assert.equal(hex(record), hex(expectedRecord(suite, key, iv, seq, types[seq]!, m)), `seq ${seq}`);
        assert.equal(record.length, 5 + suite.explicitNonceLength + m.length + 16);
        if (suite.explicitNonceLength) assert.equal(hex(record.subarray(5, 13)), hex(seq8(seq)), 'explicit nonce = seq');
      });
    });

    it('records of every size class are exact with either provider, and with a provider that ignores `out`', () => {
      /** A provider of an application's, written against `seal` without `out`: returns its own array. */
      const ignoringOut: CryptoProvider = Object.create(crypto, {
        aead: {
          value: (algorithm: AeadAlgorithm, k: Uint8Array): Aead => {
            const real = crypto.aead(algorithm, k);
            return { seal: (nonce, aad, plaintext) => real.seal(nonce, aad, plaintext), open: (nonce, aad, c) => real.open(nonce, aad, c) };
          },
        },
      }) as CryptoProvider;
      for (const provider of [crypto, new NodeCryptoProvider(), ignoringOut]) {
        const p = new AeadProtection(provider, suite, key, iv);
        [0, 1000, 1025, 4096, 4097, 16384].forEach((n, seq) => {
          const m = Uint8Array.from({ length: n }, (_, i) => (i * 11 + seq) & 0xff);
          const record = p.seal(23, 0x0303, m);
          assert.equal(hex(record), hex(expectedRecord(suite, key, iv, seq, 23, m)), `seq ${seq}, ${n} bytes`);
        });
      }
    });

    it('open reverses seal, in order, for the full plaintext range 0..2^14', () => {
      const w = new AeadProtection(crypto, suite, key, iv);
      const r = new AeadProtection(crypto, suite, key, iv);
      for (const n of [0, 1, 255, 16384]) {
        const data = Uint8Array.from({ length: n }, (_, i) => i & 0xff);
        const record = w.seal(23, 0x0303, data);
        assert.equal(hex(r.open(23, 0x0303, record.subarray(5))), hex(data));
      }
    });

    it('open rejects a flipped bit anywhere in the fragment with bad_record_mac', () => {
      const w = new AeadProtection(crypto, suite, key, iv);
      const record = w.seal(23, 0x0303, new Uint8Array(40).fill(1));
      const fragment = record.subarray(5);
      for (const at of [0, 7, 8, fragment.length - 17, fragment.length - 1]) {
        assertBadRecordMac(() => new AeadProtection(crypto, suite, key, iv).open(23, 0x0303, flipBit(fragment, at, at % 8)));
      }
    });

    it('open rejects the right bytes under the wrong type, version or key with bad_record_mac', () => {
      const record = new AeadProtection(crypto, suite, key, iv).seal(23, 0x0303, new Uint8Array(10));
      assertBadRecordMac(() => new AeadProtection(crypto, suite, key, iv).open(22, 0x0303, record.subarray(5)));
      assertBadRecordMac(() => new AeadProtection(crypto, suite, key, iv).open(23, 0x0301, record.subarray(5)));
      assertBadRecordMac(() => new AeadProtection(crypto, suite, flipBit(key, 0), iv).open(23, 0x0303, record.subarray(5)));
      assertBadRecordMac(() => new AeadProtection(crypto, suite, key, flipBit(iv, 0)).open(23, 0x0303, record.subarray(5)));
    });

    it('open rejects a record under the wrong sequence number (replayed, skipped, reordered)', () => {
      const w = new AeadProtection(crypto, suite, key, iv);
      const r0 = w.seal(23, 0x0303, Uint8Array.of(1, 2, 3)).subarray(5);
      const r1 = w.seal(23, 0x0303, Uint8Array.of(4, 5, 6)).subarray(5);
      // Reordered: record 1 first.
      assertBadRecordMac(() => new AeadProtection(crypto, suite, key, iv).open(23, 0x0303, r1));
      // Replayed: record 0 twice.
      const r = new AeadProtection(crypto, suite, key, iv);
      r.open(23, 0x0303, r0);
      assertBadRecordMac(() => r.open(23, 0x0303, r0));
    });

    it('open rejects truncated fragments with bad_record_mac (never a RangeError)', () => {
      const record = new AeadProtection(crypto, suite, key, iv).seal(23, 0x0303, new Uint8Array(20));
      const fragment = record.subarray(5);
      for (const n of [0, 1, suite.explicitNonceLength, suite.explicitNonceLength + 15, suite.explicitNonceLength + 16, fragment.length - 1]) {
        assertBadRecordMac(() => new AeadProtection(crypto, suite, key, iv).open(23, 0x0303, fragment.subarray(0, n)));
      }
    });

    it('open refuses a record whose plaintext exceeds 2^14 with record_overflow', () => {
      const record = new AeadProtection(crypto, suite, key, iv).seal(23, 0x0303, new Uint8Array(16385));
      assert.throws(
        () => new AeadProtection(crypto, suite, key, iv).open(23, 0x0303, record.subarray(5)),
        (e: unknown) => e instanceof TlsError && e.alert === AlertDescription.record_overflow,
      );
    });

    it('the record layer: plaintext until ChangeCipherSpec, then sealed starting again at sequence 0', () => {
      const layer = new RecordLayer();
      layer.agreeVersion(0x0303);
      layer.send(22, Uint8Array.of(14, 0, 0, 0));
      layer.prepareWriteProtection(new AeadProtection(crypto, suite, key, iv));
      layer.send(20, Uint8Array.of(1)); // still in clear: the switch comes after CCS is written
      layer.changeWriteProtection();
      const finished = Uint8Array.of(20, 0, 0, 12, ...new Uint8Array(12).fill(9));
      layer.send(22, finished);
      layer.send(23, Uint8Array.of(42));
      const out = layer.takeOutput()!;
      const expected = concat(
        encodeRecord(22, 0x0303, Uint8Array.of(14, 0, 0, 0)),
        encodeRecord(20, 0x0303, Uint8Array.of(1)),
        expectedRecord(suite, key, iv, 0, 22, finished),
        expectedRecord(suite, key, iv, 1, 23, Uint8Array.of(42)),
      );
      assert.equal(hex(out), hex(expected));
      // A renewed protection (a later CCS) starts at 0 again.
      layer.prepareWriteProtection(new AeadProtection(crypto, suite, key, iv));
      layer.changeWriteProtection();
      layer.send(23, Uint8Array.of(42));
      assert.equal(hex(layer.takeOutput()!), hex(expectedRecord(suite, key, iv, 0, 23, Uint8Array.of(42))));
    });
  });
}
