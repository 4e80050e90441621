import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { decodePem, decodePemBlocks, encodePem } from '../../src/codec/pem.js';
import { TlsDecodeError } from '../../src/errors.js';
import { hex, seededRandom } from '../helpers/tls-client.js';

function pemError(message?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof TlsDecodeError, String(e));
    assert.equal(e.code, 'ERR_PEM_DECODE');
    if (message) assert.match(e.message, message);
    return true;
  };
}

describe('PEM', () => {
  it('round-trips any length, with 64-character lines like OpenSSL', () => {
    const rng = seededRandom('pem');
    for (const n of [0, 1, 2, 3, 47, 48, 49, 1000, 70000]) {
      const der = rng(n);
      const pem = encodePem('CERTIFICATE', der);
      const body = pem.split('\n').slice(1, -2);
      assert.ok(body.every((l) => l.length <= 64));
      const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
      assert.equal(pem, `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`);
      const [block] = decodePemBlocks(pem);
      assert.equal(block!.label, 'CERTIFICATE');
      assert.equal(hex(block!.der), hex(der));
    }
  });

  it('reads several blocks in order, ignores text around them, accepts CRLF and bytes input', () => {
    const text = `junk before\r\n${encodePem('CERTIFICATE', Uint8Array.of(1))}between\r\n${encodePem('EC PRIVATE KEY', Uint8Array.of(2, 3))}`.replace(/\n/g, '\r\n');
    const blocks = decodePemBlocks(new TextEncoder().encode(text));
    assert.deepEqual(blocks.map((b) => [b.label, hex(b.der)]), [['CERTIFICATE', '01'], ['EC PRIVATE KEY', '0203']]);
    assert.equal(hex(decodePem(text, ['PRIVATE KEY', 'EC PRIVATE KEY']).der), '0203');
  });

  it('refuses mismatched labels, encrypted PEM and bodies that are not base64', () => {
    assert.throws(() => decodePemBlocks('-----BEGIN CERTIFICATE-----\nAQ==\n-----END PRIVATE KEY-----\n'), pemError(/ends with END/));
    assert.throws(
      () => decodePemBlocks('-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAQ==\n-----END EC PRIVATE KEY-----\n'),
      pemError(/encrypted/),
    );
    assert.throws(() => decodePemBlocks('-----BEGIN CERTIFICATE-----\nAQ*=\n-----END CERTIFICATE-----\n'), pemError(/not base64/));
    assert.throws(() => decodePemBlocks('-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n'), pemError(/not valid base64/));
    assert.throws(() => decodePemBlocks('-----BEGIN CERTIFICATE-----\nAQ==AQ==\n-----END CERTIFICATE-----\n'), pemError());
  });

  it('decodePem names the labels it wanted when none is there', () => {
    assert.throws(() => decodePem(encodePem('CERTIFICATE', Uint8Array.of(1)), ['PRIVATE KEY']), pemError(/PRIVATE KEY/));
    assert.deepEqual(decodePemBlocks('no pem here'), []);
  });
});
