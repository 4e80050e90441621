/**
 * Go's crypto/tls (net/http client, test/interop/go-client/main.go, built here with `go build`)
 * against the demo server: MaxVersion TLS 1.2, RootCAs = the test certificate, one
 * ClientSessionCache per run, two GETs per run on fresh connections.
 *
 * Go before 1.21 (Debian 12 has 1.19) sends no extended_master_secret, and puretls never
 * resumes a session made without EMS (docs/SPEC-sid-ctx.md rule 5). So Go offers its ticket on the
 * second connection and the server must decline it with a full handshake: DidResume false on
 * both sides, every time. A Go that does offer EMS must resume instead; the test reads which
 * from the ClientHello on the wire.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'mocha';
import {
  EXT,
  SUITES,
  demoPageRows,
  describeRun,
  requirePeer,
  startObservedDemo,
  writeTestCertificate,
  interopFixture,
} from '../helpers/peers.js';

/** The Go program's source, found from dist/test/interop/ (compiled) or test/interop/. */
const SOURCE_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../test/interop/go-client/' : './go-client/', import.meta.url));

interface GoConnection {
  version: string;
  cipher: string;
  didResume: boolean;
  alpn: string;
  serverName: string;
  status: number;
  body: string;
}

interface GoReport {
  goVersion: string;
  runs: Array<{ suite: string; connections: GoConnection[] }>;
  error?: string;
}

describe('interop: Go crypto/tls client against the puretls demo server', function () {
  this.timeout(120_000);
  const { procs, temp, servers } = interopFixture();
  let binary = '';
  let certFile = '';

  before(async function () {
    const go = requirePeer(this, 'go', 'golang-go');
    const dir = temp.make('puretls-go-');
    certFile = writeTestCertificate(dir).certFile;
    binary = join(dir, 'goclient');
    // A file-list build needs no module; keep the user's build cache when there is one.
    const env: NodeJS.ProcessEnv = { ...process.env, GOFLAGS: '', GOTOOLCHAIN: 'local', GOPATH: join(dir, 'gopath') };
    if (!env.GOCACHE && !env.HOME && !env.XDG_CACHE_HOME) env.GOCACHE = join(tmpdir(), 'puretls-go-build-cache');
    const r = await procs.run(go, ['build', '-o', binary, 'main.go'], { cwd: SOURCE_DIR, env, killAfterMs: 110_000 });
    assert.equal(r.code, 0, describeRun('go build', r));
    const v = await procs.run(go, ['version'], { env });
    console.log(`      using ${v.stdout.trim()}`);
  });

  async function runGo(port: number, args: string[]): Promise<GoReport> {
    const r = await procs.run(binary, ['-port', String(port), '-ca', certFile, '-name', 'localhost', '-n', '2', ...args]);
    assert.equal(r.code, 0, describeRun('goclient', r));
    const report = JSON.parse(r.stdout) as GoReport;
    assert.equal(report.error, undefined);
    return report;
  }

  it("Go's default offer: two GETs; resumption only if Go offers EMS (Go 1.19 does not: two full handshakes)", async () => {
    const s = await startObservedDemo();
    servers.push(s);
    const report = await runGo(s.port, []);
    const connections = report.runs[0]!.connections;
    assert.equal(connections.length, 2);
    for (const c of connections) {
      assert.equal(c.version, 'TLSv1.2');
      assert.equal(c.cipher, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
      assert.equal(c.alpn, 'http/1.1');
      assert.equal(c.status, 200);
      assert.equal(demoPageRows(c.body).get('SNI'), 'localhost');
    }

    const seen = await s.seen.waitForSecure(2);
    const [hello1, hello2] = s.seen.hellos;
    const offersEms = hello1!.extensions.has(EXT.extended_master_secret);
    assert.equal(hello2!.extensions.has(EXT.extended_master_secret), offersEms);
    // Go asks for a ticket; it gets one (and offers it next time) only with EMS, since a session
    // without EMS could never resume (rule 5).
    assert.equal(hello1!.extensions.get(EXT.session_ticket)?.length, 0);
    assert.equal((hello2!.extensions.get(EXT.session_ticket)?.length ?? 0) > 0, offersEms, 'Go offers a ticket only if it got one');
    for (const saw of seen) {
      assert.equal(saw.protocol, 'TLSv1.2');
      assert.equal(saw.cipher, 'ECDHE-ECDSA-AES128-GCM-SHA256');
      assert.equal(saw.servername, 'localhost');
      assert.equal(saw.alpn, 'http/1.1');
      assert.equal(saw.extendedMasterSecret, offersEms);
    }

    if (!offersEms) {
      // Rule 5: a session without EMS is never resumed. Full handshakes on both sides, always.
      assert.deepEqual(
        connections.map((c) => c.didResume),
        [false, false],
        `${report.goVersion} has no EMS: it must never resume`,
      );
      assert.deepEqual(
        seen.map((x) => x.reused),
        [false, false],
      );
      assert.equal(demoPageRows(connections[1]!.body).get('Extended master secret'), 'no');
      assert.equal(demoPageRows(connections[1]!.body).get('Session reused'), 'no');
      assert.notEqual(seen[1]!.group, undefined, 'the second connection did its own ECDHE');
    } else {
      assert.deepEqual(
        connections.map((c) => c.didResume),
        [false, true],
      );
      assert.deepEqual(
        seen.map((x) => x.reused),
        [false, true],
      );
    }
  });

  it('each suite (tls.Config.CipherSuites), two connections each', async () => {
    const s = await startObservedDemo();
    servers.push(s);
    const report = await runGo(s.port, ['-suites', SUITES.map((x) => x.iana).join(',')]);
    assert.equal(report.runs.length, SUITES.length);
    const seen = await s.seen.waitForSecure(2 * SUITES.length);
    const offersEms = s.seen.hellos[0]!.extensions.has(EXT.extended_master_secret);
    SUITES.forEach((suite, i) => {
      const run = report.runs[i]!;
      assert.equal(run.suite, suite.iana);
      assert.deepEqual(
        run.connections.map((c) => [c.version, c.cipher, c.didResume]),
        [
          ['TLSv1.2', suite.iana, false],
          ['TLSv1.2', suite.iana, offersEms],
        ],
      );
      assert.equal(demoPageRows(run.connections[0]!.body).get('Cipher'), `${suite.openssl} (${suite.iana})`);
      assert.deepEqual(
        seen.slice(2 * i, 2 * i + 2).map((x) => [x.cipher, x.reused, x.servername]),
        [
          [suite.openssl, false, 'localhost'],
          [suite.openssl, offersEms, 'localhost'],
        ],
      );
    });
  });
});
