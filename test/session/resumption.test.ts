/**
 * The resumption decision (docs/SPEC-sid-ctx.md, "Resumption: the one decision, in this order"),
 * rule by rule, then the order in which the rules apply when several fail at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { AlertDescription } from '../../src/errors.js';
import { decideResumption, type ResumptionDecision, type ResumptionRequest } from '../../src/session/resumption.js';
import type { Session, SessionFields } from '../../src/session/session.js';
import { T0, makeSession, utf8 } from '../helpers/sessions.js';

const AES128 = 0xc02b;
const AES256 = 0xc02c;
const CHACHA = 0xcca9;

/** A ClientHello + connection that resumes makeSession() (sid_ctx "app", example.com, EMS, AES128). */
function request(changes: Partial<ResumptionRequest> = {}): ResumptionRequest {
  return {
    version: 0x0303,
    sidCtx: utf8('app'),
    clientCertRequested: false,
    // Rules 1-7 are about other things: a certificate is optional unless a test says so (rule 8).
    clientCertRequired: false,
    nowSeconds: T0 + 10,
    clientOffersEms: true,
    offeredSuites: [AES128, AES256],
    enabledSuites: [AES128, AES256, CHACHA],
    serverName: 'example.com',
    ...changes,
  };
}

function decide(session: Partial<SessionFields> | Session, req: Partial<ResumptionRequest> = {}): ResumptionDecision {
  const s = 'toDER' in session ? session : makeSession(session);
  return decideResumption(s, request(req));
}

const RESUME: ResumptionDecision = { kind: 'resume' };
const miss = (reason: string): ResumptionDecision => ({ kind: 'miss', reason }) as ResumptionDecision;

function assertFatal(d: ResumptionDecision, alert: AlertDescription, code?: string): void {
  assert.equal(d.kind, 'fatal', `expected a fatal decision, got ${JSON.stringify(d)}`);
  if (d.kind !== 'fatal') return;
  assert.equal(d.alert, alert);
  if (code !== undefined) assert.equal(d.code, code);
  assert.ok(d.message.length > 0, 'a fatal decision explains itself');
}

