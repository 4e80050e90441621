/**
 * How the handshake seeds are made: the clients (test/helpers/tls-client.ts, seeded) whose
 * whole byte streams are recorded against a world into fuzz/corpus/<target>/*.bin. Real
 * clients' ClientHellos (openssl, node:tls, gnutls, curl, Chromium, NSS, Python) are
 * captured separately (capture.ts) into fuzz/corpus/hello/.
 *
 * `npm run fuzz -- --record-corpus` writes these files again; the worlds are deterministic,
 * so an unchanged server gives the same bytes. A test checks that every seed still completes
 * its handshake unmutated, which tells when a change to the server's wire bytes calls for a
 * new recording.
 */
import { concatBytes } from '../../src/codec/bytes.js';
import { Session } from '../../src/session/session.js';
import { ContentType, Suite, TlsClient, largestHelloOptions, seededRandom, type ClientOptions } from '../helpers/tls-client.js';
import { CLIENT_CHAINS, authWorld, handshake, mainWorld, type World } from './worlds.js';
import { serverPlaintexts } from './handshake-target.js';

export interface RecordedSeed {
  target: string;
  name: string;
  bytes: Uint8Array;
}

const rng = (name: string): ClientOptions['rng'] => seededRandom(`seed client: ${name}`);
const TICKET: ClientOptions = { sessionTicket: new Uint8Array(0) };

/** What a browser-like client sends after its Finished: a request, a larger record, a warning alert, close_notify. */
function afterHandshake(client: TlsClient, kind: 'short' | 'long'): Uint8Array[] {
  const request = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: fuzz.example\r\n\r\n');
  if (kind === 'short') return [client.write(request), client.closeNotify()];
  return [
    client.write(request),
    client.write(new Uint8Array(3000).fill(0x61)),
    client.record(ContentType.application_data, new Uint8Array(0)),
    client.alertRecord(1, 90), // user_canceled warning: ignored in TLS 1.2
    // A renegotiation attempt, encrypted: refused with a no_renegotiation warning.
    client.handshakeRecord(client.buildClientHello({ renegotiationInfo: client.keys ? new Uint8Array(12) : null })),
    client.write(Uint8Array.of(1, 2, 3)),
    client.closeNotify(),
  ];
}

function stream(world: World, target: string, name: string, options: ClientOptions, after?: 'short' | 'long'): RecordedSeed {
  const { client, server, sent } = handshake(world, { rng: rng(name), ...options });
  if (after) {
    for (const bytes of afterHandshake(client, after)) {
      sent.push(bytes);
      server.receive(bytes);
    }
    if (server.error) throw new Error(`${name}: ${server.error.message}`);
  }
  return { target, name: `${name}.bin`, bytes: concatBytes(sent) };
}

