// Which suites the Node 24 pass of scripts/test.mjs runs, within CI's time budget. Every unit
// spec and the end-to-end policy suite always run on Node 24 too; the other integration suites
// are added, as many as the time left allows, estimated from their Node 20 durations in the run
// that just finished (.test-results/jest.json), in an order that starts at an offset taken from
// the commit, so that successive commits cover different suites. Pure: no process is started.

/** Suites that always run on Node 24 (a path relative to the repository root matches one). */
export const ALWAYS_ON_NODE24 = /(^|\/)src\/.*\.spec\.ts$|apps\/control-plane\/test\/policy-through-postern\.test\.ts$/;

/**
 * @param {{ testResults: { name: string, startTime: number, endTime: number }[] }} results Jest's --json output
 * @param {{ root: string, remainingSeconds: number, workers: number, seed: number, margin?: number }} options
 * @returns {{ always: string[], chosen: string[], skipped: string[], estimatedSeconds: number }}
 */
export function planNode24(results, { root, remainingSeconds, workers, seed, margin = 1.25 }) {
  const suites = results.testResults
    .map((suite) => ({
      path: suite.name.startsWith(root) ? suite.name.slice(root.length).replace(/^\//, '') : suite.name,
      seconds: Math.max(0, (suite.endTime - suite.startTime) / 1000),
    }))
    .sort((a, b) => a.path.localeCompare(b.path));
  const always = suites.filter((s) => ALWAYS_ON_NODE24.test(s.path));
  const others = suites.filter((s) => !ALWAYS_ON_NODE24.test(s.path));
  // Wall time of a set of suites on `workers` workers, with a margin for Node 24 and imbalance.
  const wall = (list) => (list.reduce((sum, s) => sum + s.seconds, 0) / workers) * margin;
  const chosen = [];
  const skipped = [];
  const start = others.length === 0 ? 0 : Math.abs(seed) % others.length;
  for (let i = 0; i < others.length; i += 1) {
    const suite = others[(start + i) % others.length];
    if (wall([...always, ...chosen, suite]) <= remainingSeconds) chosen.push(suite);
    else skipped.push(suite);
  }
  return {
    always: always.map((s) => s.path),
    chosen: chosen.map((s) => s.path),
    skipped: skipped.map((s) => s.path),
    estimatedSeconds: Math.round(wall([...always, ...chosen])),
  };
}

/** The slowest suites of a run, for the log: where CI's time goes. */
export function slowestSuites(results, root, count = 15) {
  return results.testResults
    .map((suite) => ({
      path: suite.name.startsWith(root) ? suite.name.slice(root.length).replace(/^\//, '') : suite.name,
      seconds: (suite.endTime - suite.startTime) / 1000,
    }))
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, count);
}
