// Loaded into the agent by bench/agent-scale.mjs (NODE_OPTIONS=--import=… --expose-gc), never in
// production: on SIGUSR2 it collects garbage and writes what the process holds — active libuv
// resources by kind (sockets, servers, ref'd timers), every live timer (ref'd or not) by the line
// of code that created it, the V8 heap, and listener counts on `process` — to the file named by
// POSTERN_BENCH_PROBE_FILE, then renames it into place so a reader never sees half of it.
// process.getActiveResourcesInfo() counts only ref'd timers, hence the wrapped setTimeout /
// setInterval (global ones: what the agent's code calls); a timer that grows with the sessions
// shows up as a site whose count follows the session count. SIGURG starts a CPU profile (the
// inspector's, in process: `--cpu-prof` is not allowed in NODE_OPTIONS) and the next SIGURG
// writes it to `<POSTERN_BENCH_PROBE_FILE>.cpuprofile`.
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import v8 from 'node:v8';

const file = process.env.POSTERN_BENCH_PROBE_FILE;
if (file) {
  const live = new Map();
  const site = () => {
    const stack = new Error().stack?.split('\n') ?? [];
    // [0] "Error", [1] this function, [2] the wrapper, [3] the caller.
    return (stack.find((line, i) => i >= 3 && !line.includes('node:internal')) ?? '?').trim();
  };
  const { setTimeout: st, setInterval: si, clearTimeout: ct, clearInterval: ci } = globalThis;
  globalThis.setTimeout = function (fn, ms, ...args) {
    const timer = st(
      (...a) => {
        live.delete(timer);
        fn(...a);
      },
      ms,
      ...args,
    );
    live.set(timer, site());
    return timer;
  };
  globalThis.setInterval = function (fn, ms, ...args) {
    const timer = si(fn, ms, ...args);
    live.set(timer, site());
    return timer;
  };
  globalThis.clearTimeout = function (timer) {
    live.delete(timer);
    return ct(timer);
  };
  globalThis.clearInterval = function (timer) {
    live.delete(timer);
    return ci(timer);
  };
  process.on('SIGUSR2', () => {
    globalThis.gc?.();
    const resources = {};
    for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
    const timers = {};
    for (const where of live.values()) timers[where] = (timers[where] ?? 0) + 1;
    const heap = v8.getHeapStatistics();
    const probe = {
      at: Date.now(),
      resources,
      liveTimers: live.size,
      timers,
      heapUsedBytes: heap.used_heap_size,
      externalBytes: process.memoryUsage().external,
      arrayBuffersBytes: process.memoryUsage().arrayBuffers,
      processListeners: process.eventNames().reduce((n, name) => n + process.listenerCount(name), 0),
    };
    writeFileSync(`${file}.tmp`, JSON.stringify(probe));
    renameSync(`${file}.tmp`, file);
  });
  let profiler = null;
  process.on('SIGURG', () => {
    if (profiler === null) {
      profiler = new Session();
      profiler.connect();
      profiler.post('Profiler.enable', () => profiler.post('Profiler.start'));
      return;
    }
    const session = profiler;
    profiler = null;
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(`${file}.cpuprofile.tmp`, JSON.stringify(result.profile));
      if (!error) renameSync(`${file}.cpuprofile.tmp`, `${file}.cpuprofile`);
      session.disconnect();
    });
  });
}
