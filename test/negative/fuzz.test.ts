/**
 * A short run of the fuzzer (test/fuzz/; `npm run fuzz -- --seconds N` runs it for longer)
 * in the suite: every target with a fixed PRNG seed and a fixed number of inputs, so the run
 * is the same each time. Zero violations: receive() never throws, every connection completes
 * or fails with a known alert that it sends (decrypted when sealed), never internal_error;
 * every codec returns or throws its own error class. The outcomes must show that the
 * mutations reach deep (past the record layer, to Finished, certificate checks and
 * resumption), every seed still completes its handshake unmutated (else the corpus needs
 * recording again), and memory stays flat when the same inputs are run again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { retainedBytes } from '../helpers/heap.js';
import { loadSeeds } from '../fuzz/corpus.js';
import { runFuzz, type TargetReport } from '../fuzz/engine.js';
import { runConnection } from '../fuzz/handshake-target.js';
import { TARGETS, targetByName } from '../fuzz/targets.js';
import { authWorld, mainWorld } from '../fuzz/worlds.js';

/** Inputs per target: about two seconds each on this machine. */
const INPUTS: Readonly<Record<string, number>> = {
  hello: 2500,
  full: 2500,
  'resume-id': 3000,
  'resume-ticket': 3000,
  'client-auth': 1500,
  vhost: 2500,
  'app-data': 2500,
  der: 1000,
  'private-key': 2000,
  deframer: 3000,
};
const DEFAULT_INPUTS = 10_000;

/** What a target's outcomes must include: proof that its mutations reach that far. */
const MUST_REACH: Readonly<Record<string, readonly (readonly string[])[]>> = {
  hello: [['complete'], ['ERR_BAD_FINISHED', 'ERR_AES_GCM_TAG_MISMATCH', 'ERR_BAD_RECORD_MAC'], ['ERR_TLS_ALERT_DECODE_ERROR'], ['ERR_DUPLICATE_EXTENSION'], ['ERR_TLS_ALERT_UNRECOGNIZED_NAME']],
  full: [['complete'], ['ERR_BAD_FINISHED'], ['ERR_AES_GCM_TAG_MISMATCH', 'ERR_BAD_RECORD_MAC'], ['ERR_TLS_ALERT_DECODE_ERROR'], ['ERR_TLS_ALERT_UNEXPECTED_MESSAGE'], ['ERR_TLS_ALERT_ILLEGAL_PARAMETER']],
  'resume-id': [['complete:resumed'], ['ERR_BAD_FINISHED'], ['ERR_BAD_CHANGE_CIPHER_SPEC']],
  'resume-ticket': [['complete:resumed'], ['ERR_BAD_FINISHED'], ['INCONSISTENT_EXTMS', 'ERR_TLS_ALERT_UNRECOGNIZED_NAME']],
  'client-auth': [['complete'], ['complete:resumed'], ['ERR_BAD_SIGNATURE'], ['CERT_SIGNATURE_FAILURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNSPECIFIED']],
  vhost: [['complete'], ['complete:resumed'], ['ERR_BAD_FINISHED']],
  'app-data': [['complete'], ['complete:resumed'], ['ERR_AES_GCM_TAG_MISMATCH', 'ERR_BAD_RECORD_MAC'], ['peer:ERR_TLS_ALERT_CLOSE_NOTIFY'], ['ERR_UNKNOWN_ALERT_TYPE']],
  ticket: [['opened'], ['refused']],
};

function describeOutcomes(r: TargetReport): string {
  return [...r.outcomes.entries()].map(([k, v]) => `${k} ${v}`).join(', ');
}

