/**
 * The recorded transcripts in test/testdata (Go's testdata/Server-TLSv12-* idea), replayed:
 * a fresh server with the recorded seed and clock, fed the real client's bytes chunk by
 * chunk, must send exactly the bytes it sent when the client was live, and end the same way.
 * A change that alters any byte on the wire fails here; if it is meant, re-record with
 * `node dist/test/transcripts/record.js` and review the diff.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { fromHex, splitRecords } from '../helpers/tls-client.js';
import {
  TranscriptServerConnection,
  loadTranscript,
  toHex,
  transcriptContext,
  transcriptFiles,
} from '../helpers/transcripts.js';

describe('recorded transcripts replayed byte for byte (test/testdata/Server-TLSv12-*)', () => {
  const files = transcriptFiles();

  it('there are transcripts: full handshakes per suite, SNI+ALPN, resumption by ID and ticket, client auth, a refusal, node:tls', () => {
    assert.ok(files.length >= 9, files.join(', '));
  });

  for (const file of files) {
    it(file, () => {
      const t = loadTranscript(file);
      const context = transcriptContext(t.server);
      t.connections.forEach((recorded, i) => {
        const server = new TranscriptServerConnection(context);
        for (const chunk of recorded.clientChunks) server.receive(fromHex(chunk));
        const sent = toHex(server.serverBytes);
        if (sent !== recorded.serverBytes) {
          // Say where it first differs, in records, rather than two long hex strings.
          const a = splitRecords(server.serverBytes).records;
          const b = splitRecords(fromHex(recorded.serverBytes)).records;
          const at = a.findIndex((r, k) => toHex(r.fragment) !== toHex(b[k]?.fragment ?? new Uint8Array(0)) || r.type !== b[k]?.type);
          assert.fail(`connection ${i}: the server's bytes differ from the recording at record ${at} (type ${a[at]?.type} vs ${b[at]?.type}; ${a.length} records vs ${b.length})`);
        }
        assert.deepEqual(server.outcome, recorded.outcome, `connection ${i}`);
      });
    });
  }

  it('a replay with another seed does not reproduce the recording (the check is not vacuous)', () => {
    const t = loadTranscript(files.find((f) => f.includes('X25519'))!);
    const server = new TranscriptServerConnection(transcriptContext({ ...t.server, seed: `${t.server.seed} but not` }));
    for (const chunk of t.connections[0]!.clientChunks) server.receive(fromHex(chunk));
    assert.notEqual(toHex(server.serverBytes), t.connections[0]!.serverBytes);
    assert.equal(server.outcome.complete, false, "the client's Finished was made for the recorded server random");
  });
});
