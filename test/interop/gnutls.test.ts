/**
 * GnuTLS's gnutls-cli against puretls (the demo page server): TLS 1.2 only, each of our three
 * suites forced through a priority string, a full handshake then a resumption (`--resume`,
 * by ticket, and by session ID with %NO_TICKETS) with an HTTP GET over the resumed session,
 * ECDHE on P-384 with a P-384 certificate, and a suite we do not implement refused.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { before, describe, it } from 'mocha';
import { testCertificate } from '../helpers/fixtures.js';
import { serverCertificate } from '../helpers/server-certs.js';
import {
  EXT,
  RSA_SUITES,
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

/** Our suites as GnuTLS priority strings name their ciphers. */
const GNUTLS_CIPHER: Readonly<Record<string, string>> = {
  'ECDHE-ECDSA-AES128-GCM-SHA256': 'AES-128-GCM',
  'ECDHE-ECDSA-AES256-GCM-SHA384': 'AES-256-GCM',
  'ECDHE-ECDSA-CHACHA20-POLY1305': 'CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256': 'AES-128-GCM',
  'ECDHE-RSA-AES256-GCM-SHA384': 'AES-256-GCM',
  'ECDHE-RSA-CHACHA20-POLY1305': 'CHACHA20-POLY1305',
};

const TLS12_ONLY = 'NORMAL:-VERS-ALL:+VERS-TLS1.2';

interface GnutlsReport {
  /** "- Description:" of each handshake, e.g. (TLS1.2-X.509)-(ECDHE-X25519)-(ECDSA-SHA256)-(AES-128-GCM). */
  descriptions: string[];
  /** "- Session ID:" of each handshake, lower-case hex without colons. */
  sessionIds: string[];
  /** "- Options:" of each handshake. */
  options: string[];
  /** "*** This is a resumed session". */
  resumed: boolean;
  /** "- Application protocol:". */
  alpn: string | undefined;
  certificateTrusted: boolean;
  /** The demo page the GET brought back, as rows. */
  page: Map<string, string>;
}

function parseGnutls(r: RunResult): GnutlsReport {
  const all = (re: RegExp): string[] => [...r.stdout.matchAll(re)].map((m) => m[1]!.trim());
  return {
    descriptions: all(/^- Description: (.*)$/gm),
    sessionIds: all(/^- Session ID: (.*)$/gm).map((s) => s.replace(/:/g, '').toLowerCase()),
    options: all(/^- Options: (.*)$/gm),
    resumed: r.stdout.includes('*** This is a resumed session'),
    alpn: /^- Application protocol: (.*)$/m.exec(r.stdout)?.[1]?.trim(),
    certificateTrusted: r.stdout.includes('- Status: The certificate is trusted.'),
    page: demoPageRows(r.stdout),
  };
}