/** Every recorded handshake seed, by target. Also returns the server's own messages and tickets for the codec targets. */
export function recordHandshakeSeeds(): { seeds: RecordedSeed[]; serverFlights: Uint8Array[]; tickets: Uint8Array[]; sessions: Session[] } {
  const main = mainWorld();
  const auth = authWorld();
  const seeds: RecordedSeed[] = [];
  const add = (s: RecordedSeed): void => {
    seeds.push(s);
  };
  const mainSaved = main.saved.get('main')!;
  const idOnly = main.saved.get('main-no-ticket')!;
  const vhostSaved = main.saved.get('vhost')!;
  const authSaved = auth.saved.get('auth')!;

  // ClientHellos that go on to a full handshake: a mutated hello is often answered, then caught later.
  add(stream(main, 'hello', 'ours-default', {}));
  add(stream(main, 'hello', 'ours-sni-alpn-ticket-versions', { serverName: 'fuzz.example', alpn: ['http/1.1', 'h2'], ...TICKET, supportedVersions: [0x0304, 0x0303] }));
  add(stream(main, 'hello', 'ours-grease-scsv', {
    cipherSuites: [0x0a0a, Suite.CHACHA20, Suite.AES128_GCM, Suite.EMPTY_RENEGOTIATION_INFO_SCSV],
    renegotiationInfo: null,
    extraExtensions: [{ type: 0x1a1a, data: new Uint8Array(0) }, { type: 21, data: new Uint8Array(40) }],
    groups: [0x2a2a, 29, 23],
  }));
  add(stream(main, 'hello', 'ours-fragmented', { helloRecordSizes: [7, 1, 40, 3] }));
  add(stream(main, 'hello', 'ours-largest', largestHelloOptions({ serverName: 'fuzz.example' })));

  add(stream(main, 'full', 'x25519-aes128', { groups: [29, 23], cipherSuites: [Suite.AES128_GCM] }, 'short'));
  add(stream(main, 'full', 'p256-aes256-ticket', { groups: [23], cipherSuites: [Suite.AES256_GCM], ...TICKET }, 'short'));
  add(stream(main, 'full', 'p384-chacha-alpn', { groups: [24, 23], cipherSuites: [Suite.CHACHA20], alpn: ['h2'] }, 'short'));
  add(stream(main, 'full', 'no-ems', { extendedMasterSecret: false }, 'short'));

  add(stream(main, 'resume-id', 'by-id', { resume: idOnly, serverName: 'fuzz.example' }, 'short'));
  add(stream(main, 'resume-id', 'by-id-offering-ticket', { resume: { ...idOnly }, serverName: 'fuzz.example', ...TICKET }, 'short'));

  add(stream(main, 'resume-ticket', 'by-ticket', { resume: { ...mainSaved, sessionId: new Uint8Array(0) }, serverName: 'fuzz.example', alpn: ['h2'] }, 'short'));
  add(stream(main, 'resume-ticket', 'by-ticket-with-id', { resume: mainSaved, serverName: 'fuzz.example', alpn: ['h2'] }));

  add(stream(auth, 'client-auth', 'p256-leaf', { clientCertificate: CLIENT_CHAINS.p256 }, 'short'));
  add(stream(auth, 'client-auth', 'p384-leaf-and-intermediate', { clientCertificate: CLIENT_CHAINS.p384, groups: [24, 23] }, 'short'));
  add(stream(auth, 'client-auth', 'resume-by-id', { resume: { ...authSaved, ticket: undefined }, clientCertificate: CLIENT_CHAINS.p256 }, 'short'));
  add(stream(auth, 'client-auth', 'resume-by-ticket', { resume: { ...authSaved, sessionId: new Uint8Array(0) } }));

  add(stream(main, 'vhost', 'full-ticket', { serverName: 'vhost.example', groups: [24, 29], ...TICKET }, 'short'));
  add(stream(main, 'vhost', 'resume-ticket', { serverName: 'vhost.example', resume: { ...vhostSaved, sessionId: new Uint8Array(0) } }, 'short'));
  add(stream(main, 'vhost', 'resume-id', { serverName: 'vhost.example', resume: { ...vhostSaved, ticket: undefined } }, 'short'));
  add(stream(main, 'vhost', 'alpn-mismatch-name-case', { serverName: 'VHost.Example', alpn: ['http/1.1'] }));

  add(stream(main, 'app-data', 'full-then-data', { serverName: 'fuzz.example' }, 'long'));
  add(stream(main, 'app-data', 'resumed-then-data', { resume: idOnly, serverName: 'fuzz.example' }, 'long'));

  // The server's side, decrypted, for the message codec target; tickets and sessions for theirs.
  const serverFlights: Uint8Array[] = [];
  const tickets: Uint8Array[] = [];
  const sessions: Session[] = [];
  for (const [world, options] of [
    [main, { rng: rng('server flight'), serverName: 'fuzz.example', alpn: ['h2'], ...TICKET }],
    [auth, { rng: rng('server flight auth'), clientCertificate: CLIENT_CHAINS.p384, ...TICKET }],
    [main, { rng: rng('server flight resumed'), resume: mainSaved, serverName: 'fuzz.example', alpn: ['h2'] }],
  ] as [World, ClientOptions][]) {
    const keylog: string[] = [];
    world.reset();
    const server = world.connect({ onKeylog: (l) => keylog.push(l) });
    const client = new TlsClient(options);
    server.receive(client.start());
    let output: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < 10; i++) {
      const out = server.takeOutput();
      if (out) {
        output = concatBytes([output, out]);
        client.receive(out);
      }
      const answer = client.takeOutput();
      if (answer) server.receive(answer);
      if (!out && !answer) break;
    }
    const records = serverPlaintexts(output, keylog) ?? [];
    serverFlights.push(...records);
    if (client.newSessionTicket) tickets.push(client.newSessionTicket.ticket);
    if (server.session) sessions.push(server.session.with({}));
  }
  return { seeds, serverFlights, tickets, sessions };
}
