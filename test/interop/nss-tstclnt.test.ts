/**
 * NSS's tstclnt against puretls (the demo page server), TLS 1.2 only, with an NSS database
 * that trusts the test certificate as a peer. Each of our suites forced with `-c :XXXX`, and
 * resumption across two connections of one tstclnt process (`-L 2`), by session ID (NSS's
 * default) and by ticket (`-u`).
 *
 * The test certificate is an end entity (cA FALSE) that is its own trust anchor, so NSS must
 * trust it as a peer (`-t P,,`); trusting it as a CA (`-t CT,C,C`) makes NSS answer
 * SEC_ERROR_CA_CERT_INVALID, by design (see src/pki/self-signed.ts).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'mocha';
import {
  EXT,
  SUITES,
  demoPageRows,
  describeRun,
  requirePeer,
  startObservedDemo,
  writeTestCertificate,
  type ObservedServer,
  type RunResult,
  interopFixture,
} from '../helpers/peers.js';

interface TstclntReport {
  /** The last "N cache hits; N cache misses, N cache not reusable" line (cumulative). */
  cacheHits: number;
  cacheMisses: number;
  /** The last "N stateless resumes" line (resumptions by ticket). */
  statelessResumes: number;
  /** The demo pages received, in order, as rows. */
  pages: Array<Map<string, string>>;
}

function parseTstclnt(r: RunResult): TstclntReport {
  const hits = [...r.stderr.matchAll(/^(\d+) cache hits; (\d+) cache misses/gm)].at(-1);
  const stateless = [...r.stderr.matchAll(/^(\d+) stateless resumes/gm)].at(-1);
  const pages = r.stdout.split('HTTP/1.1 200 OK').slice(1).map(demoPageRows);
  return {
    cacheHits: Number(hits?.[1] ?? NaN),
    cacheMisses: Number(hits?.[2] ?? NaN),
    statelessResumes: Number(stateless?.[1] ?? NaN),
    pages,
  };
}

describe('interop: NSS tstclnt against puretls', function () {
  this.timeout(60_000);
  const { procs, temp, servers } = interopFixture();
  let tstclnt = '';
  let db = '';
  let requestFile = '';

  before(async function () {
    tstclnt = requirePeer(this, 'tstclnt', 'libnss3-tools');
    const certutil = requirePeer(this, 'certutil', 'libnss3-tools');
    const dir = temp.make('puretls-nss-');
    const { certFile } = writeTestCertificate(dir);
    db = `sql:${dir}`;
    for (const args of [
      ['-N', '--empty-password', '-d', db],
      ['-A', '-n', 'puretls-test', '-t', 'P,,', '-i', certFile, '-d', db],
    ]) {
      const r = await procs.run(certutil, args);
      assert.equal(r.code, 0, describeRun(`certutil ${args.join(' ')}`, r));
    }
    requestFile = join(dir, 'request.txt');
    writeFileSync(requestFile, 'GET /nss HTTP/1.0\r\nHost: localhost\r\n\r\n');
  });

  async function demo(): Promise<ObservedServer> {
    const s = await startObservedDemo();
    servers.push(s);
    return s;
  }

  /** tstclnt to 127.0.0.1 with SNI localhost, TLS 1.2 only, the request read from a file. */
  function run(port: number, args: string[]): Promise<RunResult> {
    return procs.run(tstclnt, ['-V', 'tls1.2:tls1.2', '-h', '127.0.0.1', '-a', 'localhost', '-p', String(port), '-d', db, '-A', requestFile, ...args]);
  }

  for (const suite of SUITES) {
    const code = suite.code.toString(16).toUpperCase();
    it(`${suite.openssl} (-c :${code}): full handshake and an HTTP GET`, async () => {
      const s = await demo();
      const r = await run(s.port, ['-c', `:${code}`]);
      assert.equal(r.code, 0, describeRun('tstclnt', r));
      const t = parseTstclnt(r);
      assert.equal(t.pages.length, 1, describeRun('tstclnt', r));
      const page = t.pages[0]!;
      assert.equal(page.get('Protocol'), 'TLSv1.2');
      assert.equal(page.get('Cipher'), `${suite.openssl} (${suite.iana})`);
      assert.equal(page.get('SNI'), 'localhost');
      assert.equal(page.get('Session reused'), 'no');
      assert.equal(page.get('Extended master secret'), 'yes');
      assert.equal(t.cacheHits, 0);

      assert.deepEqual(s.seen.hellos[0]!.cipherSuites.filter((c) => c !== 0x00ff), [suite.code], 'tstclnt offered only this suite');
      const [saw] = await s.seen.waitForSecure(1);
      assert.equal(saw!.protocol, 'TLSv1.2');
      assert.equal(saw!.cipher, suite.openssl);
      assert.equal(saw!.servername, 'localhost');
      assert.equal(saw!.reused, false);
      assert.equal(saw!.alpn, false, 'tstclnt offers no ALPN');
    });
  }

  it('resumes by session ID on the second connection (-L 2)', async () => {
    const s = await demo();
    const r = await run(s.port, ['-L', '2']);
    assert.equal(r.code, 0, describeRun('tstclnt', r));
    const t = parseTstclnt(r);
    assert.equal(t.cacheHits, 1, describeRun('tstclnt', r));
    assert.equal(t.cacheMisses, 1);
    assert.equal(t.statelessResumes, 0);
    assert.equal(t.pages.length, 2);
    assert.equal(t.pages[0]!.get('Session reused'), 'no');
    assert.equal(t.pages[1]!.get('Session reused'), 'yes');
    assert.equal(t.pages[1]!.get('Session ID'), t.pages[0]!.get('Session ID'));

    const [first, second] = await s.seen.waitForSecure(2);
    assert.equal(first!.reused, false);
    assert.equal(second!.reused, true);
    assert.equal(second!.servername, 'localhost');
    assert.equal(second!.extendedMasterSecret, true);
    assert.equal(s.seen.hellos[1]!.extensions.has(EXT.session_ticket), false);
    assert.equal(s.seen.hellos[1]!.sessionId, t.pages[0]!.get('Session ID'));
  });

  it('resumes by ticket on the second connection (-u -L 2)', async () => {
    const s = await demo();
    const r = await run(s.port, ['-u', '-L', '2']);
    assert.equal(r.code, 0, describeRun('tstclnt', r));
    const t = parseTstclnt(r);
    assert.equal(t.cacheHits, 1, describeRun('tstclnt', r));
    assert.equal(t.statelessResumes, 1, describeRun('tstclnt', r));
    assert.equal(t.pages[1]!.get('Session reused'), 'yes');

    const [first, second] = await s.seen.waitForSecure(2);
    assert.equal(first!.reused, false);
    assert.equal(second!.reused, true);
    assert.ok((s.seen.hellos[1]!.extensions.get(EXT.session_ticket)?.length ?? 0) > 0, 'the second ClientHello offers a ticket');
  });
});
