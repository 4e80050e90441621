import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { p256 } from '@noble/curves/nist.js';
import { MAX_EMPTY_RECORDS, MAX_WARNING_ALERTS, ServerConnection } from '../../src/connection.js';
import { AlertDescription as A } from '../../src/errors.js';
import { ContentType, HandshakeType, TlsClient, concat, encodeRecord, handshakeMessage, hex, type ClientOptions } from '../helpers/tls-client.js';
import { connectOk, makeContext, plainAlert } from '../helpers/handshake-harness.js';

/** A client that has the server's first flight and has not answered yet. */
function atClientFlight(options: ClientOptions = {}, serverGroups?: string): { client: TlsClient; server: ServerConnection } {
  const client = new TlsClient({ autoRespond: false, ...options });
  const server = new ServerConnection(makeContext(serverGroups ? { groups: serverGroups } : {}));
  server.receive(client.start());
  client.receive(server.takeOutput()!);
  assert.equal(client.phase, 'SendFlight');
  return { client, server };
}

/** No error yet (a function, so TypeScript does not narrow `server.error` for good). */
function healthy(server: ServerConnection): void {
  assert.equal(server.error, undefined, server.error?.message);
}

/** The server refused with exactly this alert, in clear, and is closed. */
function refused(server: ServerConnection, alert: number, code?: string): void {
  assert.equal(server.error?.alert, alert, server.error?.message);
  if (code) assert.equal(server.error?.reason, code);
  assert.equal(hex(server.takeOutput() ?? new Uint8Array(0)), plainAlert(alert));
  assert.ok(server.closed);
}

const cke = (point: Uint8Array): Uint8Array => handshakeMessage(HandshakeType.client_key_exchange, concat(Uint8Array.of(point.length), point));

