/**
 * The error-code table of the README, row by row: each bad input is sent to a node:tls
 * server and to a puretls server made from the same options, and the error each reports
 * (tlsClientError, or the socket's 'error' after the handshake; a throw for configuration)
 * must carry the row's code; ours must also carry the row's precise reason. The README's
 * table must list exactly these rows.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, it } from 'mocha';
import { errorCode } from '../../src/errors.js';
import { X509_V_ERR } from '../../src/pki/verify.js';
import puretls from '../../src/index.js';
import { clientCerts } from '../helpers/client-certs.js';
import { listenOnLoopback, testCertificate } from '../helpers/fixtures.js';
import { TcpTlsClient, TlsClient, concat, encodeRecord, handshakeMessage, type ClientOptions } from '../helpers/tls-client.js';

type Kind = 'node:tls' | 'puretls';
type Act = (port: number) => Promise<void>;

interface Row {
  /** As the README's table says it. */
  situation: string;
  code: string;
  /** puretls's reason (our errors only). */
  reason: string;
  act: Act;
  /** Server options both servers get (beyond key and cert). */
  options?: tls.TlsOptions;
  /** Where the error shows: tlsClientError (a failed handshake) or the socket's 'error' (after it). */
  via?: 'tlsClientError' | 'socket';
}

const open: Array<{ destroy(): void }> = [];

