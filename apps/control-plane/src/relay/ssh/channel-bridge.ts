import type { Writable } from 'node:stream';
import type ssh2 from 'ssh2';

interface Pty {
  term: string;
  cols: number;
  rows: number;
  width: number;
  height: number;
  modes?: ssh2.TerminalModes;
}

/**
 * One client `session` channel carried to the agent: the requests that come before the real
 * session (pty-req, env, window-change) are kept and sent with it; shell, exec or subsystem then
 * opens the same on the agent's SSH engine and the two channels are piped (stream backpressure is
 * the SSH window, both ways). Window changes and signals follow; exit status or signal comes back.
 * The relay decides nothing here: the agent applies the rules (and refuses agent forwarding and
 * X11, which are refused here too, since the relay could not carry them anyway).
 *
 * An exec is accepted at once and only then opened on the agent: a delayed accept returns
 * undefined once the client has sent EOF (`ssh -n`).
 */
export class SessionBridge {
  private pty: Pty | null = null;
  private readonly env: Record<string, string> = {};
  private client: ssh2.ServerChannel | null = null;
  private agent: ssh2.ClientChannel | null = null;
  private closed = false;

  constructor(
    session: ssh2.Session,
    private readonly upstream: ssh2.Client,
    /** Called with the client's channel once accepted (the session waits for it at its end). */
    private readonly opened: (channel: ssh2.ServerChannel) => void,
  ) {
    session.on('pty', (accept, _reject, info) => {
      const modes = (info as ssh2.PseudoTtyInfo & { modes?: ssh2.TerminalModes }).modes;
      this.pty = { term: info.term, cols: info.cols, rows: info.rows, width: info.width, height: info.height };
      if (modes) this.pty.modes = modes;
      accept?.();
    });
    session.on('env', (accept, _reject, info) => {
      this.env[info.key] = info.val;
      accept?.();
    });
    session.on('window-change', (accept, _reject, info) => {
      if (this.pty)
        Object.assign(this.pty, { cols: info.cols, rows: info.rows, width: info.width, height: info.height });
      this.agent?.setWindow(info.rows, info.cols, info.height, info.width);
      accept?.();
    });
    session.on('signal', (accept, _reject, info) => {
      this.agent?.signal(info.name);
      accept?.();
    });
    session.on('x11', (_accept, reject) => reject?.());
    session.on('auth-agent', (_accept, reject) => reject?.());
    session.on('shell', (accept) => {
      const client = this.attach(accept());
      if (!client) return;
      const window = this.pty === null ? false : this.ptyOptions(this.pty);
      this.upstream.shell(window, { env: this.env }, (error, agent) => this.piped(client, error, agent));
    });
    session.on('exec', (accept, _reject, info: ssh2.ExecInfo) => {
      const client = this.attach(accept());
      if (!client) return;
      const options: ssh2.ExecOptions = { env: this.env, ...(this.pty ? { pty: this.ptyOptions(this.pty) } : {}) };
      this.upstream.exec(info.command, options, (error, agent) => this.piped(client, error, agent));
    });
    session.on('subsystem', (accept, _reject, info: ssh2.SubsystemInfo) => {
      const client = this.attach(accept());
      if (!client) return;
      this.upstream.subsys(info.name, (error, agent) => this.piped(client, error, agent));
    });
  }

  private attach(client: ssh2.ServerChannel | undefined): ssh2.ServerChannel | null {
    if (!client) return null;
    this.client = client;
    this.opened(client);
    client.on('error', () => undefined);
    client.on('close', () => {
      this.closed = true;
      this.agent?.close();
    });
    return client;
  }

  /** Pipes the client's channel and the agent's until the agent's side closes. */
  private piped(client: ssh2.ServerChannel, error: Error | undefined, agent: ssh2.ClientChannel): void {
    if (error) {
      client.stderr.write(`Postern relay: the agent refused the channel: ${error.message}\n`);
      client.exit(255);
      client.end();
      return;
    }
    if (this.closed) {
      agent.close();
      return;
    }
    this.agent = agent;
    let exit: { status: number | null; signal: string | null; dumped: boolean; description: string } = {
      status: null,
      signal: null,
      dumped: false,
      description: '',
    };
    agent.on('exit', (status: number | null, signal?: string, dumped?: boolean, description?: string) => {
      exit = { status, signal: signal ?? null, dumped: dumped === true, description: description ?? '' };
    });
    agent.on('error', () => undefined);
    client.pipe(agent);
    agent.pipe(client, { end: false });
    agent.stderr.pipe(client.stderr, { end: false });
    agent.on('close', () => {
      void drained(client, client.stderr).then(() => {
        if (this.closed) return;
        if (exit.signal !== null) client.exit(exit.signal, exit.dumped, exit.description);
        else if (exit.status !== null) client.exit(exit.status);
        client.end();
      });
    });
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

/**
 * A direct-tcpip channel (`ssh -L`): opened on the agent with the same destination, which the
 * agent allows or refuses by the connection's forwardDestinations; refused here if it refuses.
 */
export function bridgeForward(
  upstream: ssh2.Client,
  accept: () => ssh2.ServerChannel | undefined,
  reject: () => void,
  info: ssh2.TcpipRequestInfo,
): void {
  upstream.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (error, agent) => {
    if (error) return reject();
    const client = accept();
    if (!client) return agent.close();
    client.on('error', () => undefined);
    agent.on('error', () => undefined);
    client.pipe(agent).pipe(client);
    client.on('close', () => agent.close());
    agent.on('close', () => client.close());
  });
}

/** Resolves once everything written to `streams` has been handed to the SSH layer. */
function drained(...streams: Writable[]): Promise<void> {
  return Promise.all(
    streams.map(
      (stream) =>
        new Promise<void>((resolve) => {
          if (stream.writableLength === 0 || !stream.writable) return resolve();
          const done = (): void => {
            if (stream.writableLength !== 0) return;
            stream.off('drain', done);
            resolve();
          };
          stream.on('drain', done);
        }),
    ),
  ).then(() => undefined);
}
