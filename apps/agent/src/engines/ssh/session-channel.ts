import type { Writable } from 'node:stream';
import type ssh2 from 'ssh2';
import { channelRequest } from '@postern/policy-ssh';
import { describeError, SessionEnd } from '../common/index.js';
import type { EngineContext } from '../engine.js';
import { admitCommand } from './command-gate.js';
import { LineGuard, lineGuardWanted } from './line-guard.js';
import { refuseOperation } from './operations.js';
import { SftpObserver } from './sftp-observer.js';
import { TerminalRecorder } from './terminal-recorder.js';

/** What a session channel needs of its SSH session. */
export interface ChannelHost {
  readonly context: EngineContext;
  /** The target connection (rejects with a SessionEnd when it could not be opened). */
  upstream(): Promise<ssh2.Client>;
  nextChannelId(): number;
  readonly recordingMaxBytes: number;
  track(channel: Closable): () => void;
  countFromClient(bytes: number): void;
  countFromTarget(bytes: number): void;
  countCommand(): void;
}

/** A channel the session can end with a message (revocation, shutdown). */
export interface Closable {
  /** Tells the client why and closes the channel; settles once the client has closed its side. */
  endWithMessage(message: string): Promise<void>;
}

/** Exit status a client sees for a command Postern refused (126: "cannot execute"). */
export const REFUSED_EXIT_STATUS = 126;

interface Pty {
  term: string;
  cols: number;
  rows: number;
  width: number;
  height: number;
  modes: ssh2.TerminalModes | undefined;
}

/**
 * One `session` channel: the requests before the real session (pty-req, env, window-change)
 * are kept and replayed on the target's channel; then one of shell, exec or subsystem opens the
 * target's channel of the same kind and the two are piped (stream backpressure = SSH windows).
 * Exit status or signal, window changes and signals pass through. Agent forwarding and X11 are
 * refused. An exec is accepted at once (a delayed accept fails once the client sent EOF) and
 * checked by policy after that; a held command waits there, before the target's exec is opened.
 */
export class SessionChannel implements Closable {
  private pty: Pty | null = null;
  private readonly env: Record<string, string> = {};
  private client: ssh2.ServerChannel | null = null;
  private target: ssh2.ClientChannel | null = null;
  private recorder: TerminalRecorder | null = null;
  private sftp: SftpObserver | null = null;
  private guard: LineGuard | null = null;
  private readonly id: number;
  private finished = false;
  private closed = false;
  private untrack: () => void = () => undefined;

  constructor(
    session: ssh2.Session,
    private readonly host: ChannelHost,
  ) {
    this.id = host.nextChannelId();
    session.on('pty', (accept, _reject, info) => {
      const modes = (info as ssh2.PseudoTtyInfo & { modes?: ssh2.TerminalModes }).modes;
      this.pty = { term: info.term, cols: info.cols, rows: info.rows, width: info.width, height: info.height, modes };
      accept?.();
    });
    session.on('env', (accept, _reject, info) => {
      this.env[info.key] = info.val;
      accept?.();
    });
    session.on('window-change', (accept, _reject, info) => {
      if (this.pty)
        Object.assign(this.pty, { cols: info.cols, rows: info.rows, width: info.width, height: info.height });
      this.target?.setWindow(info.rows, info.cols, info.height, info.width);
      this.recorder?.resize(info.cols, info.rows);
      accept?.();
    });
    session.on('signal', (accept, _reject, info) => {
      this.target?.signal(info.name);
      accept?.();
    });
    session.on('x11', (_accept, reject) => reject?.());
    session.on('auth-agent', (_accept, reject) => reject?.());
    session.on('shell', (accept) => void this.shell(accept()));
    session.on('exec', (accept, _reject, info: ssh2.ExecInfo) => void this.exec(accept(), info.command));
    session.on('subsystem', (accept, reject, info: ssh2.SubsystemInfo) => {
      if (info.name !== 'sftp') return reject?.();
      void this.subsystem(accept(), info.name);
    });
  }

  endWithMessage(message: string): Promise<void> {
    const client = this.client;
    if (client === null || this.closed) return Promise.resolve();
    const closed = new Promise<void>((resolve) => client.once('close', resolve));
    if (!this.finished) {
      this.finished = true;
      this.target?.close();
      client.stderr.write(`${this.eol}${message}${this.eol}`);
      client.exit(255);
      client.end();
    }
    return closed;
  }

