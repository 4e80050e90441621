import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { AlertDescription as A, TlsError } from '../../src/errors.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { startServer, type RunningServer } from '../helpers/fixtures.js';
import {
  ContentType,
  HandshakeType,
  LARGEST_CLIENT_HELLO_BODY,
  Suite,
  TcpTlsClient,
  TlsClient,
  concat,
  encodeRecord,
  flipBit,
  handshakeMessage,
  hex,
  largestHelloOptions,
  seededRandom,
  splitRecords,
  type ClientOptions,
} from '../helpers/tls-client.js';

/** 15 03 03 00 02 <level> <description>: an alert record in clear. */
function plainAlert(description: number, level = 2): string {
  return hex(Uint8Array.of(21, 3, 3, 0, 2, level, description));
}

describe('misbehaving clients over TCP', function () {
  let running: RunningServer;
  let clientErrors: Error[] = [];
  let onClientError: (() => void) | undefined;
  const serverSocketErrors: Error[] = [];
  /** Called on every 'error' a server-side socket emits (see serverSocketError). */
  const serverSocketErrorWaiters = new Set<() => void>();
  const open: TcpTlsClient[] = [];

  before(async () => {
    running = await startServer({}, (socket: TlsSocket) => {
      socket.on('data', (d: Buffer) => socket.write(d)); // echo
      socket.on('error', (e: Error) => {
        serverSocketErrors.push(e);
        for (const waiter of serverSocketErrorWaiters) waiter();
      });
    });
    running.server.on('tlsClientError', (err: Error) => {
      clientErrors.push(err);
      onClientError?.();
    });
  });

  after(async () => {
    await running.close();
  });

  beforeEach(() => {
    clientErrors = [];
  });

  afterEach(() => {
    for (const c of open.splice(0)) c.destroy();
  });

  /** How many server socket errors there were when each client connected: the later ones can be its own. */
  const errorsAtConnect = new WeakMap<TcpTlsClient, number>();

  async function connect(options: ClientOptions = {}): Promise<TcpTlsClient> {
    const before = serverSocketErrors.length;
    const c = await TcpTlsClient.connect(running.port, { rng: seededRandom('tcp negative'), ...options });
    errorsAtConnect.set(c, before);
    open.push(c);
    return c;
  }

  /**
   * The first server socket 'error' that matches (it may already have been emitted): the
   * socket reports it on its own schedule, not the client's, so a closed client says nothing
   * about whether it came yet. Rejects after `ms` so a missing error fails by name.
   */
  function serverSocketError(since: number, matches: (e: Error) => boolean, what: string, ms = 10_000): Promise<Error> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = serverSocketErrors.slice(since).find(matches);
        if (found === undefined) return false;
        done();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no server socket error ${what} within ${ms} ms (got: ${serverSocketErrors.map(String).join('; ') || 'none'})`));
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        serverSocketErrorWaiters.delete(check);
      };
      if (!check()) serverSocketErrorWaiters.add(check);
    });
  }

  /** The next tlsClientError the server emits (it may already have). */
  function nextClientError(): Promise<Error> {
    if (clientErrors.length > 0) return Promise.resolve(clientErrors.shift()!);
    return new Promise((resolve) => {
      onClientError = () => {
        onClientError = undefined;
        resolve(clientErrors.shift()!);
      };
    });
  }

  async function expectClientError(alert: number, code?: string): Promise<TlsError> {
    const err = await nextClientError();
    assert.ok(err instanceof TlsError, `tlsClientError is a TlsError: ${String(err)}`);
    assert.equal(err.alert, alert, err.message);
    if (code) assert.equal(err.reason, code);
    return err;
  }

  /** The same server still serves a well-behaved client. */
  async function serverStillWorks(): Promise<void> {
    const c = await connect({ rng: seededRandom('good client') });
    await c.handshake();
    const echoed = await c.roundTrip(new TextEncoder().encode('still alive'));
    assert.equal(Buffer.from(echoed).toString(), 'still alive');
    c.destroy();
  }

  /** Sends raw bytes as the first thing on a connection and waits for the server to close it. */
  async function sendRaw(bytes: Uint8Array): Promise<TcpTlsClient> {
    const c = await connect({ autoRespond: false });
    c.send(bytes);
    await c.closed;
    return c;
  }

  /** Connects, sends the ClientHello, waits for the whole first server flight. */
  async function afterServerFlight(options: ClientOptions = {}): Promise<TcpTlsClient> {
    const c = await connect({ autoRespond: false, ...options });
    c.send(c.tls.start());
    await c.waitFor(() => c.tls.phase === 'SendFlight', 'ServerHelloDone');
    return c;
  }

  /** The records the server sent after its first flight. */
  function afterFlight(c: TcpTlsClient): string[] {
    const all = c.tls.records;
    const firstFlightEnd = all.findIndex((r) => r.type === ContentType.handshake && r.plaintext.includes(HandshakeType.server_hello_done));
    return all.slice(firstFlightEnd + 1).map((r) => hex(r.raw));
  }

  async function expectClosedWith(c: TcpTlsClient, alert: string | undefined): Promise<void> {
    await c.closed;
    assert.equal(c.clientError, undefined, `client failed: ${String(c.clientError)}`);
    const { records, rest } = splitRecords(c.received);
    assert.equal(rest.length, 0, 'the server sent a partial record');
    if (alert === undefined) {
      assert.ok(records.every((r) => r.type !== ContentType.alert), 'no alert expected');
    } else {
      assert.equal(hex(records.at(-1)!.raw), alert);
    }
    assert.ok(c.gotEnd, 'the server closed the TCP connection');
  }

  it('a truncated ClientHello (consistent lengths, body cut short) is decode_error', async () => {
    const hello = new TlsClient({ rng: seededRandom('hello') }).buildClientHello();
    const cut = hello.subarray(4, 60); // into the cipher suites
    const c = await sendRaw(encodeRecord(22, 0x0301, handshakeMessage(HandshakeType.client_hello, cut)));
    await expectClosedWith(c, plainAlert(A.decode_error));
    assert.equal(hex(c.received), plainAlert(A.decode_error));
    await expectClientError(A.decode_error);
    await serverStillWorks();
  });

  it('a ClientHello that stops half-way, then FIN: no alert, tlsClientError ECONNRESET', async () => {
    const c = await connect({ autoRespond: false });
    c.send(c.tls.start().subarray(0, 40));
    c.socket.end();
    await c.closed;
    assert.equal(c.received.length, 0);
    const err = await nextClientError();
    assert.equal((err as NodeJS.ErrnoException).code, 'ECONNRESET');
    await serverStillWorks();
  });

  it('a bad record length (5, cutting the ClientHello) makes the next "header" start with 0x03: unexpected_message', async () => {
    const hello = new TlsClient({ rng: seededRandom('hello') }).buildClientHello();
    const bytes = concat(Uint8Array.of(22, 3, 1, 0, 5), hello);
    assert.equal(bytes[10], 3, 'the low byte of client_version becomes the next content type');
    const c = await sendRaw(bytes);
    await expectClosedWith(c, plainAlert(A.unexpected_message));
    assert.equal(hex(c.received), plainAlert(A.unexpected_message));
    await expectClientError(A.unexpected_message);
    await serverStillWorks();
  });

  it('an oversized record (2^14 + 1) is record_overflow from the header, without waiting for the body', async () => {
    const c = await sendRaw(Uint8Array.of(22, 3, 1, 0x40, 0x01, 1, 0, 0x3f, 0xfd));
    await expectClosedWith(c, plainAlert(A.record_overflow));
    assert.equal(hex(c.received), plainAlert(A.record_overflow));
    await expectClientError(A.record_overflow);
    await serverStillWorks();
  });

  it('a zero-length handshake record is unexpected_message', async () => {
    const c = await sendRaw(Uint8Array.of(22, 3, 1, 0, 0));
    await expectClosedWith(c, plainAlert(A.unexpected_message));
    assert.equal(hex(c.received), plainAlert(A.unexpected_message));
    await expectClientError(A.unexpected_message);
    await serverStillWorks();
  });

  it('garbage (an HTTP request) is unexpected_message', async () => {
    const c = await sendRaw(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    await expectClosedWith(c, plainAlert(A.unexpected_message));
    assert.equal(hex(c.received), plainAlert(A.unexpected_message));
    await expectClientError(A.unexpected_message);
    await serverStillWorks();
  });

  it('garbage (binary, a record of content type 0) is unexpected_message', async () => {
    const c = await sendRaw(concat(Uint8Array.of(0, 3, 3, 0, 4), seededRandom('garbage')(64)));
    await expectClosedWith(c, plainAlert(A.unexpected_message));
    await expectClientError(A.unexpected_message);
    await serverStillWorks();
  });

  it('an SSLv2-format ClientHello gets protocol_version and a clean close', async () => {
    const v2 = Uint8Array.of(0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10, ...new Uint8Array(0x15 + 0x10).fill(0x42));
    const c = await sendRaw(v2);
    await expectClosedWith(c, plainAlert(A.protocol_version));
    assert.equal(hex(c.received), plainAlert(A.protocol_version));
    assert.equal(c.socketError, undefined, 'closed cleanly, not reset');
    await expectClientError(A.protocol_version, 'ERR_SSLV2_CLIENT_HELLO');
    await serverStillWorks();
  });

  it('a Finished as the first message is unexpected_message', async () => {
    const c = await sendRaw(encodeRecord(22, 0x0301, handshakeMessage(HandshakeType.finished, new Uint8Array(12))));
    await expectClosedWith(c, plainAlert(A.unexpected_message));
    assert.equal(hex(c.received), plainAlert(A.unexpected_message));
    await expectClientError(A.unexpected_message);
    await serverStillWorks();
  });

  it('ChangeCipherSpec before ClientKeyExchange is unexpected_message', async () => {
    const c = await afterServerFlight();
    c.send(encodeRecord(ContentType.change_cipher_spec, 0x0303, Uint8Array.of(1)));
    await expectClosedWith(c, plainAlert(A.unexpected_message));
    assert.deepEqual(afterFlight(c), [plainAlert(A.unexpected_message)]);
    await expectClientError(A.unexpected_message);
    await serverStillWorks();
  });

  it('a second ClientHello in the middle of the handshake is unexpected_message', async () => {
    const c = await afterServerFlight();
    c.send(c.tls.handshakeRecord(c.tls.buildClientHello()));
    await expectClosedWith(c, plainAlert(A.unexpected_message));
    assert.deepEqual(afterFlight(c), [plainAlert(A.unexpected_message)]);
    await expectClientError(A.unexpected_message);
    await serverStillWorks();
  });

  it('application data before the handshake finished is unexpected_message', async () => {
    const c = await afterServerFlight();
    c.send(encodeRecord(ContentType.application_data, 0x0303, new TextEncoder().encode('too early')));
    await expectClosedWith(c, plainAlert(A.unexpected_message));
    assert.deepEqual(afterFlight(c), [plainAlert(A.unexpected_message)]);
    await expectClientError(A.unexpected_message);
    await serverStillWorks();
  });

  it('a bad Finished (verify_data with one bit flipped) is decrypt_error', async () => {
    const c = await afterServerFlight();
    c.send(c.tls.secondFlight({ tamperFinished: true }));
    await expectClosedWith(c, plainAlert(A.decrypt_error));
    assert.deepEqual(afterFlight(c), [plainAlert(A.decrypt_error)]);
    await expectClientError(A.decrypt_error, 'ERR_BAD_FINISHED');
    await serverStillWorks();
  });

  it('the Finished record with one ciphertext bit flipped is bad_record_mac', async () => {
    const c = await afterServerFlight();
    const cke = c.tls.handshakeRecord(c.tls.makeClientKeyExchange());
    const ccs = c.tls.changeCipherSpec();
    const finished = c.tls.handshakeRecord(c.tls.makeFinished());
    c.send(concat(cke, ccs, flipBit(finished, finished.length - 20, 3)));
    await expectClosedWith(c, plainAlert(A.bad_record_mac));
    assert.deepEqual(afterFlight(c), [plainAlert(A.bad_record_mac)]);
    await expectClientError(A.bad_record_mac);
    await serverStillWorks();
  });

  it('after the handshake, a flipped ciphertext bit gets an encrypted bad_record_mac, decrypted here', async () => {
    const c = await connect({ cipherSuites: [0xc02b] });
    await c.handshake();
    const errorsBefore = serverSocketErrors.length;
    const record = c.tls.write(new TextEncoder().encode('tampered in flight'));
    c.send(flipBit(record, 5 + 8, 0)); // first ciphertext byte, after the explicit nonce
    await c.closed;
    assert.equal(c.clientError, undefined);
    const last = c.tls.records.at(-1)!;
    assert.equal(last.type, ContentType.alert);
    assert.ok(last.encrypted);
    assert.equal(last.fragment.length, 8 + 2 + 16, 'explicit nonce, alert, tag');
    assert.equal(hex(last.plaintext), '0214');
    assert.deepEqual(c.tls.alerts, [{ level: 2, description: A.bad_record_mac, encrypted: true }]);
    assert.ok(c.gotEnd);
    assert.equal(clientErrors.length, 0, 'no tlsClientError after the handshake');
    const error = await serverSocketError(errorsBefore, () => true, 'after the flipped record');
    assert.equal((error as TlsError).alert, A.bad_record_mac);
    await serverStillWorks();
  });

  it('an alert with an unknown level is illegal_parameter', async () => {
    const c = await afterServerFlight();
    c.send(c.tls.alertRecord(3, A.close_notify));
    await expectClosedWith(c, plainAlert(A.illegal_parameter));
    assert.deepEqual(afterFlight(c), [plainAlert(A.illegal_parameter)]);
    await expectClientError(A.illegal_parameter, 'ERR_UNKNOWN_ALERT_TYPE');
    await serverStillWorks();
  });

  it('a warning alert with an unknown description is ignored, before and during the handshake', async () => {
    const c = await connect({ autoRespond: false });
    c.send(concat(encodeRecord(ContentType.alert, 0x0301, Uint8Array.of(1, 0xfe)), c.tls.start()));
    await c.waitFor(() => c.tls.phase === 'SendFlight', 'ServerHelloDone');
    c.send(concat(c.tls.alertRecord(1, 0xfd), c.tls.secondFlight()));
    await c.waitFor(() => c.tls.handshakeComplete, 'the handshake');
    assert.deepEqual(c.tls.alerts, []);
    const echoed = await c.roundTrip(Uint8Array.of(1, 2, 3));
    assert.equal(hex(echoed), '010203');
    assert.equal(clientErrors.length, 0);
  });

  it('(control) close_notify from the client is answered with an encrypted close_notify and FIN', async () => {
    const c = await connect();
    await c.handshake();
    assert.equal(hex(await c.roundTrip(Uint8Array.of(4, 5))), '0405');
    c.send(c.tls.closeNotify());
    await c.closed;
    assert.equal(c.clientError, undefined);
    assert.deepEqual(c.tls.alerts, [{ level: 1, description: A.close_notify, encrypted: true }]);
    assert.ok(c.gotEnd);
    assert.equal(clientErrors.length, 0);
  });

  describe('conformance and limits: signature algorithms, compression, SNI, message sizes, renegotiation, warning alerts, empty records', () => {
    /** A connected client with a completed handshake. */
    async function established(options: ClientOptions = {}): Promise<TcpTlsClient> {
      const c = await connect(options);
      await c.handshake();
      return c;
    }

    /** The last record the server sent, decrypted, is this fatal alert; the server closed. */
    async function expectEncryptedFatal(c: TcpTlsClient, alert: number, code: string): Promise<void> {
      await c.closed;
      assert.equal(c.clientError, undefined, `client failed: ${String(c.clientError)}`);
      assert.deepEqual(c.tls.alerts.at(-1), { level: 2, description: alert, encrypted: true });
      assert.ok(c.gotEnd, 'the server closed the TCP connection');
      const error = await serverSocketError(errorsAtConnect.get(c)!, (e) => e instanceof TlsError && e.reason === code, code);
      assert.equal((error as TlsError).alert, alert, `server socket error ${code}`);
    }

    it('no signature_algorithms (RFC 9155 forbids the SHA-1 default): handshake_failure', async () => {
      const c = await sendRaw(new TlsClient({ signatureAlgorithms: null }).start());
      await expectClosedWith(c, plainAlert(A.handshake_failure));
      assert.equal(hex(c.received), plainAlert(A.handshake_failure));
      await expectClientError(A.handshake_failure, 'ERR_NO_SHARED_SIGALG');
      await serverStillWorks();
    });

    it('a client offering only ecdsa+SHA-224 is served, the ServerKeyExchange signed with SHA-224', async () => {
      const c = await connect({ signatureAlgorithms: [0x0303] });
      await c.handshake();
      assert.equal(c.tls.serverKeyExchange!.signatureScheme, 0x0303);
      assert.equal(hex(await c.roundTrip(Uint8Array.of(2, 2, 4))), '020204');
    });

    it('compression methods without null: illegal_parameter', async () => {
      const c = await sendRaw(new TlsClient({ compressionMethods: [1] }).start());
      await expectClosedWith(c, plainAlert(A.illegal_parameter));
      await expectClientError(A.illegal_parameter, 'ERR_NO_COMPRESSION_SPECIFIED');
      await serverStillWorks();
    });

    it('an SNI host_name of 256 bytes: unrecognized_name', async () => {
      const c = await sendRaw(new TlsClient({ serverName: 'a'.repeat(256) }).start());
      await expectClosedWith(c, plainAlert(A.unrecognized_name));
      await expectClientError(A.unrecognized_name);
      await serverStillWorks();
    });

    const mixedSizes = (): number[] => {
      const rng = seededRandom('mixed record sizes');
      const sizes: number[] = [];
      for (let total = 0; total <= LARGEST_CLIENT_HELLO_BODY + 4; ) {
        const r = rng(2);
        const size = [1, 2, 3, 16384, 100, 16383, 7, 4096][r[0]! % 8]! + (r[1]! % 3);
        sizes.push(Math.min(size, 16384));
        total += sizes.at(-1)!;
      }
      return sizes;
    };
    for (const [name, sizes] of [['1-byte', [1]], ['16 KB', [16384]], ['mixed', mixedSizes()]] as const) {
      it(`the largest ClientHello (${LARGEST_CLIENT_HELLO_BODY} bytes) in ${name} records: the handshake completes`, async function () {
        this.timeout(60_000);
        const c = await connect({ ...largestHelloOptions({ cipherSuites: [Suite.AES128_GCM] }), helloRecordSizes: sizes });
        await c.handshake();
        assert.equal(c.tls.clientHello!.length, 4 + LARGEST_CLIENT_HELLO_BODY);
        assert.equal(hex(await c.roundTrip(Uint8Array.of(1, 3, 1))), '010301');
        assert.equal(clientErrors.length, 0);
      });
    }

    it('a ClientHello header announcing 131,397 bytes: decode_error from the 4-byte header alone', async () => {
      const n = LARGEST_CLIENT_HELLO_BODY + 1;
      const c = await sendRaw(encodeRecord(22, 0x0301, Uint8Array.of(HandshakeType.client_hello, n >>> 16, (n >>> 8) & 0xff, n & 0xff)));
      await expectClosedWith(c, plainAlert(A.decode_error));
      assert.equal(hex(c.received), plainAlert(A.decode_error));
      await expectClientError(A.decode_error, 'ERR_EXCESSIVE_MESSAGE_SIZE');
      await serverStillWorks();
    });

    it('a ClientKeyExchange header announcing 257 bytes: decode_error from the header alone', async () => {
      const c = await afterServerFlight();
      c.send(encodeRecord(22, 0x0303, Uint8Array.of(HandshakeType.client_key_exchange, 0, 1, 1)));
      await expectClosedWith(c, plainAlert(A.decode_error));
      assert.deepEqual(afterFlight(c), [plainAlert(A.decode_error)]);
      await expectClientError(A.decode_error, 'ERR_EXCESSIVE_MESSAGE_SIZE');
      await serverStillWorks();
    });

    it('a handshake type a client never sends (ServerHello announcing 16 MB): unexpected_message from the header', async () => {
      const c = await sendRaw(encodeRecord(22, 0x0301, Uint8Array.of(HandshakeType.server_hello, 0xff, 0xff, 0xff)));
      await expectClosedWith(c, plainAlert(A.unexpected_message));
      await expectClientError(A.unexpected_message);
      await serverStillWorks();
    });

    it('a ChangeCipherSpec whose body is 02: unexpected_message', async () => {
      const c = await afterServerFlight();
      c.send(concat(c.tls.handshakeRecord(c.tls.makeClientKeyExchange()), encodeRecord(ContentType.change_cipher_spec, 0x0303, Uint8Array.of(2))));
      await expectClosedWith(c, plainAlert(A.unexpected_message));
      assert.deepEqual(afterFlight(c), [plainAlert(A.unexpected_message)]);
      await expectClientError(A.unexpected_message, 'ERR_BAD_CHANGE_CIPHER_SPEC');
      await serverStillWorks();
    });

    it('renegotiation: three no_renegotiation warnings, then a fatal no_renegotiation', async () => {
      const c = await established();
      const hello = c.tls.buildClientHello({ renegotiationInfo: new Uint8Array(12), random: new Uint8Array(32).fill(3) });
      for (let i = 1; i <= 3; i++) {
        c.send(c.tls.handshakeRecord(hello));
        await c.waitFor(() => c.tls.alerts.length === i, `warning ${i}`);
        assert.deepEqual(c.tls.alerts.at(-1), { level: 1, description: A.no_renegotiation, encrypted: true });
        assert.equal(hex(await c.roundTrip(Uint8Array.of(i))), hex(Uint8Array.of(i)));
      }
      c.send(c.tls.handshakeRecord(hello));
      await expectEncryptedFatal(c, A.no_renegotiation, 'ERR_TOO_MANY_RENEGOTIATIONS');
      await serverStillWorks();
    });

    it('empty records and warning alerts alternating: the fifth warning is unexpected_message', async () => {
      const c = await established();
      for (let i = 0; i < 5; i++) c.send(concat(c.tls.record(ContentType.application_data, new Uint8Array(0)), c.tls.alertRecord(1, A.user_canceled)));
      await expectEncryptedFatal(c, A.unexpected_message, 'ERR_TOO_MANY_WARN_ALERTS');
      await serverStillWorks();
    });

    it('33 empty records in a row: unexpected_message', async () => {
      const c = await established();
      const empty = Array.from({ length: 33 }, () => c.tls.record(ContentType.application_data, new Uint8Array(0)));
      c.send(concat(...empty));
      await expectEncryptedFatal(c, A.unexpected_message, 'ERR_RECORD_TOO_SMALL');
      await serverStillWorks();
    });
  });

  it('a fatal alert from the client closes the connection without a reply', async () => {
    const c = await afterServerFlight();
    c.send(c.tls.alertRecord(2, A.handshake_failure));
    await expectClosedWith(c, undefined);
    assert.deepEqual(afterFlight(c), []);
    const err = await expectClientError(A.handshake_failure);
    assert.equal(err.fromPeer, true);
    await serverStillWorks();
  });
});
