/**
 * The layering of puretls, checked in CI (`npm run check:layers`, part of `npm test`).
 * Data flows one way: socket -> connection -> handshake -> sessions; lower layers never
 * import higher ones, nothing imports in a circle, and the core never imports node:*.
 *
 *   0 errors, codec, small value types     (imports nothing of ours above it)
 *   1 crypto                               (the CryptoProvider and its implementations)
 *   2 protocol                             (suites, signature schemes: TLS constants every layer above may use)
 *   3 record, session, pki                 (each on its own: bytes, sessions, certificates)
 *   4 context, config-names                (configuration: what a connection is made from)
 *   5 handshake                            (the state machine; no record layer but message types)
 *   6 connection                           (owns the record layer and drives the handshake)
 *   7 core                                 (the sans-IO public surface)
 *   8 node, redis, index, cli              (the Node embedding; puretls/redis, which needs node-redis)
 */
const LAYERS = [
  ['^src/(errors|client-auth-mode|server-names|maybe-promise)\\.ts$', '^src/codec/'],
  ['^src/crypto/'],
  ['^src/protocol/'],
  ['^src/record/', '^src/session/', '^src/pki/'],
  ['^src/(context|config-names)\\.ts$'],
  ['^src/handshake/'],
  ['^src/connection\\.ts$'],
  ['^src/core\\.ts$'],
  ['^src/node/', '^src/redis/', '^src/(index|cli)\\.ts$'],
];

const upward = [];
LAYERS.forEach((paths, level) => {
  const higher = LAYERS.slice(level + 1).flat();
  if (higher.length === 0) return;
  upward.push({
    name: `layer-${level}-imports-upward`,
    comment: `layer ${level} (${paths.join(' ')}) must not import a higher layer`,
    severity: 'error',
    from: { path: paths.join('|') },
    to: { path: higher.join('|') },
  });
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'core-imports-no-node',
      comment: 'the sans-IO core bundles for browsers and workers: no node:* outside src/node, src/redis and the demo',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/node/|^src/redis/|^src/cli\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'handshake-uses-message-types-only-from-record',
      comment: 'the connection alone owns the record layer; the handshake may only name its message type',
      severity: 'error',
      from: { path: '^src/handshake/' },
      to: { path: '^src/record/', pathNot: '^src/record/handshake-joiner\\.ts$' },
    },
    {
      name: 'handshake-imports-no-record-values',
      comment: 'from the record layer the handshake takes types only',
      severity: 'error',
      from: { path: '^src/handshake/' },
      to: { path: '^src/record/', dependencyTypesNot: ['type-only'] },
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