  private async shell(client: ssh2.ServerChannel | undefined): Promise<void> {
    if (!client) return;
    this.attach(client);
    const refused = refuseOperation(this.host.context, 'shell', 'interactive shell');
    if (refused !== null) return this.refuse(client, refused);
    if (!(await this.admitChannel(client, channelRequest('shell'), 'interactive shell'))) return;
    const upstream = await this.targetOrFail(client);
    if (upstream === null) return;
    this.recorder = new TerminalRecorder(this.host.context, this.id, this.host.recordingMaxBytes);
    this.recorder.open('shell', this.pty, undefined);
    const guarded = this.pty !== null && lineGuardWanted(this.host.context);
    const window = this.pty === null ? false : this.ptyOptions(this.pty);
    const requested = this.pty === null ? null : { cols: this.pty.cols, rows: this.pty.rows };
    upstream.shell(window, { env: this.env }, (error, channel) => {
      if (!error && guarded && !this.finished)
        this.guard = new LineGuard(this.host.context, client, channel, (text) => client.write(text));
      this.piped(client, requested, error, channel);
    });
  }

  private async exec(client: ssh2.ServerChannel | undefined, command: string): Promise<void> {
    if (!client) return;
    this.attach(client);
    this.host.countCommand();
    const refused = refuseOperation(this.host.context, isFileCopy(command) ? 'sftp' : 'exec', command);
    if (refused !== null) return this.refuse(client, refused);
    const verdict = await admitCommand(command, this.host.context, (line) => client.stderr.write(`${line}${this.eol}`));
    if (this.finished) return;
    if (!verdict.ok) return this.refuse(client, verdict.message);
    const upstream = await this.targetOrFail(client);
    if (upstream === null) return;
    if (!isFileCopy(command)) {
      this.recorder = new TerminalRecorder(this.host.context, this.id, this.host.recordingMaxBytes);
      this.recorder.open('exec', this.pty, command);
    } else {
      this.host.context.record('ssh.channel', { channel: this.id, kind: 'exec', command });
    }
    const options: ssh2.ExecOptions = { env: this.env, ...(this.pty ? { pty: this.ptyOptions(this.pty) } : {}) };
    const requested = this.pty === null ? null : { cols: this.pty.cols, rows: this.pty.rows };
    upstream.exec(command, options, (error, channel) => this.piped(client, requested, error, channel));
  }

  private async subsystem(client: ssh2.ServerChannel | undefined, name: string): Promise<void> {
    if (!client) return;
    this.attach(client);
    const refused = refuseOperation(this.host.context, 'sftp', `subsystem ${name}`);
    if (refused !== null) return this.refuse(client, refused);
    if (!(await this.admitChannel(client, channelRequest('sftp'), name))) return;
    const upstream = await this.targetOrFail(client);
    if (upstream === null) return;
    this.host.context.record('ssh.channel', { channel: this.id, kind: 'subsystem', command: name });
    this.sftp = new SftpObserver((operation) =>
      this.host.context.record('ssh.sftp', { channel: this.id, ...operation }),
    );
    upstream.subsys(name, (error, channel) => this.piped(client, null, error, channel));
  }

  /** Rules on opening a shell or a subsystem (kinds INTERACTIVE_SHELL, SFTP): false when refused. */
  private async admitChannel(client: ssh2.ServerChannel, request: string, label: string): Promise<boolean> {
    const notify = (line: string): boolean => client.stderr.write(`${line}${this.eol}`);
    const verdict = await admitCommand(request, this.host.context, notify, label);
    if (this.finished) return false;
    if (!verdict.ok) this.refuse(client, verdict.message);
    return verdict.ok;
  }

  private attach(client: ssh2.ServerChannel): void {
    this.client = client;
    this.untrack = this.host.track(this);
    client.on('error', () => undefined);
    client.on('close', () => {
      this.finished = true;
      this.closed = true;
      this.target?.close();
      this.untrack();
    });
  }

  private async targetOrFail(client: ssh2.ServerChannel): Promise<ssh2.Client | null> {
    try {
      const upstream = await this.host.upstream();
      return this.finished ? null : upstream;
    } catch (error) {
      const message = error instanceof SessionEnd ? (error.fatal?.message ?? error.message) : describeError(error);
      this.refuse(client, `Postern: ${message}`, 255);
      return null;
    }
  }