describe('the handshake state machine, in memory', () => {
  describe('ClientKeyExchange', () => {
    it('an X25519 value that gives an all-zero secret (low order point) is illegal_parameter', () => {
      const { client, server } = atClientFlight({}, 'X25519');
      server.receive(client.handshakeRecord(cke(new Uint8Array(32))));
      refused(server, A.illegal_parameter);
    });

    it('an X25519 value of the wrong length is illegal_parameter', () => {
      const { client, server } = atClientFlight({}, 'X25519');
      server.receive(client.handshakeRecord(cke(new Uint8Array(31).fill(9))));
      refused(server, A.illegal_parameter);
    });

    it('a P-256 point off the curve, compressed, or of the wrong size is illegal_parameter', () => {
      const good = p256.getPublicKey(p256.utils.randomSecretKey(), false);
      const offCurve = good.slice();
      offCurve[64]! ^= 1;
      const compressed = p256.getPublicKey(p256.utils.randomSecretKey(), true);
      for (const point of [offCurve, compressed, good.subarray(0, 64), Uint8Array.of(0)]) {
        const { client, server } = atClientFlight({}, 'P-256');
        server.receive(client.handshakeRecord(cke(point)));
        refused(server, A.illegal_parameter);
      }
    });

    it('an empty point or trailing bytes are decode_error', () => {
      const a = atClientFlight();
      a.server.receive(a.client.handshakeRecord(cke(new Uint8Array(0))));
      refused(a.server, A.decode_error);
      const b = atClientFlight({}, 'X25519');
      b.server.receive(b.client.handshakeRecord(handshakeMessage(HandshakeType.client_key_exchange, concat(Uint8Array.of(32), new Uint8Array(32).fill(9), Uint8Array.of(0)))));
      refused(b.server, A.decode_error);
    });
  });

  describe('ChangeCipherSpec and Finished', () => {
    it('a Finished sent in clear before ChangeCipherSpec is unexpected_message', () => {
      const { client, server } = atClientFlight();
      const key = client.makeClientKeyExchange();
      // CKE and Finished packed into one handshake record, then the CCS.
      const record = client.handshakeRecord(concat(key, handshakeMessage(HandshakeType.finished, new Uint8Array(12))));
      server.receive(record);
      refused(server, A.unexpected_message);
    });

    it('a ChangeCipherSpec inside a split handshake message is unexpected_message', () => {
      const { client, server } = atClientFlight();
      const key = client.makeClientKeyExchange();
      server.receive(client.handshakeRecord(key.subarray(0, 10)));
      server.receive(encodeRecord(ContentType.change_cipher_spec, 0x0303, Uint8Array.of(1)));
      refused(server, A.unexpected_message);
    });

    it('a ChangeCipherSpec that is not the single byte 1 (2, 0, 1 1, empty) is unexpected_message, as OpenSSL answers', () => {
      for (const body of [Uint8Array.of(2), Uint8Array.of(0), Uint8Array.of(1, 1), new Uint8Array(0)]) {
        const { client, server } = atClientFlight();
        server.receive(client.handshakeRecord(client.makeClientKeyExchange()));
        server.receive(encodeRecord(ContentType.change_cipher_spec, 0x0303, body));
        refused(server, A.unexpected_message, 'ERR_BAD_CHANGE_CIPHER_SPEC');
      }
    });

    it('a Finished of the wrong length is decode_error', () => {
      const { client, server } = atClientFlight();
      server.receive(concat(client.handshakeRecord(client.makeClientKeyExchange()), client.changeCipherSpec()));
      server.receive(client.handshakeRecord(handshakeMessage(HandshakeType.finished, new Uint8Array(13))));
      refused(server, A.decode_error);
    });

    it('the Finished after CCS must be encrypted: the same bytes in clear are bad_record_mac', () => {
      const { client, server } = atClientFlight();
      server.receive(concat(client.handshakeRecord(client.makeClientKeyExchange()), client.changeCipherSpec()));
      server.receive(encodeRecord(ContentType.handshake, 0x0303, client.makeFinished()));
      refused(server, A.bad_record_mac);
    });

    it('a second ChangeCipherSpec is unexpected_message (read as an encrypted record)', () => {
      const { client, server } = atClientFlight();
      server.receive(concat(client.handshakeRecord(client.makeClientKeyExchange()), client.changeCipherSpec()));
      server.receive(client.record(ContentType.change_cipher_spec, Uint8Array.of(1)));
      refused(server, A.unexpected_message);
    });
  });

  describe('alerts and empty records', () => {
    it('an alert in the middle of a split handshake message is unexpected_message', () => {
      const client = new TlsClient();
      const server = new ServerConnection(makeContext());
      const message = client.start().subarray(5);
      server.receive(encodeRecord(ContentType.handshake, 0x0301, message.subarray(0, 30)));
      healthy(server);
      server.receive(encodeRecord(ContentType.alert, 0x0301, Uint8Array.of(1, A.user_canceled)));
      refused(server, A.unexpected_message);
    });

    it('an alert record that is not 2 bytes long is decode_error', () => {
      const server = new ServerConnection(makeContext());
      server.receive(encodeRecord(ContentType.alert, 0x0301, Uint8Array.of(1, 90, 0)));
      refused(server, A.decode_error);
    });

    it('four warning alerts in a row are ignored, the fifth is unexpected_message', () => {
      const { client, server } = connectOk(makeContext());
      for (let i = 0; i < 4; i++) server.receive(client.alertRecord(1, A.user_canceled));
      healthy(server);
      server.receive(client.write(Uint8Array.of(1))); // data resets the count
      for (let i = 0; i < 4; i++) server.receive(client.alertRecord(1, A.user_canceled));
      healthy(server);
      server.receive(client.alertRecord(1, A.user_canceled));
      assert.equal(server.error?.alert, A.unexpected_message);
      assert.equal(server.error?.reason, 'ERR_TOO_MANY_WARN_ALERTS');
      client.receive(server.takeOutput()!);
      assert.deepEqual(client.alerts.at(-1), { level: 2, description: A.unexpected_message, encrypted: true });
    });

    it(`warning alerts and empty records alternating: the ${MAX_WARNING_ALERTS}th warning is unexpected_message (an empty record resets nothing), as OpenSSL`, () => {
      const { client, server } = connectOk(makeContext());
      const empty = new Uint8Array(0);
      for (let i = 0; i < MAX_WARNING_ALERTS - 1; i++) {
        server.receive(client.record(ContentType.application_data, empty));
        server.receive(client.alertRecord(1, A.user_canceled));
        healthy(server);
      }
      server.receive(client.record(ContentType.application_data, empty));
      healthy(server);
      server.receive(client.alertRecord(1, A.user_canceled));
      assert.equal(server.error?.reason, 'ERR_TOO_MANY_WARN_ALERTS');
      client.receive(server.takeOutput()!);
      assert.deepEqual(client.alerts.at(-1), { level: 2, description: A.unexpected_message, encrypted: true });
    });

    it(`${MAX_EMPTY_RECORDS} empty records between warnings are fine (a warning is a record with data); the empty count is per run; data resets both counts`, () => {
      const { client, server } = connectOk(makeContext());
      const empty = new Uint8Array(0);
      const empties = (n: number): void => {
        for (let i = 0; i < n; i++) server.receive(client.record(ContentType.application_data, empty));
      };
      const warnings = (n: number): void => {
        for (let i = 0; i < n; i++) server.receive(client.alertRecord(1, A.user_canceled));
      };
      for (let round = 0; round < MAX_WARNING_ALERTS - 1; round++) {
        empties(MAX_EMPTY_RECORDS);
        warnings(1);
      }
      empties(MAX_EMPTY_RECORDS);
      healthy(server); // both counts at their limit: one more warning or empty record would be fatal
      server.receive(client.write(Uint8Array.of(1))); // data resets both counts
      empties(MAX_EMPTY_RECORDS);
      healthy(server);
      warnings(MAX_WARNING_ALERTS - 1); // counted from 1 again
      healthy(server);
      empties(MAX_EMPTY_RECORDS);
      healthy(server);
      server.receive(client.record(ContentType.application_data, empty));
      assert.equal(server.error?.alert, A.unexpected_message);
      assert.equal(server.error?.reason, 'ERR_RECORD_TOO_SMALL');
    });

    it('a no_renegotiation warning from the client is handshake_failure (we never asked)', () => {
      const { client, server } = connectOk(makeContext());
      server.receive(client.alertRecord(1, A.no_renegotiation));
      assert.equal(server.error?.alert, A.handshake_failure);
    });

    it('32 empty application data records are tolerated, the 33rd is unexpected_message', () => {
      const { client, server } = connectOk(makeContext());
      const empty = new Uint8Array(0);
      for (let i = 0; i < 32; i++) server.receive(client.record(ContentType.application_data, empty));
      healthy(server);
      server.receive(client.record(ContentType.application_data, Uint8Array.of(7)));
      for (let i = 0; i < 32; i++) server.receive(client.record(ContentType.application_data, empty));
      healthy(server);
      assert.equal(hex(Buffer.concat(server.takePlaintext())), '07');
      server.receive(client.record(ContentType.application_data, empty));
      assert.equal(server.error?.alert, A.unexpected_message);
    });

    it('close_notify during the handshake ends it without an alert from us', () => {
      const { client, server } = atClientFlight();
      server.receive(client.alertRecord(1, A.close_notify));
      assert.equal(server.error?.alert, A.close_notify);
      assert.equal(server.error?.fromPeer, true);
      assert.equal(server.takeOutput(), undefined);
      assert.ok(server.closed);
    });

    it('a ClientHello refused while being answered leaves the connection closed, not "busy"', () => {
      // Each refusal below is raised synchronously inside processClientHello, after it set
      // its state to Busy for a possible asynchronous step (SNI callback, external cache).
      const refusals: Array<[ClientOptions, number, Record<string, unknown>]> = [
        [{ cipherSuites: [0x009c] }, A.handshake_failure, {}],
        [{ alpn: ['spdy/3'] }, A.no_application_protocol, { alpnProtocols: ['h2'] }],
        [{ signatureAlgorithms: [0x0401] }, A.handshake_failure, {}],
        [{ groups: [0x0017 + 100] }, A.handshake_failure, {}],
      ];
      for (const [options, alert, contextOptions] of refusals) {
        const server = new ServerConnection(makeContext(contextOptions));
        server.receive(new TlsClient(options).start());
        assert.equal(server.error?.alert, alert);
        assert.ok(server.closed);
        assert.equal(server.busy, false, `busy after ${server.error?.code}: nothing asynchronous is under way`);
      }
    });

    it('after a fatal error nothing more is read, written or sent', () => {
      const { client, server } = atClientFlight();
      server.receive(encodeRecord(ContentType.application_data, 0x0303, Uint8Array.of(1)));
      refused(server, A.unexpected_message);
      server.receive(client.secondFlight());
      assert.equal(server.takeOutput(), undefined);
      assert.equal(server.handshakeComplete, false);
      assert.throws(() => server.write(Uint8Array.of(1)));
      server.close();
      assert.equal(server.takeOutput(), undefined);
    });
  });
});