describe('decideResumption (docs/SPEC-sid-ctx.md: the one decision)', () => {
  it('resumes when every rule passes', () => {
    assert.deepEqual(decide({}), RESUME);
  });

  describe('rule 1: protocol version', () => {
    it('a session of another version is a miss (version-mismatch)', () => {
      assert.deepEqual(decide({ version: 0x0302 }), miss('version-mismatch'));
      assert.deepEqual(decide({}, { version: 0x0304 }), miss('version-mismatch'));
    });
  });

  describe('rule 2: session id context', () => {
    it('sid_ctx of another length is a miss (context-mismatch): longer, shorter, prefix', () => {
      assert.deepEqual(decide({ sidCtx: utf8('app\0') }), miss('context-mismatch'));
      assert.deepEqual(decide({ sidCtx: utf8('ap') }), miss('context-mismatch'));
      assert.deepEqual(decide({}, { sidCtx: utf8('app-2') }), miss('context-mismatch'));
    });

    it('sid_ctx of the same length with other bytes is a miss (context-mismatch)', () => {
      assert.deepEqual(decide({ sidCtx: utf8('apq') }), miss('context-mismatch'));
      assert.deepEqual(decide({ sidCtx: utf8('App') }), miss('context-mismatch'), 'bytes, not case-insensitive text');
      const a = new Uint8Array(32).fill(0xaa);
      const b = a.slice();
      b[31] = 0xab; // differs in the last byte only
      assert.deepEqual(decide({ sidCtx: a }, { sidCtx: b }), miss('context-mismatch'));
    });

    it('an empty sid_ctx on one side only is a miss, both ways', () => {
      assert.deepEqual(decide({ sidCtx: new Uint8Array(0) }), miss('context-mismatch'));
      assert.deepEqual(decide({}, { sidCtx: new Uint8Array(0) }), miss('context-mismatch'));
    });

    it('equal bytes in different objects (Buffer view, binary with NULs, 32 bytes) resume', () => {
      const bin = Uint8Array.from({ length: 32 }, (_, i) => (i * 37) & 0xff); // includes 0x00
      const backing = Buffer.alloc(40);
      backing.set(bin, 5);
      assert.deepEqual(decide({ sidCtx: bin }, { sidCtx: backing.subarray(5, 37) }), RESUME);
      assert.deepEqual(decide({ sidCtx: new Uint8Array(0) }, { sidCtx: new Uint8Array(0) }), RESUME);
    });

    it('mismatch comes before the fatal check: session "A", connection empty, client certs requested -> miss, not fatal', () => {
      const d = decide({ sidCtx: utf8('A') }, { sidCtx: new Uint8Array(0), clientCertRequested: true });
      assert.deepEqual(d, miss('context-mismatch'));
    });
  });

  describe('rule 3: client certificates requested with an empty sid_ctx', () => {
    it('is fatal internal_error SESSION_ID_CONTEXT_UNINITIALIZED when the session sid_ctx is equally empty', () => {
      const d = decide({ sidCtx: new Uint8Array(0) }, { sidCtx: new Uint8Array(0), clientCertRequested: true });
      assertFatal(d, AlertDescription.internal_error, 'SESSION_ID_CONTEXT_UNINITIALIZED');
    });

    it('an empty sid_ctx without client certificates resumes', () => {
      assert.deepEqual(decide({ sidCtx: new Uint8Array(0) }, { sidCtx: new Uint8Array(0), clientCertRequested: false }), RESUME);
    });

    it('client certificates with a non-empty sid_ctx resume', () => {
      assert.deepEqual(decide({}, { clientCertRequested: true }), RESUME);
    });
  });

  describe('rule 4: expiry (now > created + timeout)', () => {
    it('exactly at created + timeout still resumes; one second later is a miss (expired)', () => {
      assert.deepEqual(decide({ createdAt: T0, timeout: 300 }, { nowSeconds: T0 + 300 }), RESUME);
      assert.deepEqual(decide({ createdAt: T0, timeout: 300 }, { nowSeconds: T0 + 301 }), miss('expired'));
    });

    it('timeout 0: resumable in the second it was made only', () => {
      assert.deepEqual(decide({ createdAt: T0, timeout: 0 }, { nowSeconds: T0 }), RESUME);
      assert.deepEqual(decide({ createdAt: T0, timeout: 0 }, { nowSeconds: T0 + 1 }), miss('expired'));
    });

    it('a session from the future (clock skew between servers) is not expired', () => {
      assert.deepEqual(decide({ createdAt: T0 + 60 }, { nowSeconds: T0 }), RESUME);
    });
  });

  describe('rule 5: extended master secret (RFC 7627)', () => {
    it('session with EMS, ClientHello without -> fatal illegal_parameter', () => {
      assertFatal(decide({ extendedMasterSecret: true }, { clientOffersEms: false }), AlertDescription.illegal_parameter);
    });

    it('session without EMS -> miss even when the ClientHello offers it (puretls)', () => {
      assert.deepEqual(decide({ extendedMasterSecret: false }, { clientOffersEms: true }), miss('no-extended-master-secret'));
    });

    it('session without EMS and ClientHello without EMS -> still a miss (never resumed at all)', () => {
      assert.deepEqual(decide({ extendedMasterSecret: false }, { clientOffersEms: false }), miss('no-extended-master-secret'));
    });
  });

  describe('rule 6: cipher suite', () => {
    it('the session suite is no longer offered by the client -> miss (suite-not-offered), not fatal', () => {
      assert.deepEqual(decide({ cipherSuite: CHACHA }), miss('suite-not-offered'));
    });

    it('the session suite is offered but no longer enabled here -> miss', () => {
      assert.deepEqual(decide({}, { enabledSuites: [AES256, CHACHA] }), miss('suite-not-offered'));
    });

    it('the suite offered anywhere in the list (not only first) resumes', () => {
      assert.deepEqual(decide({ cipherSuite: AES256 }, { offeredSuites: [CHACHA, 0x00ff, AES128, AES256] }), RESUME);
    });
  });

  describe('rule 7: server name (puretls)', () => {
    it('another SNI -> miss (server-name-mismatch)', () => {
      assert.deepEqual(decide({ serverName: 'example.com' }, { serverName: 'example.org' }), miss('server-name-mismatch'));
    });

    it('SNI differing only in case is the same name: resumes', () => {
      assert.deepEqual(decide({ serverName: 'Example.COM' }, { serverName: 'eXample.com' }), RESUME);
    });

    it('SNI on one side only -> miss, both ways; no SNI on either side resumes', () => {
      assert.deepEqual(decide({ serverName: undefined }, { serverName: 'example.com' }), miss('server-name-mismatch'));
      assert.deepEqual(decide({ serverName: 'example.com' }, { serverName: undefined }), miss('server-name-mismatch'));
      assert.deepEqual(decide({ serverName: undefined }, { serverName: undefined }), RESUME);
    });
  });

  describe('the order of the rules when several fail at once', () => {
    // Every rule fails; fixing them one at a time, front to back, must reveal the next one.
    const allWrong: Partial<SessionFields> = {
      version: 0x0302, // rule 1
      sidCtx: new Uint8Array(0), // rule 2 (the connection below has "app") / rule 3 once equal
      createdAt: T0 - 1000, // rule 4 (timeout 300, now T0 + 10)
      extendedMasterSecret: false, // rule 5 (miss)
      cipherSuite: CHACHA, // rule 6: not offered
      serverName: 'other.example', // rule 7
    };
    const steps: Array<{ fix: Partial<SessionFields>; req?: Partial<ResumptionRequest>; expect: ResumptionDecision | 'fatal-internal' }> = [
      { fix: {}, expect: miss('version-mismatch') },
      { fix: { version: 0x0303 }, expect: miss('context-mismatch') },
      // sid_ctx made equal, but both empty with client certs requested: rule 3.
      { fix: {}, req: { sidCtx: new Uint8Array(0) }, expect: 'fatal-internal' },
      { fix: { sidCtx: utf8('app') }, expect: miss('expired') },
      { fix: { createdAt: T0 }, expect: miss('no-extended-master-secret') },
      { fix: { extendedMasterSecret: true }, expect: miss('suite-not-offered') },
      { fix: { cipherSuite: AES128 }, expect: miss('server-name-mismatch') },
      { fix: { serverName: 'example.com' }, expect: RESUME },
    ];
    it('version, sid_ctx, client-cert fatal, expiry, EMS, suite, SNI: each revealed only when the ones before pass', () => {
      let fields: Partial<SessionFields> = { ...allWrong };
      steps.forEach((step, i) => {
        fields = { ...fields, ...step.fix };
        const d = decide(fields, { clientCertRequested: true, ...step.req });
        if (step.expect === 'fatal-internal') assertFatal(d, AlertDescription.internal_error, 'SESSION_ID_CONTEXT_UNINITIALIZED');
        else assert.deepEqual(d, step.expect, `step ${i}`);
      });
    });

    it('sid_ctx mismatch beats expiry (an expired session from another context counts as a mismatch)', () => {
      assert.deepEqual(decide({ sidCtx: utf8('B'), createdAt: T0 - 1000 }), miss('context-mismatch'));
    });

    it('the client-cert fatal beats expiry: even an expired session makes it fail loudly', () => {
      const d = decide({ sidCtx: new Uint8Array(0), createdAt: T0 - 1000 }, { sidCtx: new Uint8Array(0), clientCertRequested: true });
      assertFatal(d, AlertDescription.internal_error, 'SESSION_ID_CONTEXT_UNINITIALIZED');
    });

    it('expiry beats the EMS fatal: an expired EMS session offered without EMS is a plain miss', () => {
      assert.deepEqual(decide({ createdAt: T0 - 1000 }, { clientOffersEms: false }), miss('expired'));
    });

    it('the EMS fatal beats a suite or SNI mismatch', () => {
      assertFatal(decide({ cipherSuite: CHACHA, serverName: 'x.example' }, { clientOffersEms: false }), AlertDescription.illegal_parameter);
    });

    it('a session without EMS beats suite and SNI mismatches', () => {
      assert.deepEqual(decide({ extendedMasterSecret: false, cipherSuite: CHACHA, serverName: 'x.example' }), miss('no-extended-master-secret'));
    });

    it('a suite mismatch beats an SNI mismatch', () => {
      assert.deepEqual(decide({ cipherSuite: CHACHA, serverName: 'x.example' }), miss('suite-not-offered'));
    });

    it('version beats everything, including the fatal rules', () => {
      assert.deepEqual(
        decide({ version: 0x0301, sidCtx: new Uint8Array(0) }, { sidCtx: new Uint8Array(0), clientCertRequested: true }),
        miss('version-mismatch'),
      );
      assert.deepEqual(decide({ version: 0x0301 }, { clientOffersEms: false }), miss('version-mismatch'));
    });
  });

  it('is pure: neither the session nor the request is changed, and the same input gives the same answer', () => {
    const s = makeSession({ sidCtx: utf8('B') });
    const req = request();
    const before = { sid: [...s.sidCtx], ms: [...s.masterSecret], req: JSON.stringify({ ...req, sidCtx: [...req.sidCtx] }) };
    const first = decideResumption(s, req);
    const second = decideResumption(s, req);
    assert.deepEqual(first, second);
    assert.deepEqual([...s.sidCtx], before.sid);
    assert.deepEqual([...s.masterSecret], before.ms);
    assert.equal(JSON.stringify({ ...req, sidCtx: [...req.sidCtx] }), before.req);
  });

  describe('rule 8 (puretls): a context that requires a verified client certificate', () => {
    const verified = { peerCertificate: Uint8Array.of(0x30, 0), verifyResult: 0 };
    const required = { clientCertRequested: true, clientCertRequired: true };
    it('resumes a session that holds a verified client certificate', () => {
      assert.deepEqual(decide(verified, required), { kind: 'resume' });
    });
    it('does not resume one without a client certificate: a full handshake lets the client authenticate', () => {
      assert.deepEqual(decide({}, required), { kind: 'miss', reason: 'client-not-authorized' });
    });
    it('does not resume one whose certificate did not verify', () => {
      assert.deepEqual(decide({ ...verified, verifyResult: 20 }, required), { kind: 'miss', reason: 'client-not-authorized' });
    });
    it('resumes either when the certificate is optional (rejectUnauthorized false) or not asked for', () => {
      assert.deepEqual(decide({ ...verified, verifyResult: 20 }, { clientCertRequested: true, clientCertRequired: false }), { kind: 'resume' });
      assert.deepEqual(decide({}, { clientCertRequested: false, clientCertRequired: true }), { kind: 'resume' });
    });
    it('comes after the SNI rule', () => {
      assert.deepEqual(decide({}, { ...required, serverName: 'other.example' }), { kind: 'miss', reason: 'server-name-mismatch' });
    });
  });
});