  private refuse(client: ssh2.ServerChannel, message: string, status = REFUSED_EXIT_STATUS): void {
    this.finished = true;
    client.stderr.write(`${message}${this.eol}`);
    client.exit(status);
    client.end();
  }

  /** Pipes the client's channel and the target's until the target's side closes. */
  private piped(
    client: ssh2.ServerChannel,
    requested: { cols: number; rows: number } | null,
    error: Error | undefined,
    target: ssh2.ClientChannel,
  ): void {
    if (error) return this.refuse(client, `Postern: the target refused the channel: ${error.message}`, 255);
    if (this.finished) {
      target.close();
      return;
    }
    this.target = target;
    if (
      this.pty !== null &&
      requested !== null &&
      (this.pty.cols !== requested.cols || this.pty.rows !== requested.rows)
    ) {
      // The client resized while the target's channel was being opened.
      target.setWindow(this.pty.rows, this.pty.cols, this.pty.height, this.pty.width);
      this.recorder?.resize(this.pty.cols, this.pty.rows);
    }
    const started = Date.now();
    let fromClient = 0;
    let fromTarget = 0;
    let exit: { status: number | null; signal: string | null; dumped: boolean; description: string } = {
      status: null,
      signal: null,
      dumped: false,
      description: '',
    };
    client.on('data', (chunk: Buffer) => {
      fromClient += chunk.length;
      this.host.countFromClient(chunk.length);
      this.sftp?.fromClient.feed(chunk);
    });
    target.on('data', (chunk: Buffer) => {
      fromTarget += chunk.length;
      this.host.countFromTarget(chunk.length);
      this.recorder?.output(chunk, false);
      this.sftp?.fromServer.feed(chunk);
      this.guard?.observeOutput(chunk);
    });
    target.stderr.on('data', (chunk: Buffer) => {
      fromTarget += chunk.length;
      this.host.countFromTarget(chunk.length);
      this.recorder?.output(chunk, true);
    });
    target.on('exit', (status: number | null, signal?: string, dumped?: boolean, description?: string) => {
      exit = { status, signal: signal ?? null, dumped: dumped === true, description: description ?? '' };
    });
    // With the line guard, it carries the keystrokes to the target itself.
    if (this.guard === null) client.pipe(target);
    target.pipe(client, { end: false });
    target.stderr.pipe(client.stderr, { end: false });
    target.on('error', () => undefined);
    target.on('close', () => {
      void drained(client, client.stderr).then(() => {
        this.sftp?.end();
        this.host.context.record('ssh.channel.end', {
          channel: this.id,
          exitStatus: exit.status,
          exitSignal: exit.signal,
          durationMs: Date.now() - started,
          bytesFromClient: fromClient,
          bytesFromTarget: fromTarget,
          ...(this.recorder?.truncated ? { truncated: true } : {}),
        });
        if (this.finished) return;
        this.finished = true;
        if (exit.signal !== null) client.exit(exit.signal, exit.dumped, exit.description);
        else if (exit.status !== null) client.exit(exit.status);
        client.end();
      });
    });
  }

  /** Line ends of our own messages: a terminal needs CR LF, a pipe gets a plain LF. */
  private get eol(): string {
    return this.pty === null ? '\n' : '\r\n';
  }

  private ptyOptions(pty: Pty): ssh2.PseudoTtyOptions {
    return {
      term: pty.term,
      cols: pty.cols,
      rows: pty.rows,
      width: pty.width,
      height: pty.height,
      ...(pty.modes ? { modes: pty.modes } : {}),
    };
  }
}

/** scp's remote side (`scp -t`/`scp -f`): its stream is file content, not a terminal to record. */
function isFileCopy(command: string): boolean {
  return /^\s*scp(\s+-[a-zA-Z]+)*\s+-[a-zA-Z]*[tf]/.test(command);
}

/** Resolves once everything written to `streams` has been handed to the SSH layer. */
function drained(...streams: Writable[]): Promise<void> {
  return Promise.all(
    streams.map(
      (stream) =>
        new Promise<void>((resolve) => {
          if (stream.writableLength === 0 || !stream.writable) return resolve();
          const done = (): void => {
            if (stream.writableLength === 0) {
              stream.off('drain', done);
              stream.off('close', resolve);
              resolve();
            }
          };
          stream.on('drain', done);
          stream.once('close', resolve);
        }),
    ),
  ).then(() => undefined);
}
