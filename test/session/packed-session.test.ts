import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'mocha';
import { packSession, packedExpiry, unpackSession } from '../../src/session/packed-session.js';
import { Session, type SessionFields } from '../../src/session/session.js';

const bytes = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

function full(): SessionFields {
  return {
    version: 0x0303,
    cipherSuite: 0xcca9,
    sessionId: bytes(32),
    masterSecret: bytes(48),
    sidCtx: bytes(32),
    createdAt: 1_764_936_000,
    timeout: 7200,
    extendedMasterSecret: true,
    serverName: 'www.example.com',
    alpn: 'h2',
    peerCertificate: bytes(700),
    verifyResult: 21,
    kexGroup: 29,
  };
}

/** Session's own fields, as plain data, for deepEqual. */
const plain = (s: SessionFields): object => ({ ...new Session(s) });

describe('packed sessions (the in-memory cache\'s format)', () => {
  it('round-trips every field, present and absent', () => {
    const all = full();
    assert.deepEqual(plain(unpackSession(packSession(all))), plain(all));
    const bare: SessionFields = { ...all, sessionId: new Uint8Array(0), sidCtx: new Uint8Array(0), extendedMasterSecret: false };
    delete bare.serverName;
    delete bare.alpn;
    delete bare.peerCertificate;
    delete bare.verifyResult;
    delete bare.kexGroup;
    const back = unpackSession(packSession(bare));
    assert.deepEqual(plain(back), plain(bare));
    for (const k of ['serverName', 'alpn', 'peerCertificate', 'verifyResult', 'kexGroup'] as const) assert.equal(back[k], undefined, k);
  });

  it('keeps the values at their limits: empty strings, latin1 bytes, 0 and 2^32-1, a time past 2106, a 64 KiB certificate', () => {
    const s: SessionFields = {
      ...full(),
      serverName: '',
      alpn: '\u00ff\u0000x',
      verifyResult: 0,
      kexGroup: 0,
      timeout: 0xffffffff,
      createdAt: 2 ** 33 + 5,
      peerCertificate: bytes(65536),
    };
    const back = unpackSession(packSession(s));
    assert.deepEqual(plain(back), plain(s));
    assert.equal(packedExpiry(packSession(s)), s.createdAt + s.timeout);
  });

  it('hands out arrays of their own: wiping the packed entry leaves the unpacked session intact, and the reverse', () => {
    const s = full();
    const packed = packSession(s);
    const out = unpackSession(packed);
    packed.fill(0);
    assert.deepEqual(out.masterSecret, s.masterSecret);
    const again = packSession(s);
    unpackSession(again).masterSecret.fill(0);
    assert.deepEqual(unpackSession(again).masterSecret, s.masterSecret);
  });

  it('entries cut from one slab do not overlap: each wipes only itself', () => {
    const a = full();
    const b = full();
    const pa = packSession(a);
    const pb = packSession(b);
    pa.fill(0);
    assert.deepEqual(plain(unpackSession(pb)), plain(b));
  });

  it('a string above U+00FF cannot be packed (as in DER, names are bytes)', () => {
    assert.throws(() => packSession({ ...full(), serverName: 'ü€' }), RangeError);
  });
});
