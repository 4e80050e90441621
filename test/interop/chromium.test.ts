/**
 * Headless Chromium (BoringSSL) loading the demo page (`--dump-dom`). Chromium offers TLS 1.3
 * first; puretls answers TLS 1.2, which Chromium must accept. The dumped DOM must show TLSv1.2,
 * an ECDHE-ECDSA suite, ALPN http/1.1 and SNI localhost, and the server must have seen the same.
 *
 * Four runs, each with a fresh profile and HOME: with --ignore-certificate-errors; with the
 * test certificate trusted through an NSS database in $HOME/.pki/nssdb and no ignore flag (so
 * Chromium really verified our certificate); the same with an RSA-2048 certificate (an
 * ECDHE-RSA suite); and with neither, which must not show the page.
 * Chromium runs in its own process group, killed whole after each test.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'mocha';
import {
  EXT,
  RSA_SUITES,
  SUITES,
  demoPageRows,
  describeRun,
  findTool,
  requirePeer,
  startObservedDemo,
  writeTestCertificate,
  type ObservedServer,
  type RunResult,
  interopFixture,
} from '../helpers/peers.js';
import { serverCertificate } from '../helpers/server-certs.js';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Chromium's crash handler (chrome_crashpad_handler) detaches into its own session, outside
 * the process group we kill. It normally exits with the browser; should the browser have been
 * killed, end any handler still running whose --database lies under one of our temporary
 * HOMEs (a unique mkdtemp path, so only processes this test started), by pid.
 */
function killStrayCrashHandlers(homes: readonly string[]): void {
  if (homes.length === 0) return;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return; // no /proc: nothing we can find
  }
  for (const pid of pids) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes('chrome_crashpad_handler')) continue;
    if (!homes.some((home) => cmdline.includes(`--database=${home}/`))) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

