/**
 * Java's JSSE (test/interop/java-client/Client.java, run with the single-file launcher
 * `java Client.java`) against the demo server: an SSLContext trusting only the test
 * certificate (PEM loaded through CertificateFactory into a KeyStore), TLS 1.2 only, ALPN
 * http/1.1, endpoint identification HTTPS. For JSSE's default offer and for each of our
 * suites: a GET on a fresh SSLContext, then a second connection from the same SSLContext,
 * which must resume (Java 17 sends extended_master_secret).
 *
 * The JVM starts once (about 2 s) and makes all eight connections; each `it` checks its part.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'mocha';
import {
  EXT,
  Processes,
  SUITES,
  TempDirs,
  demoPageRows,
  describeRun,
  peerUnavailable,
  requirePeer,
  startObservedDemo,
  writeTestCertificate,
  type ObservedServer,
  type ServerSaw,
} from '../helpers/peers.js';

const CLIENT = fileURLToPath(
  new URL(import.meta.url.includes('/dist/') ? '../../../test/interop/java-client/Client.java' : './java-client/Client.java', import.meta.url),
);

interface JavaConnection {
  protocol: string;
  cipher: string;
  alpn: string;
  sessionId: string;
  creationTime: number;
  response: string;
}

interface JavaReport {
  javaVersion: string;
  runs: Array<{ suite: string | null; connections: JavaConnection[] }>;
}

/** The runs, in order: JSSE's default list, then each suite alone. */
const RUNS = [{ arg: 'default', expect: SUITES[0], title: "JSSE's default offer" }, ...SUITES.map((s) => ({ arg: s.iana, expect: s, title: s.iana }))];

describe('interop: Java JSSE client against the puretls demo server', function () {
  this.timeout(90_000);
  const procs = new Processes();
  const temp = new TempDirs();
  let server: ObservedServer | undefined;
  let report: JavaReport;
  let seen: ServerSaw[];

  before(async function () {
    const java = requirePeer(this, 'java', 'default-jdk-headless');
    // The single-file launcher compiles the source in memory: a JRE alone cannot.
    const modules = await procs.run(java, ['--list-modules']);
    if (!/^jdk\.compiler@/m.test(modules.stdout)) {
      peerUnavailable(this, `'${java}' has no jdk.compiler module (a JRE, not a JDK): 'java Client.java' needs a JDK (apt-get install default-jdk-headless)`);
    }
    const certFile = writeTestCertificate(temp.make('puretls-java-')).certFile;
    server = await startObservedDemo();
    const r = await procs.run(java, [CLIENT, String(server.port), certFile, '2', RUNS.map((x) => x.arg).join(',')], { killAfterMs: 80_000 });
    assert.equal(r.code, 0, describeRun('java Client.java', r));
    report = JSON.parse(r.stdout) as JavaReport;
    console.log(`      using Java ${report.javaVersion}`);
    seen = await server.seen.waitForSecure(2 * RUNS.length);
  });

  after(async () => {
    await procs.killAll();
    await server?.close();
    temp.dispose();
  });

  RUNS.forEach((run, i) => {
    it(`${run.title}: a GET, then a second connection from the same SSLContext resumes`, () => {
      const { connections } = report.runs[i]!;
      assert.equal(connections.length, 2);
      const [first, second] = connections as [JavaConnection, JavaConnection];

      // What JSSE reports. JSSE has no "resumed" flag: a resumed session is the same session,
      // with the same ID and creation time; a fresh one would have a new ID.
      for (const c of connections) {
        assert.equal(c.protocol, 'TLSv1.2');
        assert.equal(c.cipher, run.expect.iana);
        assert.equal(c.alpn, 'http/1.1');
        assert.match(c.response, /^HTTP\/1\.1 200 OK\r\n/);
      }
      assert.match(first.sessionId, /^[0-9a-f]{64}$/);
      assert.equal(second.sessionId, first.sessionId);
      assert.equal(second.creationTime, first.creationTime);

      // The pages the server sent.
      const pages = connections.map((c) => demoPageRows(c.response));
      assert.equal(pages[0]!.get('Session reused'), 'no');
      assert.equal(pages[1]!.get('Session reused'), 'yes');
      assert.equal(pages[0]!.get('Extended master secret'), 'yes');
      assert.equal(pages[0]!.get('SNI'), 'localhost');
      assert.equal(pages[1]!.get('Cipher'), `${run.expect.openssl} (${run.expect.iana})`);

      // What the server saw.
      const mine = seen.slice(2 * i, 2 * i + 2);
      for (const saw of mine) {
        assert.equal(saw.protocol, 'TLSv1.2');
        assert.equal(saw.cipher, run.expect.openssl);
        assert.equal(saw.servername, 'localhost');
        assert.equal(saw.alpn, 'http/1.1');
        assert.equal(saw.extendedMasterSecret, true);
      }
      assert.deepEqual(
        mine.map((x) => x.reused),
        [false, true],
      );
      // The second ClientHello offered the first session (by ticket, or by its ID).
      const hello = server!.seen.hellos[2 * i + 1]!;
      assert.ok(hello.extensions.has(EXT.extended_master_secret));
      const offeredTicket = (hello.extensions.get(EXT.session_ticket)?.length ?? 0) > 0;
      assert.ok(offeredTicket || hello.sessionId === first.sessionId, 'the second ClientHello offers the session');
    });
  });
});