describe('fuzzing: a short run of every target (npm run fuzz runs them for longer)', function () {
  this.timeout(120_000);

  it('every handshake seed, unmutated, completes (or, for a captured ClientHello, is answered)', () => {
    const worlds = { main: mainWorld(), auth: authWorld() };
    for (const target of ['hello', 'full', 'resume-id', 'resume-ticket', 'client-auth', 'vhost', 'app-data']) {
      const world = target === 'client-auth' ? worlds.auth : worlds.main;
      const seeds = loadSeeds(target);
      assert.ok(seeds.length > 0, `no seeds for ${target} (is fuzz/corpus/${target} missing? npm run fuzz -- --record-corpus)`);
      for (const seed of seeds) {
        const verdict = runConnection(world, seed.bytes, []);
        assert.equal(verdict.violation, undefined, `${target}/${seed.name}: ${verdict.violation?.detail}`);
        const captured = target === 'hello' && !seed.name.startsWith('ours-');
        // A captured hello is answered; the terminator then ends the wait for its next flight.
        const expected = captured ? ['ERR_UNKNOWN_RECORD_TYPE'] : /resume/.test(seed.name) || target.startsWith('resume') ? ['complete:resumed'] : ['complete'];
        assert.ok(
          expected.includes(verdict.outcome),
          `${target}/${seed.name}: ${verdict.outcome}, expected ${expected.join(' or ')} (if the server's bytes changed on purpose, record again: npm run fuzz -- --record-corpus)`,
        );
      }
    }
  });

  it('a client that sends a fatal internal_error alert itself is no violation (only our own alerts are judged)', () => {
    const world = mainWorld();
    const [hello] = loadSeeds('full');
    assert.ok(hello);
    // 21 03 03 00 02 02 50: a plaintext fatal internal_error, first, then the seed.
    const verdict = runConnection(world, Uint8Array.of(21, 3, 3, 0, 2, 2, 80, ...hello.bytes), []);
    assert.equal(verdict.violation, undefined, verdict.violation?.detail);
    assert.equal(verdict.outcome, 'peer:ERR_TLS_ALERT_INTERNAL_ERROR');
  });

  for (const target of TARGETS) {
    it(`${target.name}: ${INPUTS[target.name] ?? DEFAULT_INPUTS} mutated inputs, no violation${MUST_REACH[target.name] ? ', outcomes reach deep' : ''}`, () => {
      const report = runFuzz({ targets: [target], inputsPerTarget: INPUTS[target.name] ?? DEFAULT_INPUTS, seed: 0x5eed, measureHeap: false });
      const r = report.targets[0]!;
      assert.equal(r.exceptions, 0, `exceptions escaped: ${describeOutcomes(r)}`);
      assert.equal(r.internalErrors, 0, `internal_error from malformed input: ${describeOutcomes(r)}`);
      assert.equal(r.invariantFailures, 0, `invariants broken: ${describeOutcomes(r)}`);
      for (const any of MUST_REACH[target.name] ?? []) {
        assert.ok(any.some((o) => r.outcomes.has(o)), `${target.name}: none of ${any.join(' / ')} among ${describeOutcomes(r)}`);
      }
      if (!MUST_REACH[target.name]) {
        // Codecs: some inputs decode, some are refused.
        assert.ok(r.outcomes.has('ok') && r.outcomes.size >= 2, `${target.name}: ${describeOutcomes(r)}`);
      }
    });
  }

  it('memory stays flat: running the same 300 mutated handshakes again retains nothing (heap + ArrayBuffers, median of 5)', async () => {
    const targets = ['full', 'client-auth', 'app-data'].map((n) => targetByName(n)!);
    // The same seed gives the same inputs, so the fuzz provider's memo tables are full after the
    // warm-up rounds: anything still held after a round is held by the connections or the contexts.
    const { median, all } = await retainedBytes(() => void runFuzz({ targets, inputsPerTarget: 100, seed: 42, measureHeap: false }), {
      warmups: 2,
      rounds: 5,
    });
    assert.ok(median < 256 * 1024, `a round of 300 connections retained ${median} bytes (rounds: ${all.join(', ')})`);
  });
});
