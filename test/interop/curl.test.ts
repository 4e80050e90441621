/**
 * curl (libcurl with OpenSSL 3) against the demo server (`startDemo`): the page shows
 * TLSv1.2, the cipher, ALPN http/1.1 and SNI localhost; curl verifies the certificate
 * (--cacert) and reports the same; each suite via --ciphers; and two URLs in one curl run,
 * each on its own connection (`Connection: close`), the second resuming the first's session.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
  interopFixture,
} from '../helpers/peers.js';

describe('interop: curl against the puretls demo server', function () {
  this.timeout(60_000);
  const { procs, temp, servers } = interopFixture();
  let curl = '';
  let dir = '';
  let certFile = '';
  let fileCounter = 0;

  before(async function () {
    curl = requirePeer(this, 'curl', 'curl');
    dir = temp.make('puretls-curl-');
    certFile = writeTestCertificate(dir).certFile;
    const v = await procs.run(curl, ['--version']);
    console.log(`      using ${v.stdout.split('\n')[0]}`);
  });

  async function demo(): Promise<ObservedServer> {
    const s = await startObservedDemo();
    servers.push(s);
    return s;
  }

  /** One curl run fetching `paths` from the demo, each into its own file; returns stderr and the pages. */
  async function fetch(port: number, paths: string[], extra: string[] = []): Promise<{ stderr: string; pages: Array<Map<string, string>>; codes: string[] }> {
    const args = ['-sS', '-v', '--cacert', certFile, '--tlsv1.2', '--tls-max', '1.2', '-H', 'Connection: close', '-w', '%{http_code} %{ssl_verify_result}\\n', ...extra];
    const files: string[] = [];
    for (const p of paths) {
      const file = join(dir, `page${fileCounter++}.html`);
      files.push(file);
      args.push('-o', file, `https://localhost:${port}${p}`);
    }
    const r = await procs.run(curl, args);
    assert.equal(r.code, 0, describeRun('curl', r));
    return {
      stderr: r.stderr,
      pages: files.map((f) => demoPageRows(readFileSync(f, 'utf8'))),
      codes: r.stdout.trim().split('\n'),
    };
  }

  it('GET /: the page and curl both show TLSv1.2, the cipher, ALPN http/1.1, SNI localhost', async () => {
    const s = await demo();
    const { stderr, pages, codes } = await fetch(s.port, ['/']);
    assert.deepEqual(codes, ['200 0'], 'HTTP 200 and the certificate verified');
    assert.match(stderr, /SSL connection using TLSv1\.2 \/ ECDHE-ECDSA-AES128-GCM-SHA256/);
    assert.match(stderr, /ALPN: server accepted http\/1\.1/);
    assert.match(stderr, /SSL certificate verify ok/);

    const page = pages[0]!;
    assert.equal(page.get('Protocol'), 'TLSv1.2');
    assert.equal(page.get('Cipher'), 'ECDHE-ECDSA-AES128-GCM-SHA256 (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)');
    assert.equal(page.get('ALPN'), 'http/1.1');
    assert.equal(page.get('SNI'), 'localhost');
    assert.equal(page.get('Session reused'), 'no');
    assert.equal(page.get('Extended master secret'), 'yes');
    assert.equal(page.get('Secure renegotiation'), 'supported');

    const [saw] = await s.seen.waitForSecure(1);
    assert.equal(saw!.protocol, 'TLSv1.2');
    assert.equal(saw!.cipher, 'ECDHE-ECDSA-AES128-GCM-SHA256');
    assert.equal(saw!.alpn, 'http/1.1');
    assert.equal(saw!.servername, 'localhost');
    assert.equal(saw!.reused, false);
  });

  for (const suite of SUITES) {
    it(`--ciphers ${suite.openssl}`, async () => {
      const s = await demo();
      const { stderr, pages } = await fetch(s.port, ['/'], ['--ciphers', suite.openssl]);
      assert.match(stderr, new RegExp(`SSL connection using TLSv1\\.2 / ${suite.openssl}`));
      assert.equal(pages[0]!.get('Cipher'), `${suite.openssl} (${suite.iana})`);
      const [saw] = await s.seen.waitForSecure(1);
      assert.equal(saw!.cipher, suite.openssl);
    });
  }

  it('two URLs in one curl run: the second connection resumes the session', async () => {
    const s = await demo();
    const { stderr, pages, codes } = await fetch(s.port, ['/one', '/two']);
    assert.deepEqual(codes, ['200 0', '200 0']);
    // Two connections (Connection: close), the second offering the cached session.
    assert.equal([...stderr.matchAll(/Connected to localhost/g)].length, 2, stderr);
    assert.match(stderr, /SSL re-using session ID/);
    assert.equal(pages[0]!.get('Session reused'), 'no');
    assert.equal(pages[1]!.get('Session reused'), 'yes');
    assert.equal(pages[1]!.get('Group'), '(none: resumed session)');
    assert.equal(pages[1]!.get('SNI'), 'localhost');
    assert.equal(pages[1]!.get('ALPN'), 'http/1.1');

    const [first, second] = await s.seen.waitForSecure(2);
    assert.equal(first!.reused, false);
    assert.equal(second!.reused, true);
    assert.equal(second!.cipher, first!.cipher);
    assert.equal(second!.servername, 'localhost');
    assert.equal(second!.alpn, 'http/1.1');
  });

  it('--no-sessionid: curl offers nothing, so both connections are full handshakes', async () => {
    const s = await demo();
    const { pages } = await fetch(s.port, ['/one', '/two'], ['--no-sessionid']);
    assert.equal(pages[0]!.get('Session reused'), 'no');
    assert.equal(pages[1]!.get('Session reused'), 'no');
    const [first, second] = await s.seen.waitForSecure(2);
    assert.equal(first!.reused, false);
    assert.equal(second!.reused, false);
  });

  it('curl offering TLS 1.3 (its default) gets TLS 1.2, and resumes', async () => {
    const s = await demo();
    const args = ['-sS', '-v', '--cacert', certFile, '-H', 'Connection: close', '-w', '%{http_code}\\n'];
    const files = [join(dir, `page${fileCounter++}.html`), join(dir, `page${fileCounter++}.html`)];
    args.push('-o', files[0]!, `https://localhost:${s.port}/one`, '-o', files[1]!, `https://localhost:${s.port}/two`);
    const r = await procs.run(curl, args);
    assert.equal(r.code, 0, describeRun('curl', r));
    assert.match(r.stderr, /TLSv1\.3 \(OUT\), TLS handshake, Client hello/);
    assert.match(r.stderr, /SSL connection using TLSv1\.2 \/ ECDHE-ECDSA-AES128-GCM-SHA256/);
    const pages = files.map((f) => demoPageRows(readFileSync(f, 'utf8')));
    assert.equal(pages[0]!.get('Protocol'), 'TLSv1.2');
    assert.equal(pages[1]!.get('Session reused'), 'yes');

    const versions = s.seen.hellos[0]!.extensions.get(EXT.supported_versions);
    assert.ok(versions && versions.includes(Buffer.from([0x03, 0x04])), 'curl offered TLS 1.3');
    const seen = await s.seen.waitForSecure(2);
    assert.deepEqual(
      seen.map((x) => [x.protocol, x.reused]),
      [
        ['TLSv1.2', false],
        ['TLSv1.2', true],
      ],
    );
  });
});
