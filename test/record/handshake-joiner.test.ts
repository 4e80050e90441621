import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { AlertDescription, TlsError } from '../../src/errors.js';
import { HandshakeJoiner, MAX_HANDSHAKE_MESSAGE_LENGTH, type HandshakeMessage } from '../../src/record/handshake-joiner.js';
import { concat, handshakeMessage, hex, seededRandom } from '../helpers/tls-client.js';

const rng = seededRandom('joiner');
const MESSAGES = [
  handshakeMessage(1, rng(300)),
  handshakeMessage(14, new Uint8Array(0)),
  handshakeMessage(16, rng(33)),
  handshakeMessage(20, rng(12)),
];

function drain(j: HandshakeJoiner): Array<{ type: number; body: string; raw: string }> {
  const out: Array<{ type: number; body: string; raw: string }> = [];
  for (let m: HandshakeMessage | undefined = j.next(); m; m = j.next()) out.push({ type: m.type, body: hex(m.body), raw: hex(m.raw) });
  return out;
}

const EXPECTED = MESSAGES.map((m) => ({ type: m[0]!, body: hex(m.subarray(4)), raw: hex(m) }));

describe('HandshakeJoiner', () => {
  it('returns several messages packed in one record', () => {
    const j = new HandshakeJoiner();
    j.push(concat(...MESSAGES));
    assert.deepEqual(drain(j), EXPECTED);
    assert.ok(j.isEmpty);
  });

  it('joins a message split across records, at every split point (inside the header too)', () => {
    const m = MESSAGES[2]!;
    for (let cut = 1; cut < m.length; cut++) {
      const j = new HandshakeJoiner();
      j.push(m.subarray(0, cut));
      assert.equal(j.next(), undefined, `cut ${cut}`);
      assert.equal(j.isEmpty, false);
      j.push(m.subarray(cut));
      assert.deepEqual(drain(j), [EXPECTED[2]], `cut ${cut}`);
      assert.ok(j.isEmpty);
    }
  });

  it('joins a stream of messages fed one byte at a time', () => {
    const j = new HandshakeJoiner();
    const all = concat(...MESSAGES);
    const got = [];
    for (let i = 0; i < all.length; i++) {
      j.push(all.subarray(i, i + 1));
      got.push(...drain(j));
    }
    assert.deepEqual(got, EXPECTED);
  });

  it('keeps its own copy: reusing the pushed buffer does not change a message', () => {
    const j = new HandshakeJoiner();
    const buf = MESSAGES[3]!.slice();
    j.push(buf.subarray(0, 6));
    buf.fill(0);
    j.push(MESSAGES[3]!.subarray(6));
    assert.deepEqual(drain(j), [EXPECTED[3]]);
  });

  it('isEmpty is false while a header is incomplete and true at every boundary', () => {
    const j = new HandshakeJoiner();
    assert.ok(j.isEmpty);
    j.push(Uint8Array.of(20, 0));
    assert.equal(j.isEmpty, false);
    j.push(Uint8Array.of(0, 1, 0xaa));
    assert.deepEqual(drain(j), [{ type: 20, body: 'aa', raw: '14000001aa' }]);
    assert.ok(j.isEmpty);
    j.push(new Uint8Array(0));
    assert.ok(j.isEmpty);
  });

  it('accepts a message of exactly 64 KiB', () => {
    const body = rng(MAX_HANDSHAKE_MESSAGE_LENGTH);
    const j = new HandshakeJoiner();
    const m = handshakeMessage(11, body);
    for (let at = 0; at < m.length; at += 16384) j.push(m.subarray(at, at + 16384));
    const got = j.next()!;
    assert.equal(got.body.length, MAX_HANDSHAKE_MESSAGE_LENGTH);
    assert.equal(hex(got.raw), hex(m));
  });

  it('refuses a longer message from its header alone, before buffering the body', () => {
    const j = new HandshakeJoiner();
    const n = MAX_HANDSHAKE_MESSAGE_LENGTH + 1;
    j.push(Uint8Array.of(11, n >>> 16, (n >>> 8) & 0xff, n & 0xff));
    assert.throws(
      () => j.next(),
      (e: unknown) => e instanceof TlsError && e.alert === AlertDescription.illegal_parameter && e.code === 'ERR_EXCESSIVE_MESSAGE_SIZE',
    );
    const huge = new HandshakeJoiner();
    huge.push(Uint8Array.of(1, 0xff, 0xff, 0xff));
    assert.throws(() => huge.next(), TlsError);
  });
});
