// Measurements shared by bench/ssh.mjs and bench/ssh-relay.mjs.

/**
 * Keystroke echo latency through one SSH path: `count` single characters typed, one at a time,
 * into a PTY running `cat -u` in raw mode (ssh2 as the client, Nagle off); p50/p99 in ms.
 */
export async function echoLatency(ssh2, connectOptions, count) {
  const client = new ssh2.Client();
  await new Promise((resolve, reject) => {
    client.once('ready', resolve).once('error', reject);
    client.connect({ host: '127.0.0.1', ...connectOptions });
  });
  client.setNoDelay(true);
  const channel = await new Promise((resolve, reject) =>
    client.exec('stty raw -echo; echo ready; exec cat -u', { pty: true }, (error, ch) =>
      error ? reject(error) : resolve(ch),
    ),
  );
  let waiting = null;
  let output = '';
  channel.on('data', (chunk) => {
    output += chunk.toString();
    waiting?.();
  });
  while (!output.includes('ready')) await new Promise((resolve) => (waiting = resolve));
  const samples = [];
  for (let i = 0; i < count; i++) {
    const echoed = new Promise((resolve) => (waiting = resolve));
    const started = process.hrtime.bigint();
    channel.write('x');
    await echoed;
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  client.end();
  samples.sort((a, b) => a - b);
  return {
    p50: samples[Math.floor(samples.length * 0.5)],
    p99: samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))],
  };
}

/** `count` sequential `ssh … true` sessions through `run(program, args)` (resolves with seconds); sessions/s. */
export async function sessionsPerSecond(run, count) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await run();
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}