/** Sends bytes on a plain TCP connection, then waits for the server to close (or 1.5 s). */
function raw(bytes: Uint8Array | string): Act {
  return async (port) => {
    const s = net.connect(port, '127.0.0.1');
    open.push(s);
    s.on('error', () => undefined);
    await new Promise((resolve) => s.once('connect', resolve));
    s.write(typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
    await closedOrAfter(new Promise((resolve) => s.once('close', resolve)));
  };
}

function closedOrAfter(closed: Promise<unknown>, ms = 1500): Promise<unknown> {
  return Promise.race([closed, new Promise((resolve) => setTimeout(resolve, ms))]);
}

/** A ClientHello with these options, alone. */
function hello(options: ClientOptions): Act {
  return raw(new TlsClient(options).start());
}

/** A handshake up to the server's first flight, then `next` instead of (or as) the client's second flight. */
function flight(next: (c: TcpTlsClient) => Uint8Array, options: ClientOptions = {}): Act {
  return async (port) => {
    const c = await TcpTlsClient.connect(port, { autoRespond: false, ...options });
    open.push(c);
    c.send(c.tls.start());
    await c.waitFor(() => c.tls.phase === 'SendFlight', "the server's first flight");
    c.send(next(c));
    await closedOrAfter(c.closed);
  };
}

/** A whole handshake, then `next`. */
function established(next: (c: TcpTlsClient) => Uint8Array): Act {
  return async (port) => {
    const c = await TcpTlsClient.connect(port);
    open.push(c);
    await c.handshake();
    c.send(next(c));
    await closedOrAfter(c.closed);
  };
}

const alert = (level: number, description: number): Uint8Array => encodeRecord(21, 0x0303, Uint8Array.of(level, description));
const requireCert = (): tls.TlsOptions => ({ requestCert: true, rejectUnauthorized: true, ca: clientCerts().root.pem });

/** The README's table, in its order. */
const ROWS: readonly Row[] = [
  { situation: 'plain HTTP on the TLS port', code: 'ERR_SSL_HTTP_REQUEST', reason: 'ERR_HTTP_REQUEST', act: raw('GET / HTTP/1.1\r\nHost: x\r\n\r\n') },
  { situation: 'an HTTP proxy request (CONNECT) on the TLS port', code: 'ERR_SSL_HTTPS_PROXY_REQUEST', reason: 'ERR_HTTPS_PROXY_REQUEST', act: raw('CONNECT x:443 HTTP/1.1\r\n\r\n') },
  { situation: 'a record version other than 3.x', code: 'ERR_SSL_WRONG_VERSION_NUMBER', reason: 'ERR_WRONG_VERSION_NUMBER', act: raw(encodeRecord(22, 0x0503, new Uint8Array(10))) },
  { situation: 'an unknown record content type', code: 'ERR_SSL_UNEXPECTED_MESSAGE', reason: 'ERR_UNKNOWN_RECORD_TYPE', act: raw(encodeRecord(99, 0x0303, new Uint8Array(10))) },
  {
    situation: 'a record in clear longer than 2^14 bytes',
    code: 'ERR_SSL_DATA_LENGTH_TOO_LONG',
    reason: 'ERR_DATA_LENGTH_TOO_LONG',
    act: raw(concat(Uint8Array.of(22, 3, 3, 0x40, 0x01), new Uint8Array(16385))),
  },
  {
    situation: 'an SSLv2-format ClientHello',
    code: 'ERR_SSL_UNSUPPORTED_PROTOCOL',
    reason: 'ERR_SSLV2_CLIENT_HELLO',
    act: raw(Uint8Array.of(0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0, 0, 0, 0x10, ...new Array<number>(0x25).fill(1))),
  },
  { situation: 'a client without TLS 1.2', code: 'ERR_SSL_UNSUPPORTED_PROTOCOL', reason: 'ERR_UNSUPPORTED_PROTOCOL', act: hello({ clientVersion: 0x0301 }) },
  { situation: 'no cipher suite in common', code: 'ERR_SSL_NO_SHARED_CIPHER', reason: 'ERR_NO_SHARED_CIPHER', act: hello({ cipherSuites: [0x002f] }) },
  { situation: "no group in common, or the certificate's curve not offered", code: 'ERR_SSL_NO_SHARED_CIPHER', reason: 'ERR_NO_SHARED_GROUP', act: hello({ groups: [0x0019] }) },
  {
    situation: 'no signature algorithm in common for our certificate',
    code: 'ERR_SSL_NO_SHARED_CIPHER',
    reason: 'ERR_NO_SHARED_SIGALG',
    act: hello({ signatureAlgorithms: [0x0401, 0x0804] }),
  },
  { situation: 'no null compression offered', code: 'ERR_SSL_NO_COMPRESSION_SPECIFIED', reason: 'ERR_NO_COMPRESSION_SPECIFIED', act: hello({ compressionMethods: [1] }) },
  {
    situation: 'an extension sent twice',
    code: 'ERR_SSL_BAD_EXTENSION',
    reason: 'ERR_DUPLICATE_EXTENSION',
    act: hello({ extraExtensions: [{ type: 23, data: new Uint8Array(0) }] }),
  },
  {
    situation: 'a truncated ClientHello',
    code: 'ERR_SSL_LENGTH_MISMATCH',
    reason: 'ERR_LENGTH_MISMATCH',
    act: raw(encodeRecord(22, 0x0301, handshakeMessage(1, new Uint8Array(10)))),
  },
  {
    situation: 'a ClientHello announcing more than 131,396 bytes',
    code: 'ERR_SSL_EXCESSIVE_MESSAGE_SIZE',
    reason: 'ERR_EXCESSIVE_MESSAGE_SIZE',
    act: raw(encodeRecord(22, 0x0301, Uint8Array.of(1, 0x02, 0x10, 0x00))),
  },
  {
    situation: 'a handshake message out of order (Finished first)',
    code: 'ERR_SSL_UNEXPECTED_MESSAGE',
    reason: 'ERR_TLS_ALERT_UNEXPECTED_MESSAGE',
    act: raw(encodeRecord(22, 0x0301, handshakeMessage(20, new Uint8Array(12)))),
  },
  {
    situation: 'application data before the handshake',
    code: 'ERR_SSL_UNEXPECTED_MESSAGE',
    reason: 'ERR_TLS_ALERT_UNEXPECTED_MESSAGE',
    act: raw(encodeRecord(23, 0x0301, new Uint8Array(10))),
  },
  {
    situation: 'no ALPN protocol in common',
    code: 'ERR_SSL_NO_APPLICATION_PROTOCOL',
    reason: 'ERR_TLS_ALERT_NO_APPLICATION_PROTOCOL',
    act: hello({ alpn: ['nope'] }),
    options: { ALPNProtocols: ['h2'] },
  },
  {
    situation: 'a ChangeCipherSpec that is not the byte 1',
    code: 'ERR_SSL_BAD_CHANGE_CIPHER_SPEC',
    reason: 'ERR_BAD_CHANGE_CIPHER_SPEC',
    act: flight((c) => concat(c.tls.handshakeRecord(c.tls.makeClientKeyExchange()), encodeRecord(20, 0x0303, Uint8Array.of(2)))),
  },
  {
    situation: "the client's Finished does not verify",
    code: 'ERR_SSL_DIGEST_CHECK_FAILED',
    reason: 'ERR_BAD_FINISHED',
    act: flight((c) => c.tls.secondFlight({ tamperFinished: true })),
  },
  {
    situation: 'a record that does not authenticate, AES-GCM',
    code: 'ERR_SSL_CIPHER_OPERATION_FAILED',
    reason: 'ERR_AES_GCM_TAG_MISMATCH',
    act: flight((c) => {
      const f = c.tls.secondFlight();
      f[f.length - 1]! ^= 1;
      return f;
    }),
  },
  {
    situation: 'a record that does not authenticate, ChaCha20-Poly1305',
    code: 'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC',
    reason: 'ERR_BAD_RECORD_MAC',
    act: flight(
      (c) => {
        const f = c.tls.secondFlight();
        f[f.length - 1]! ^= 1;
        return f;
      },
      { cipherSuites: [0xcca9] },
    ),
  },
  {
    situation: 'an alert with an unknown level',
    code: 'ERR_SSL_UNKNOWN_ALERT_TYPE',
    reason: 'ERR_UNKNOWN_ALERT_TYPE',
    act: flight(() => alert(3, 0)),
  },
  {
    situation: 'five warning alerts in a row',
    code: 'ERR_SSL_TOO_MANY_WARN_ALERTS',
    reason: 'ERR_TOO_MANY_WARN_ALERTS',
    act: flight(() => concat(...Array.from({ length: 5 }, () => alert(1, 90)))),
  },
  {
    situation: 'more than 32 empty records in a row (after the handshake)',
    code: 'ERR_SSL_RECORD_TOO_SMALL',
    reason: 'ERR_RECORD_TOO_SMALL',
    act: established((c) => concat(...Array.from({ length: 40 }, () => c.tls.record(23, new Uint8Array(0))))),
    via: 'socket',
  },
  {
    situation: 'the client sends a fatal handshake_failure',
    code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
    reason: 'ERR_TLS_ALERT_HANDSHAKE_FAILURE',
    act: flight(() => alert(2, 40)),
  },
  { situation: 'the client sends a fatal bad_certificate', code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', reason: 'ERR_TLS_ALERT_BAD_CERTIFICATE', act: flight(() => alert(2, 42)) },
  { situation: 'the client sends a fatal unknown_ca', code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', reason: 'ERR_TLS_ALERT_UNKNOWN_CA', act: flight(() => alert(2, 48)) },
  { situation: 'the client sends a fatal decode_error', code: 'ERR_SSL_TLSV1_ALERT_DECODE_ERROR', reason: 'ERR_TLS_ALERT_DECODE_ERROR', act: flight(() => alert(2, 50)) },
  {
    situation: 'the client sends a fatal unrecognized_name',
    code: 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME',
    reason: 'ERR_TLS_ALERT_UNRECOGNIZED_NAME',
    act: flight(() => alert(2, 112)),
  },
  {
    situation: 'the client sends a fatal no_application_protocol',
    code: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL',
    reason: 'ERR_TLS_ALERT_NO_APPLICATION_PROTOCOL',
    act: flight(() => alert(2, 120)),
  },
  {
    situation: 'the client sends close_notify during the handshake',
    code: 'ECONNRESET',
    reason: 'ERR_CLOSED_DURING_HANDSHAKE',
    act: flight(() => alert(1, 0)),
  },
  {
    situation: 'no client certificate where one is required',
    code: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
    reason: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
    act: flight((c) => c.tls.secondFlight()),
    options: requireCert(),
  },
  {
    situation: "the client's CertificateVerify does not verify",
    code: 'ERR_SSL_BAD_SIGNATURE',
    reason: 'ERR_BAD_SIGNATURE',
    act: async (port) => {
      const c = clientCerts().p256;
      await flight(
        (client) =>
          concat(
            client.tls.handshakeRecord(client.tls.makeCertificate()),
            client.tls.handshakeRecord(client.tls.makeClientKeyExchange()),
            client.tls.handshakeRecord(client.tls.makeCertificateVerify({ tamper: true })),
            client.tls.changeCipherSpec(),
            client.tls.handshakeRecord(client.tls.makeFinished()),
          ),
        { clientCertificate: { chain: [c.der], key: c.keyPem } },
      )(port);
    },
    options: requireCert(),
  },
];

/** Errors that are not the peer's: the Node layer's (no reason of ours beyond node's code). */
const NODE_LAYER_ROWS = [
  { situation: 'the client closes TCP during the handshake', code: 'ECONNRESET' },
  { situation: 'no handshake within handshakeTimeout', code: 'ERR_TLS_HANDSHAKE_TIMEOUT' },
] as const;

/** Configuration: the same bad option to node:tls and to puretls. */
const CONFIG_ROWS: ReadonlyArray<{ situation: string; code: string; reason: string; make: (t: typeof tls) => unknown }> = [
  { situation: "minVersion: 'TLSv9'", code: 'ERR_TLS_INVALID_PROTOCOL_VERSION', reason: 'ERR_TLS_INVALID_PROTOCOL_VERSION', make: (t) => t.createServer({ minVersion: 'TLSv9' as tls.SecureVersion }) },
  { situation: "ciphers: 'NOPE'", code: 'ERR_SSL_NO_CIPHER_MATCH', reason: 'ERR_NO_CIPHER_MATCH', make: (t) => t.createSecureContext({ ciphers: 'NOPE' }) },
  { situation: "ecdhCurve: 'nope'", code: 'ERR_CRYPTO_OPERATION_FAILED', reason: 'ERR_INVALID_GROUP', make: (t) => t.createSecureContext({ ecdhCurve: 'nope' }) },
  { situation: 'ticketKeys of 10 bytes', code: 'ERR_INVALID_ARG_VALUE', reason: 'ERR_INVALID_TICKET_KEYS', make: (t) => t.createServer({ ticketKeys: Buffer.alloc(10) }) },
  { situation: 'sessionTimeout: -1', code: 'ERR_OUT_OF_RANGE', reason: 'ERR_OUT_OF_RANGE', make: (t) => t.createServer({ sessionTimeout: -1 }) },
  { situation: 'options that are not an object', code: 'ERR_INVALID_ARG_TYPE', reason: 'ERR_INVALID_ARG_TYPE', make: (t) => t.createServer(5 as unknown as tls.TlsOptions) },
  { situation: 'SNICallback that is not a function', code: 'ERR_INVALID_ARG_TYPE', reason: 'ERR_INVALID_ARG_TYPE', make: (t) => t.createServer({ SNICallback: 5 as unknown as tls.TlsOptions['SNICallback'] }) },
  { situation: 'handshakeTimeout that is not a number', code: 'ERR_INVALID_ARG_TYPE', reason: 'ERR_INVALID_ARG_TYPE', make: (t) => t.createServer({ handshakeTimeout: 'x' as unknown as number }) },
  { situation: "addContext('')", code: 'ERR_TLS_REQUIRED_SERVER_NAME', reason: 'ERR_TLS_REQUIRED_SERVER_NAME', make: (t) => t.createServer({}).addContext('', {}) },
  { situation: 'setSecureContext(5)', code: 'ERR_INVALID_ARG_TYPE', reason: 'ERR_INVALID_ARG_TYPE', make: (t) => t.createServer({}).setSecureContext(5 as unknown as tls.SecureContextOptions) },
];

/** The first error the server reports for `row`'s input. */
async function observe(kind: Kind, row: Row): Promise<(Error & { code?: string; reason?: string }) | undefined> {
  const cert = testCertificate();
  const options: tls.TlsOptions = { key: cert.keyPem, cert: cert.certPem, ...row.options };
  const server: net.Server =
    kind === 'node:tls' ? tls.createServer({ ...options, maxVersion: 'TLSv1.2' }) : puretls.createServer(options);
  const errors: Array<Error & { code?: string; reason?: string }> = [];
  server.on('tlsClientError', (e: Error) => errors.push(e));
  server.on('secureConnection', (s: net.Socket) => s.on('error', (e: Error) => errors.push(e)));
  const listening = await listenOnLoopback(server);
  try {
    await row.act(listening.port);
    for (let i = 0; i < 20 && errors.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
  } finally {
    for (const s of open.splice(0)) s.destroy();
    await listening.close();
  }
  return errors[0];
}

function readmeTable(): string[][] {
  const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../README.md'), 'utf8');
  const start = readme.indexOf('### Error codes');
  assert.ok(start >= 0, 'the README has an "Error codes" section');
  const next = readme.slice(start + 1).search(/\n#{2,3} /);
  const section = readme.slice(start, next < 0 ? undefined : start + 1 + next);
  return section
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| ---'))
    .slice(1)
    .map((l) => l.split(' | ').map((cell) => cell.replace(/^\| |\s*\|$/g, '').trim()));
}

describe('node: error codes equal node:tls\'s, row by row (the README table)', function () {
  this.timeout(60_000);

  afterEach(() => {
    for (const s of open.splice(0)) s.destroy();
  });

  for (const row of ROWS) {
    it(`${row.situation}: ${row.code} (${row.reason})`, async () => {
      const node = await observe('node:tls', row);
      const ours = await observe('puretls', row);
      assert.equal(node?.code, row.code, `node:tls: ${node?.message}`);
      assert.equal(ours?.code, row.code, `puretls: ${ours?.message}`);
      assert.equal(ours?.reason, row.reason, ours?.message);
    });
  }

  it('the Node layer\'s: a TCP close during the handshake (ECONNRESET), a handshake timeout (ERR_TLS_HANDSHAKE_TIMEOUT)', async () => {
    const closeEarly: Row = { situation: NODE_LAYER_ROWS[0].situation, code: 'ECONNRESET', reason: '', act: async (port) => {
      const s = net.connect(port, '127.0.0.1');
      open.push(s);
      s.on('error', () => undefined);
      await new Promise((resolve) => s.once('connect', resolve));
      s.end();
      await new Promise((resolve) => s.once('close', resolve));
    } };
    const silent: Row = { situation: NODE_LAYER_ROWS[1].situation, code: 'ERR_TLS_HANDSHAKE_TIMEOUT', reason: '', options: { handshakeTimeout: 200 }, act: async (port) => {
      const s = net.connect(port, '127.0.0.1');
      open.push(s);
      s.on('error', () => undefined);
      await new Promise((resolve) => setTimeout(resolve, 600));
    } };
    for (const row of [closeEarly, silent]) {
      for (const kind of ['node:tls', 'puretls'] as const) assert.equal((await observe(kind, row))?.code, row.code, `${kind}: ${row.situation}`);
    }
  });

  for (const row of CONFIG_ROWS) {
    it(`configuration, ${row.situation}: ${row.code}`, () => {
      assert.throws(() => row.make(tls), { code: row.code }, 'node:tls');
      assert.throws(() => row.make(puretls as unknown as typeof tls), (e: unknown) => {
        assert.equal((e as { code?: string }).code, row.code);
        assert.equal((e as { reason?: string }).reason, row.reason);
        return true;
      });
    });
  }

  it('the README table lists exactly these rows, with these codes and reasons', () => {
    const table = readmeTable().map((cells) => [cells[0], cells[1], cells[2]].map((c) => c?.replace(/`/g, '')));
    const expected = [
      ...ROWS.map((r) => [r.situation, r.code, r.reason]),
      ...NODE_LAYER_ROWS.map((r) => [r.situation, r.code, '—']),
      ...CONFIG_ROWS.map((r) => [r.situation.replace(/`/g, ''), r.code, r.reason]),
    ];
    assert.deepEqual(table, expected);
  });

  it('one naming scheme: reasons written in src/ and the codes errors.ts maps them to', () => {
    const src = join(dirname(fileURLToPath(import.meta.url)), '../../../src');
    const reasons = new Set<string>();
    const walk = (dir: string): void => {
      for (const name of readdirSyncSafe(dir)) {
        const path = join(dir, name);
        if (name.endsWith('.ts')) {
          const text = readFileSync(path, 'utf8');
          for (const m of text.matchAll(/(?:fatal\([^;]*?, |Tls(?:Config|Decode)Error\(|(?:reason|code): )'([A-Z][A-Z0-9_]+)'/g)) reasons.add(m[1]!);
        } else if (!name.includes('.')) walk(path);
      }
    };
    walk(src);
    assert.ok(reasons.size > 40, `found ${reasons.size} reasons`);
    // errors.ts's table, read from its source: reason -> node's code.
    const errorsTs = readFileSync(join(src, 'errors.ts'), 'utf8');
    const table = errorsTs.slice(errorsTs.indexOf('const NODE_CODES'), errorsTs.indexOf('\n};', errorsTs.indexOf('const NODE_CODES')));
    const nodeCodes = new Map([...table.matchAll(/^ {2}([A-Z0-9_]+): '([A-Z0-9_]+)',$/gm)].map((m) => [m[1]!, m[2]!] as const));
    assert.ok(nodeCodes.size > 30, `read ${nodeCodes.size} rows of NODE_CODES`);
    const WORDS = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
    // node's own codes that a row may map to; any other value must be ours: ERR_ + the reason.
    const NODE_FAMILY = /^(?:ERR_SSL_[A-Z0-9_]+|ERR_INVALID_ARG_VALUE|ERR_CRYPTO_OPERATION_FAILED|ECONNRESET)$/;
    for (const [reason, code] of nodeCodes) {
      assert.match(reason, WORDS, `NODE_CODES key ${reason}`);
      assert.match(code, /^(?:ERR_[A-Z0-9]+(?:_[A-Z0-9]+)*|ECONNRESET)$/, `NODE_CODES[${reason}]`);
      assert.ok(NODE_FAMILY.test(code) || code === (reason.startsWith('ERR_') ? reason : `ERR_${reason}`), `NODE_CODES[${reason}] = ${code}: neither node's code nor ERR_ + the reason`);
    }
    // A reason is ERR_ and upper-case words, or a name OpenSSL gives it: an X509_V_ERR short
    // name (node's authorizationError), or one with its own row in NODE_CODES.
    const x509Names = new Set(['OK', ...Object.keys(X509_V_ERR)]);
    for (const reason of reasons) {
      assert.match(reason, WORDS, reason);
      assert.ok(reason.startsWith('ERR_') || x509Names.has(reason) || nodeCodes.has(reason) || reason === 'ECONNRESET', `${reason}: outside the naming scheme`);
    }
    assert.equal(errorCode('ERR_INVALID_ARG'), 'ERR_INVALID_ARG_VALUE', 'one code for an invalid argument');
  });
});

function readdirSyncSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
