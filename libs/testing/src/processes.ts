import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/**
 * A real child process of the system under test (control plane, agent, IdP), with its JSON log
 * lines collected so tests can wait for what it reports ("grpc listening", "agent online").
 */
export class ManagedProcess {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    script: string,
    env: Record<string, string>,
    args: string[] = [],
  ) {
    this.child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env['PATH'] ?? '', TZ: 'UTC', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ msg: line, raw: true });
        }
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * CPU time (user + system) the process has used so far, in ms, from /proc/<pid>/stat (Linux;
   * clock ticks of 10 ms). Unlike wall-clock time it does not grow when the machine is busy.
   */
  cpuMs(): number {
    const fields = readFileSync(`/proc/${String(this.child.pid)}/stat`, 'utf8')
      .split(') ')[1]!
      .split(' ');
    // After the command name: state is field 3, utime field 14, stime field 15 (proc(5)).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Waits for a log line matching `predicate` (searching lines already seen too). A process that
   * exits without logging it fails the wait at once, with its output.
   */
  async waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 15_000, what = 'log line'): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(predicate);
      if (found) return found;
      if (!this.running) throw new Error(`${this.name} exited before ${what}: ${this.output()}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${this.name}: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  waitForMessage(msg: string, timeoutMs?: number): Promise<LogLine> {
    return this.waitForLog((line) => line.msg === msg, timeoutMs, `"${msg}"`);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.child.kill(signal);
  }

  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    timeoutMs = 10_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.kill(signal);
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }

  /** Everything the process printed, for failure messages and secret-leak checks. */
  output(): string {
    return [...this.logs.map((l) => JSON.stringify(l)), ...this.stderr].join('\n');
  }
}