describe('interop: gnutls-cli (GnuTLS) against puretls', function () {
  this.timeout(60_000);
  const { procs, temp, servers } = interopFixture();
  let gnutls = '';
  let certFile = '';
  let certFile384 = '';

  before(function () {
    gnutls = requirePeer(this, 'gnutls-cli', 'gnutls-bin');
    const dir = temp.make();
    certFile = writeTestCertificate(dir, 'P-256').certFile;
    certFile384 = writeTestCertificate(dir, 'P-384').certFile;
    console.log(`      using ${spawnSync(gnutls, ['--version']).stdout.toString().split('\n')[0]}`);
  });

  async function demo(options: Parameters<typeof startObservedDemo>[0] = {}): Promise<ObservedServer> {
    const s = await startObservedDemo(options);
    servers.push(s);
    return s;
  }

  /**
   * gnutls-cli to the demo on 127.0.0.1 with SNI localhost, sending a GET once connected.
   * Stdin stays open: gnutls-cli quits when stdin ends, so the server's close ends it.
   */
  function gnutlsCli(port: number, args: string[], ca = certFile): Promise<RunResult> {
    return procs.run(gnutls, ['--x509cafile', ca, '--sni-hostname', 'localhost', '--verify-hostname', 'localhost', '--alpn', 'http/1.1', ...args, '-p', String(port), '127.0.0.1'], {
      input: 'GET /gnutls HTTP/1.0\r\nHost: localhost\r\n\r\n',
      endInput: false,
    });
  }

  for (const suite of SUITES) {
    const cipher = GNUTLS_CIPHER[suite.openssl]!;
    it(`${suite.openssl}: full handshake, then --resume by ticket and a GET over the resumed session`, async () => {
      const s = await demo();
      const r = await gnutlsCli(s.port, ['--priority', `${TLS12_ONLY}:-CIPHER-ALL:+${cipher}`, '--resume']);
      assert.equal(r.code, 0, describeRun('gnutls-cli', r));
      const g = parseGnutls(r);

      // What GnuTLS reports.
      assert.ok(g.certificateTrusted, describeRun('gnutls-cli', r));
      assert.equal(g.descriptions.length, 2, describeRun('gnutls-cli', r));
      assert.equal(g.descriptions[0], `(TLS1.2-X.509)-(ECDHE-X25519)-(ECDSA-SHA256)-(${cipher})`);
      assert.match(g.descriptions[1]!, new RegExp(`^\\(TLS1\\.2-X\\.509\\)-.*-\\(${cipher}\\)$`));
      assert.ok(g.resumed, `gnutls-cli did not report a resumed session\n${describeRun('gnutls-cli', r)}`);
      for (const o of g.options) assert.match(o, /extended master secret/);
      for (const o of g.options) assert.match(o, /safe renegotiation/);
      assert.equal(g.alpn, 'http/1.1');

      // The page the server sent over the resumed connection.
      assert.equal(g.page.get('Protocol'), 'TLSv1.2');
      assert.equal(g.page.get('Cipher'), `${suite.openssl} (${suite.iana})`);
      assert.equal(g.page.get('Session reused'), 'yes');
      assert.equal(g.page.get('SNI'), 'localhost');
      assert.equal(g.page.get('ALPN'), 'http/1.1');

      // What the server saw: a full handshake, then a resumption by the ticket it issued.
      const [first, second] = await s.seen.waitForSecure(2);
      for (const saw of [first!, second!]) {
        assert.equal(saw.protocol, 'TLSv1.2');
        assert.equal(saw.cipher, suite.openssl);
        assert.equal(saw.standardName, suite.iana);
        assert.equal(saw.servername, 'localhost');
        assert.equal(saw.alpn, 'http/1.1');
        assert.equal(saw.extendedMasterSecret, true);
      }
      assert.equal(first!.reused, false);
      assert.equal(first!.group, 'X25519');
      assert.equal(second!.reused, true);
      assert.equal(s.seen.hellos[0]!.extensions.get(EXT.session_ticket)?.length, 0, 'first ClientHello asks for a ticket');
      assert.ok((s.seen.hellos[1]!.extensions.get(EXT.session_ticket)?.length ?? 0) > 0, 'second ClientHello offers the ticket');
      assert.deepEqual(s.seen.clientErrors, []);
    });
  }

  it('resumes by session ID when tickets are off (%NO_TICKETS)', async () => {
    const s = await demo();
    const r = await gnutlsCli(s.port, ['--priority', `${TLS12_ONLY}:%NO_TICKETS`, '--resume']);
    assert.equal(r.code, 0, describeRun('gnutls-cli', r));
    const g = parseGnutls(r);
    assert.ok(g.resumed, describeRun('gnutls-cli', r));
    assert.equal(g.sessionIds.length, 2);
    assert.match(g.sessionIds[0]!, /^[0-9a-f]{64}$/, 'the server gave a 32-byte session ID');
    assert.equal(g.sessionIds[1], g.sessionIds[0], 'the resumed session has the same ID');
    assert.equal(g.page.get('Session reused'), 'yes');
    assert.equal(g.page.get('Session ID'), g.sessionIds[0]);

    const [first, second] = await s.seen.waitForSecure(2);
    assert.equal(first!.reused, false);
    assert.equal(second!.reused, true);
    assert.equal(second!.cipher, 'ECDHE-ECDSA-AES128-GCM-SHA256');
    const hello = s.seen.hellos[1]!;
    assert.equal(hello.extensions.has(EXT.session_ticket), false, 'no ticket offered');
    assert.equal(hello.sessionId, g.sessionIds[0], 'the second ClientHello offers the session ID');
  });

  it('without extended master secret (%NO_SESSION_HASH) --resume gets a full handshake (SPEC rule 5)', async () => {
    const s = await demo();
    const r = await gnutlsCli(s.port, ['--priority', `${TLS12_ONLY}:%NO_SESSION_HASH`, '--resume']);
    assert.equal(r.code, 0, describeRun('gnutls-cli', r));
    const g = parseGnutls(r);
    assert.equal(g.descriptions.length, 2, describeRun('gnutls-cli', r));
    assert.equal(g.resumed, false, 'gnutls-cli must not report a resumed session');
    for (const o of g.options) assert.doesNotMatch(o, /extended master secret/);
    assert.deepEqual(g.sessionIds, [], 'no session ID (gnutls prints none when empty): the session can never be resumed');
    assert.equal(g.page.get('Session reused'), 'no');
    assert.equal(g.page.get('Extended master secret'), 'no');

    const [first, second] = await s.seen.waitForSecure(2);
    assert.equal(first!.extendedMasterSecret, false);
    assert.equal(second!.extendedMasterSecret, false);
    assert.equal(second!.reused, false);
    assert.notEqual(second!.group, undefined, 'the second connection did its own ECDHE');
    const hello = s.seen.hellos[1]!;
    assert.equal(hello.extensions.has(EXT.extended_master_secret), false);
    // Such a session could never resume, so the server gave gnutls neither a ticket nor an ID.
    assert.equal(hello.extensions.get(EXT.session_ticket)?.length ?? 0, 0, 'gnutls had no ticket to offer');
  });

  it('ECDHE on P-384 with a P-384 certificate (ecdsa_secp384r1_sha384)', async () => {
    const cert = testCertificate('P-384');
    const s = await demo({ keyPem: cert.keyPem, certPem: cert.certPem });
    const r = await gnutlsCli(s.port, ['--priority', `${TLS12_ONLY}:-GROUP-ALL:+GROUP-SECP384R1`], certFile384);
    assert.equal(r.code, 0, describeRun('gnutls-cli', r));
    const g = parseGnutls(r);
    assert.ok(g.certificateTrusted);
    assert.equal(g.descriptions[0], '(TLS1.2-X.509)-(ECDHE-SECP384R1)-(ECDSA-SHA384)-(AES-128-GCM)');
    assert.equal(g.page.get('Group'), 'secp384r1');
    const [saw] = await s.seen.waitForSecure(1);
    assert.equal(saw!.group, 'secp384r1');
    assert.equal(saw!.reused, false);
  });

  describe('an RSA-2048 certificate (alone, and beside the ECDSA one)', () => {
    for (const { openssl, iana } of RSA_SUITES) {
      const cipher = GNUTLS_CIPHER[openssl]!;
      it(`${openssl}: verified by GnuTLS, signed with RSA-PSS-RSAE-SHA256, then --resume`, async () => {
        const rsa = serverCertificate('rsa2048');
        const s = await demo({ keyPem: rsa.keyPem, certPem: rsa.certPem });
        const r = await gnutlsCli(s.port, ['--priority', `${TLS12_ONLY}:-CIPHER-ALL:+${cipher}`, '--resume'], rsa.certFile);
        assert.equal(r.code, 0, describeRun('gnutls-cli', r));
        const g = parseGnutls(r);
        assert.ok(g.certificateTrusted, describeRun('gnutls-cli', r));
        assert.equal(g.descriptions[0], `(TLS1.2-X.509)-(ECDHE-X25519)-(RSA-PSS-RSAE-SHA256)-(${cipher})`);
        assert.ok(g.resumed, describeRun('gnutls-cli', r));
        assert.equal(g.page.get('Cipher'), `${openssl} (${iana})`);
        const [first] = await s.seen.waitForSecure(2);
        assert.equal(first!.cipher, openssl);
        assert.equal(demoPageRows(r.stdout).get('Session reused'), 'yes');
      });
    }

    for (const [sign, scheme, description] of [
      ['RSA-SHA384', 'rsa_pkcs1_sha384', 'RSA-SHA384'],
      ['RSA-PSS-RSAE-SHA512', 'rsa_pss_rsae_sha512', 'RSA-PSS-RSAE-SHA512'],
    ] as const) {
      it(`signature algorithms restricted to ${sign}: the ServerKeyExchange is signed with ${scheme}`, async () => {
        const rsa = serverCertificate('rsa2048');
        const s = await demo({ keyPem: rsa.keyPem, certPem: rsa.certPem });
        const r = await gnutlsCli(s.port, ['--priority', `${TLS12_ONLY}:-SIGN-ALL:+SIGN-${sign}`], rsa.certFile);
        assert.equal(r.code, 0, describeRun('gnutls-cli', r));
        assert.equal(parseGnutls(r).descriptions[0], `(TLS1.2-X.509)-(ECDHE-X25519)-(${description})-(AES-128-GCM)`);
        assert.equal(parseGnutls(r).page.get('Server certificate'), `RSA 2048 bits, ${scheme}`);
      });
    }

    it('dual certificates: GnuTLS\'s defaults get the ECDSA one, ECDHE-RSA key exchange only the RSA one', async () => {
      const rsa = serverCertificate('rsa2048');
      const ec = testCertificate('P-256');
      const both = temp.make();
      const caFile = `${both}/both.pem`;
      writeFileSync(caFile, rsa.certPem + ec.certPem);
      const s = await demo({ keyPem: [rsa.keyPem, ec.keyPem], certPem: [rsa.certPem, ec.certPem] });
      const ecdsa = await gnutlsCli(s.port, ['--priority', TLS12_ONLY], caFile);
      assert.equal(ecdsa.code, 0, describeRun('gnutls-cli', ecdsa));
      assert.match(parseGnutls(ecdsa).descriptions[0]!, /^\(TLS1\.2-X\.509\)-\(ECDHE-X25519\)-\(ECDSA-SHA256\)-/);
      assert.equal(parseGnutls(ecdsa).page.get('Server certificate'), 'ECDSA P-256, ecdsa_secp256r1_sha256');
      const viaRsa = await gnutlsCli(s.port, ['--priority', `${TLS12_ONLY}:-KX-ALL:+ECDHE-RSA`], caFile);
      assert.equal(viaRsa.code, 0, describeRun('gnutls-cli', viaRsa));
      assert.match(parseGnutls(viaRsa).descriptions[0]!, /^\(TLS1\.2-X\.509\)-\(ECDHE-X25519\)-\(RSA-PSS-RSAE-SHA256\)-/);
      assert.equal(parseGnutls(viaRsa).page.get('Server certificate'), 'RSA 2048 bits, rsa_pss_rsae_sha256');
    });
  });

  it('a client offering only suites puretls lacks (AES-CBC) gets a handshake_failure alert', async () => {
    const s = await demo();
    const r = await gnutlsCli(s.port, ['--priority', `${TLS12_ONLY}:-CIPHER-ALL:+AES-128-CBC:+AES-256-CBC`]);
    assert.notEqual(r.code, 0, describeRun('gnutls-cli', r));
    assert.match(r.stdout + r.stderr, /Received alert \[40\]: Handshake failed/);
    assert.equal(s.seen.secure.length, 0);
  });
});
