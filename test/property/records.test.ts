/**
 * The record deframer and the handshake joiner (src/record/): any byte stream in any
 * chunking gives records (messages) or a TlsError; records cut into arbitrary chunks come
 * out as they went in.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import { copyBytes } from '../../src/codec/bytes.js';
import { HandshakeType } from '../../src/codec/enums.js';
import { frameHandshake } from '../../src/handshake/messages/framing.js';
import { MAX_CIPHERTEXT_LENGTH, RecordDeframer, type RecordLimits } from '../../src/record/deframer.js';
import { HandshakeJoiner } from '../../src/record/handshake-joiner.js';
import { encodeRecord } from '../helpers/tls-client.js';
import { WIRE_ERRORS, bytes, expectTotal, rec, runs } from './arbitraries.js';

interface Rec {
  type: number;
  version: number;
  fragment: Uint8Array;
}

const record: fc.Arbitrary<Rec> = rec({
  type: fc.integer({ min: 20, max: 23 }),
  version: fc.integer({ min: 0x0300, max: 0x03ff }),
  fragment: fc.oneof({ weight: 5, arbitrary: bytes(0, 300) }, { weight: 1, arbitrary: bytes(MAX_CIPHERTEXT_LENGTH - 2, MAX_CIPHERTEXT_LENGTH) }),
});

/** Cut points as fractions of the stream, so one arbitrary fits any length. */
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 });

function chunks(stream: Uint8Array, fractions: readonly number[]): Uint8Array[] {
  const at = [...new Set([0, ...fractions.map((f) => Math.floor(f * stream.length)), stream.length])].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < at.length; i++) out.push(stream.subarray(at[i], at[i + 1]));
  return out;
}

const LIMITS: RecordLimits = { maxFragmentLength: MAX_CIPHERTEXT_LENGTH, version: undefined };

/** Everything the deframer gives for these chunks, copied (its records are views valid until the next push). */
function deframe(parts: readonly Uint8Array[], limits: RecordLimits = LIMITS): Rec[] {
  const d = new RecordDeframer();
  const out: Rec[] = [];
  for (const part of parts) {
    d.push(part);
    for (let r = d.next(limits); r; r = d.next(limits)) out.push({ type: r.type, version: r.version, fragment: copyBytes(r.fragment) });
    d.retain();
  }
  return out;
}

const message = rec({
  type: fc.constantFrom(HandshakeType.client_hello, HandshakeType.certificate, HandshakeType.client_key_exchange, HandshakeType.certificate_verify),
  body: bytes(0, 250),
});

describe('record layer codecs (property tests, fast-check)', () => {
  it('RecordDeframer: records in arbitrary chunks come out as they went in', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 6 }), cuts, (records, fractions) => {
        const stream = Buffer.concat(records.map((r) => encodeRecord(r.type, r.version, r.fragment)));
        assert.deepStrictEqual(deframe(chunks(new Uint8Array(stream), fractions)), records);
      }),
      runs(200),
    );
  });

  it('RecordDeframer: any bytes, in any chunks, under either limit, give records or a TlsError', () => {
    const limits = fc.constantFrom<RecordLimits>(LIMITS, { maxFragmentLength: 16384, version: 0x0303 });
    const stream = fc.oneof(
      bytes(0, 400),
      fc.tuple(fc.array(record, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 })).map(
        ([records, sets]) => {
          const b = new Uint8Array(Buffer.concat(records.map((r) => encodeRecord(r.type, r.version, r.fragment))));
          for (const [at, v] of sets) b[at % b.length] = v;
          return b;
        },
      ),
    );
    fc.assert(
      fc.property(stream, cuts, limits, (s, fractions, l) => expectTotal(() => deframe(chunks(s, fractions), l), WIRE_ERRORS)),
      runs(1000),
    );
  });

  it('HandshakeJoiner: messages split and packed across records in any way come out whole and in order', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 6 }), cuts, (messages, fractions) => {
        const stream = new Uint8Array(Buffer.concat(messages.map((m) => frameHandshake(m.type, m.body))));
        const joiner = new HandshakeJoiner();
        const got: { type: number; body: Uint8Array }[] = [];
        for (const part of chunks(stream, fractions)) {
          joiner.push(part);
          for (let m = joiner.next(); m; m = joiner.next()) got.push({ type: m.type, body: copyBytes(m.body) });
          joiner.retain();
        }
        assert.deepStrictEqual(got, messages);
        assert.ok(joiner.isEmpty);
      }),
      runs(200),
    );
  });

  it('HandshakeJoiner: any bytes give messages or a TlsError', () => {
    fc.assert(
      fc.property(bytes(0, 400), cuts, (stream, fractions) =>
        expectTotal(() => {
          const joiner = new HandshakeJoiner();
          for (const part of chunks(stream, fractions)) {
            joiner.push(part);
            while (joiner.next());
            joiner.retain();
          }
        }, WIRE_ERRORS),
      ),
      runs(1000),
    );
  });
});
