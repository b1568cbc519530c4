// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per file.
//
//   node bench/cpuprofile-top.mjs <file.cpuprofile> [count] [fromUs toUs]
//
// fromUs/toUs: only samples in that CLOCK_MONOTONIC window (bench/postgres.mjs records the
// window of the profiled pgbench run in its results, `profiles[].window`).
//
// Also imported by bench/postgres.mjs, which profiles the agent when a target is missed.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = `${dirname(dirname(fileURLToPath(import.meta.url)))}/`;

/** Where a function lives, short: repo-relative for our code, `node_modules/<pkg>/…` for dependencies. */
function shortUrl(url) {
  if (!url) return '';
  let path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = path.slice(modules + '/node_modules/'.length);
    const pnpmStore = rest.startsWith('.pnpm/') ? rest.split('/node_modules/').pop() : rest;
    return `node_modules/${pnpmStore}`;
  }
  if (path.startsWith(ROOT)) path = path.slice(ROOT.length);
  return path;
}

/** Which part of the process a frame belongs to, for the per-area breakdown. */
function area(url, functionName) {
  if (!url) {
    if (functionName === '(garbage collector)') return 'garbage collector';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return 'native';
  }
  if (url.startsWith('node:')) return 'node core';
  const short = shortUrl(url);
  if (short.startsWith('node_modules/')) {
    const parts = short.split('/');
    return parts[1].startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1];
  }
  const match = /^(apps|libs)\/([^/]+)\//.exec(short);
  return match ? `${match[1]}/${match[2]}` : short;
}

/**
 * Self time by function (name, file, line) and by area, in milliseconds and as a share of the
 * non-idle time. `window` ({ fromUs, toUs }, CLOCK_MONOTONIC microseconds, the clock of both V8's
 * profile timestamps and `process.hrtime`) keeps only the samples taken during a measured run,
 * leaving out the process's start-up.
 */
export function summarizeProfile(file, count = 20, window = null) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const id = profile.samples[i];
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta);
  }
  const functions = new Map();
  const areas = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, micros] of selfMicros) {
    const { callFrame } = byId.get(id);
    const name = callFrame.functionName || '(anonymous)';
    total += micros;
    if (name === '(idle)') {
      idle += micros;
      continue;
    }
    const where = callFrame.url ? `${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}` : '';
    const key = `${name}\u0000${where}`;
    const entry = functions.get(key) ?? { function: name, location: where, selfMs: 0 };
    entry.selfMs += micros / 1000;
    functions.set(key, entry);
    const a = area(callFrame.url, name);
    areas.set(a, (areas.get(a) ?? 0) + micros / 1000);
  }
  const busyMs = (total - idle) / 1000;
  const share = (ms) => Math.round((ms / busyMs) * 1000) / 10;
  const round = (ms) => Math.round(ms * 10) / 10;
  return {
    file,
    window,
    wallMs: round(total / 1000),
    idleMs: round(idle / 1000),
    busyMs: round(busyMs),
    topFunctions: [...functions.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, count)
      .map((f) => ({ ...f, selfMs: round(f.selfMs), percentOfBusy: share(f.selfMs) })),
    byArea: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, ms]) => ({ area: name, selfMs: round(ms), percentOfBusy: share(ms) })),
  };
}

export function formatProfileSummary(summary) {
  const lines = [
    `profile ${summary.file}: ${summary.wallMs} ms sampled, ${summary.busyMs} ms busy, ${summary.idleMs} ms idle`,
    '',
    '| self ms | % of busy | function | location |',
    '| ---: | ---: | --- | --- |',
    ...summary.topFunctions.map((f) => `| ${f.selfMs} | ${f.percentOfBusy} | \`${f.function}\` | ${f.location} |`),
    '',
    '| self ms | % of busy | area |',
    '| ---: | ---: | --- |',
    ...summary.byArea.slice(0, 15).map((a) => `| ${a.selfMs} | ${a.percentOfBusy} | ${a.area} |`),
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, count, fromUs, toUs] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/cpuprofile-top.mjs <file.cpuprofile> [count] [fromUs toUs]');
    process.exit(2);
  }
  const window = fromUs && toUs ? { fromUs: Number(fromUs), toUs: Number(toUs) } : null;
  console.log(formatProfileSummary(summarizeProfile(file, Number(count ?? 25), window)));
}