describe('interop: headless Chromium against the puretls demo server', function () {
  this.timeout(120_000);
  const homes: string[] = [];
  const { procs, temp, servers } = interopFixture(() => killStrayCrashHandlers(homes.splice(0)));
  let chromium = '';
  let certFile = '';

  before(async function () {
    chromium = findTool('chromium') ?? findTool('chromium-browser') ?? requirePeer(this, 'chromium', 'chromium');
    certFile = writeTestCertificate(temp.make('puretls-chromium-')).certFile;
    const v = await procs.run(chromium, ['--version'], { group: true, killAfterMs: 30_000 });
    console.log(`      using ${v.stdout.trim().split('\n').at(-1)}`);
  });


  async function demo(options: Parameters<typeof startObservedDemo>[0] = {}): Promise<ObservedServer> {
    const s = await startObservedDemo(options);
    servers.push(s);
    return s;
  }

  /** A fresh HOME and profile; `trust` puts the test certificate (or `trusted`) in $HOME/.pki/nssdb as a trusted peer. */
  async function profile(trust: boolean, trusted = certFile): Promise<{ home: string; userDataDir: string }> {
    const root = temp.make('puretls-chromium-profile-');
    const home = join(root, 'home');
    const userDataDir = join(root, 'profile');
    mkdirSync(home);
    mkdirSync(userDataDir);
    homes.push(home);
    if (trust) {
      const certutil = findTool('certutil');
      assert.ok(certutil, 'certutil (libnss3-tools) is needed to trust the certificate for Chromium');
      const db = `sql:${join(home, '.pki', 'nssdb')}`;
      mkdirSync(join(home, '.pki', 'nssdb'), { recursive: true });
      for (const args of [
        ['-N', '--empty-password', '-d', db],
        ['-A', '-n', 'puretls-test', '-t', 'P,,', '-i', trusted, '-d', db],
      ]) {
        const r = await procs.run(certutil, args);
        assert.equal(r.code, 0, describeRun(`certutil ${args.join(' ')}`, r));
      }
    }
    return { home, userDataDir };
  }

  async function dumpDom(port: number, options: { trust: boolean; ignoreCertificateErrors: boolean; trusted?: string }): Promise<RunResult> {
    const { home, userDataDir } = await profile(options.trust, options.trusted);
    const args = [...FLAGS, `--user-data-dir=${userDataDir}`];
    if (options.ignoreCertificateErrors) args.push('--ignore-certificate-errors');
    args.push('--dump-dom', `https://localhost:${port}/chromium`);
    // Everything Chromium writes (config, crash database, cache) stays under the fresh HOME.
    const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache') };
    return procs.run(chromium, args, { group: true, killAfterMs: 60_000, env });
  }

  /** The checks every run that got the page shares. */
  async function checkPageAndServer(s: ObservedServer, r: RunResult, auth: 'ECDSA' | 'RSA' = 'ECDSA'): Promise<Map<string, string>> {
    assert.equal(r.code, 0, describeRun('chromium', r));
    const page = demoPageRows(r.stdout);
    assert.equal(page.get('Protocol'), 'TLSv1.2', describeRun('chromium', r));
    assert.match(page.get('Cipher') ?? '', new RegExp(`^ECDHE-${auth}-[A-Z0-9-]+ \\(TLS_ECDHE_${auth}_WITH_`));
    assert.equal(page.get('ALPN'), 'http/1.1');
    assert.equal(page.get('SNI'), 'localhost');
    assert.equal(page.get('Extended master secret'), 'yes');
    assert.equal(page.get('Secure renegotiation'), 'supported');

    // Chromium may open more than one connection (a preconnect): every one must be the same.
    await s.seen.waitForSecure(1);
    for (const saw of s.seen.secure) {
      assert.equal(saw.protocol, 'TLSv1.2');
      assert.ok((auth === 'RSA' ? RSA_SUITES : SUITES).some((x) => x.openssl === saw.cipher), `unexpected suite ${saw.cipher}`);
      assert.equal(saw.servername, 'localhost');
      assert.equal(saw.alpn, 'http/1.1');
      assert.equal(saw.extendedMasterSecret, true);
    }
    assert.ok(s.seen.secure.some((x) => page.get('Cipher') === `${x.cipher} (${x.standardName})`), 'the page names a suite the server negotiated');
    // Chromium offered TLS 1.3 (supported_versions lists 0x0304) and accepted our TLS 1.2.
    const versions = s.seen.hellos[0]!.extensions.get(EXT.supported_versions);
    assert.ok(versions, 'Chromium sends supported_versions');
    const offered: number[] = [];
    for (let i = 1; i + 1 < versions.length; i += 2) offered.push(versions.readUInt16BE(i));
    assert.ok(offered.includes(0x0304), `Chromium offered TLS 1.3: ${offered.map((v) => v.toString(16))}`);
    assert.ok(offered.includes(0x0303));
    return page;
  }

  it('--ignore-certificate-errors: the page shows TLSv1.2, ECDHE-ECDSA, ALPN http/1.1, SNI localhost', async () => {
    const s = await demo();
    const r = await dumpDom(s.port, { trust: false, ignoreCertificateErrors: true });
    await checkPageAndServer(s, r);
  });

  it('with the certificate trusted in $HOME/.pki/nssdb and no ignore flag: Chromium verifies it and loads the page', async () => {
    const s = await demo();
    const r = await dumpDom(s.port, { trust: true, ignoreCertificateErrors: false });
    await checkPageAndServer(s, r);
  });

  it('an RSA-2048 certificate, trusted and no ignore flag: Chromium verifies it; ECDHE-RSA, signed with rsa_pss_rsae_sha256', async () => {
    const rsa = serverCertificate('rsa2048');
    const s = await demo({ keyPem: rsa.keyPem, certPem: rsa.certPem });
    const r = await dumpDom(s.port, { trust: true, ignoreCertificateErrors: false, trusted: rsa.certFile });
    const page = await checkPageAndServer(s, r, 'RSA');
    assert.equal(page.get('Server certificate'), 'RSA 2048 bits, rsa_pss_rsae_sha256');
  });

  it('neither trusted nor ignored: Chromium refuses the certificate and shows no page', async () => {
    const s = await demo();
    const r = await dumpDom(s.port, { trust: false, ignoreCertificateErrors: false });
    assert.equal(r.timedOut, false, describeRun('chromium', r));
    assert.equal(demoPageRows(r.stdout).size, 0, 'the demo page must not load');
    assert.doesNotMatch(r.stdout, /puretls: TLS 1\.2 in TypeScript/);
    assert.match(r.stderr, /ERR_CERT_AUTHORITY_INVALID/, describeRun('chromium', r));
    // Chromium did reach us, and ended the handshake with an alert about our certificate.
    const [error] = await s.seen.waitForClientErrors(1);
    assert.match(error!.message, /certificate_unknown|bad_certificate|unknown_ca/);
    assert.equal(s.seen.secure.length, 0);
  });
});
