import { defineConfig } from 'vitest/config';

const ALL = ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'];

/**
 * The `unit` project (`npm run test:unit`): tests that run in this process only — no Redis, no
 * kubectl, no child process (loopback servers started in-process, such as the sandbox's OpenID
 * issuer, are fine) — and finish in seconds. It is a list: a folder where every file qualifies,
 * otherwise the files by name. Everything else is the `e2e` project (`npm run test:e2e`), so a new
 * test file lands there until someone adds it here, and test:unit never starts to need Redis by
 * accident. To check the list: run test:unit with REDIS_URL on a closed port and a PATH holding
 * only node.
 */
const UNIT = [
  'test/pipeline/{authenticate,authorize,classify,read-body,refuse-impersonation,request-log,route-cluster,stage-order}.test.ts',
  'test/authn/{authenticator,issuer-config,jwks-refresh,token-cache,token-file-cache}.test.ts',
  'test/config/*.test.ts',
  'test/masking/*.test.ts',
  'test/policy/{evaluate,evaluate.property,load}.test.ts',
  'test/request/*.test.ts',
  'test/tls/*.test.ts',
  'test/approvals/fingerprint.test.ts',
  'test/recording/{body-record,hash-chain,seal-event.property,spool-file,unrecorded-streams}.test.ts',
  'test/console/unit/*.test.ts',
  'test/redis/lua-keys.test.ts',
  'packages/sandbox/test/{api-wire,object-store,patch,seed-wire,selectors,watch-wire}.test.ts',
  'packages/sandbox/test/streams/{shell,spdy-codec,stream-upgrades}.test.ts',
];

export default defineConfig({
  test: {
    // No top-level include: a project extending this config would add its globs to it.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // kubectl end-to-end tests spawn real processes; two cores are shared, so keep the pool small.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      {
        extends: true,
        // After the run: every secret value and token the stacks held is looked for in their logs,
        // Redis keys and archives, and in Redis as the run left it (test/support/secret-scan.ts).
        // Before it: the web console's bundle is built when stale (console-bundle.global.ts).
        test: {
          name: 'e2e',
          include: ALL,
          exclude: UNIT,
          globalSetup: ['test/support/secret-scan.global.ts', 'test/support/console-bundle.global.ts'],
        },
      },
    ],
  },
});
