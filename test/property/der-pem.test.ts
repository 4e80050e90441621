/**
 * The DER reader and PEM (src/codec/der.ts, pem.ts): any bytes read through every accessor
 * give values or a TlsDecodeError; trees of elements, integers, OIDs and times come back as
 * they were written.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import { DerReader, Tag, oid, time, tlv, uint, uintBytes, type Tlv } from '../../src/codec/der.js';
import { decodePem, decodePemBlocks, encodePem } from '../../src/codec/pem.js';
import { readEveryWay } from '../fuzz/targets.js';
import { APPLICATION_ERRORS, bytes, expectTotal, hostile, latin1String, runs } from './arbitraries.js';

type Node = { tag: number; value: Uint8Array } | { tag: number; children: Node[] };

const PRIMITIVE_TAGS = [Tag.BOOLEAN, Tag.INTEGER, Tag.BIT_STRING, Tag.OCTET_STRING, Tag.NULL, Tag.OID, Tag.UTF8String, Tag.UTCTime, 0x80, 0x81, 0x9e];
const CONSTRUCTED_TAGS = [Tag.SEQUENCE, Tag.SET, 0xa0, 0xa3, 0xbe];

const { tree } = fc.letrec<{ tree: Node }>((t) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ tag: fc.constantFrom(...PRIMITIVE_TAGS), value: fc.oneof(bytes(0, 40), bytes(120, 300)) }, { noNullPrototype: true }),
    fc.record({ tag: fc.constantFrom(...CONSTRUCTED_TAGS), children: fc.array(t('tree'), { maxLength: 4 }) }, { noNullPrototype: true }),
  ),
}));

function encodeNode(n: Node): Uint8Array {
  return 'value' in n ? tlv(n.tag, n.value) : tlv(n.tag, ...n.children.map(encodeNode));
}

function decodeNode(t: Tlv, constructed: (tag: number) => boolean): Node {
  if (!constructed(t.tag)) return { tag: t.tag, value: t.value };
  const r = new DerReader(t.value);
  const children: Node[] = [];
  while (!r.atEnd()) children.push(decodeNode(r.read(), constructed));
  return { tag: t.tag, children };
}

const dotted = fc
  .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 8 }))
  .map(([a, b, rest]) => [a, a === 2 ? b + 100 : b, ...rest].join('.'));
const x509Date = fc.date({ min: new Date(Date.UTC(1950, 0, 1)), max: new Date(Date.UTC(9999, 11, 31, 23, 59, 59)), noInvalidDate: true })
  .map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000));
const label = fc.stringMatching(/^[A-Z0-9](?:[A-Z0-9 ]{0,30}[A-Z0-9])?$/);

describe('DER and PEM (property tests, fast-check)', () => {
  it('a tree of elements (short and long lengths, nested) reads back as written', () => {
    fc.assert(
      fc.property(tree, (n) => {
        const constructed = (tag: number): boolean => CONSTRUCTED_TAGS.includes(tag);
        assert.deepStrictEqual(decodeNode(new DerReader(encodeNode(n)).read(), constructed), n);
      }),
      runs(300),
    );
  });

  it('INTEGER (numbers and magnitudes), OBJECT IDENTIFIER and Time round-trip', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), bytes(0, 40), dotted, x509Date, (n, magnitude, o, date) => {
        assert.equal(new DerReader(uint(n)).uint(), n);
        const stripped = magnitude.subarray(magnitude.findIndex((b) => b !== 0) === -1 ? Math.max(magnitude.length - 1, 0) : magnitude.findIndex((b) => b !== 0));
        assert.deepStrictEqual([...new DerReader(uintBytes(magnitude)).uintBytes()], stripped.length === 0 ? [0] : [...stripped]);
        assert.equal(new DerReader(oid(o)).oid(), o);
        assert.equal(new DerReader(time(date)).time().getTime(), date.getTime());
      }),
      runs(500),
    );
  });

  it('any bytes, read every way the reader can, give values or a TlsDecodeError', () => {
    fc.assert(
      fc.property(hostile(tree, encodeNode), (der) => expectTotal(() => readEveryWay(der), APPLICATION_ERRORS)),
      runs(1500),
    );
  });

  it('PEM: encodePem then decodePem gives the label and bytes back, among other text', () => {
    fc.assert(
      fc.property(label, bytes(0, 3000), latin1String(0, 40, 0x20, 0x7e), (l, der, noise) => {
        const text = `${noise.replace(/-/g, '')}\n${encodePem(l, der)}${noise.replace(/-/g, '')}`;
        const block = decodePem(text, [l]);
        assert.equal(block.label, l);
        assert.deepStrictEqual(block.der, der);
      }),
      runs(300),
    );
  });

  it('PEM: any text (and mutated PEM, as text or bytes) gives blocks or a TlsDecodeError', () => {
    const pemBytes = fc.tuple(label, bytes(0, 200)).map(([l, der]) => new TextEncoder().encode(encodePem(l, der)));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), hostile(pemBytes, (b) => b, 300)), (input) => {
        expectTotal(() => decodePemBlocks(input), APPLICATION_ERRORS);
        expectTotal(() => decodePem(input, ['CERTIFICATE', 'PRIVATE KEY']), APPLICATION_ERRORS);
      }),
      runs(1500),
    );
  });
});
