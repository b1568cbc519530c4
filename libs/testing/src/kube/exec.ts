import type { WebSocket } from 'ws';

/**
 * The stand-in's pretend container processes for `exec`, over the Kubernetes remote-command
 * WebSocket protocols (v4/v5.channel.k8s.io): every binary message starts with its channel byte
 * (0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize, and in v5 255 = close a channel).
 * Commands understood: `echo …`, `cat` (stdin to stdout until stdin closes), `sleep N`,
 * `exit N`, and `sh -c "<those, separated by ;>"`. Anything else exits 127 on stderr.
 */
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const STATUS = 3;
export const RESIZE = 4;
export const CLOSE = 255;

export function runExec(socket: WebSocket, command: string[], onStdin: (data: Buffer) => void): void {
  let stdinClosed = false;
  const stdinWaiters: (() => void)[] = [];
  const stdinChunks: Buffer[] = [];
  let stdinWaker: (() => void) | null = null;
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return;
    const channel = data[0];
    if (channel === STDIN) {
      onStdin(data.subarray(1));
      stdinChunks.push(Buffer.from(data.subarray(1)));
      stdinWaker?.();
    } else if (channel === CLOSE && data[1] === STDIN) {
      stdinClosed = true;
      stdinWaker?.();
      for (const waiter of stdinWaiters.splice(0)) waiter();
    }
  });
  let closed = false;
  socket.on('close', () => {
    closed = true;
    stdinWaker?.();
  });
  const send = (channel: number, text: string | Buffer) => {
    if (!closed) socket.send(Buffer.concat([Buffer.from([channel]), Buffer.from(text)]));
  };
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });

  const runOne = async (argv: string[]): Promise<number | null> => {
    const [program, ...args] = argv;
    switch (program) {
      case 'echo':
        send(STDOUT, `${args.join(' ')}\n`);
        return 0;
      case 'cat':
        for (;;) {
          while (stdinChunks.length > 0) send(STDOUT, stdinChunks.shift()!);
          if (stdinClosed || closed) return 0;
          await new Promise<void>((resolve) => (stdinWaker = resolve));
          stdinWaker = null;
        }
      case 'sleep':
        await wait(Number(args[0] ?? '1') * 1000);
        return 0;
      case 'exit':
        return Number(args[0] ?? '0');
      case 'sh':
      case 'bash':
        if (args[0] === '-c' && args[1] !== undefined) {
          let code = 0;
          for (const part of args[1].split(';')) {
            const words = part.trim().split(/\s+/).filter(Boolean);
            if (words.length === 0) continue;
            code = (await runOne(words)) ?? 0;
            if (words[0] === 'exit') return code;
          }
          return code;
        }
        send(STDERR, 'sh: only -c is supported by the stand-in\n');
        return 2;
      default:
        send(STDERR, `${program}: command not found\n`);
        return 127;
    }
  };

  void (async () => {
    const code = (await runOne(command)) ?? 0;
    const status =
      code === 0
        ? { metadata: {}, status: 'Success' }
        : {
            metadata: {},
            status: 'Failure',
            message: `command terminated with non-zero exit code: exit status ${code}`,
            reason: 'NonZeroExitCode',
            details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
          };
    send(STATUS, JSON.stringify(status));
    if (!closed) socket.close(1000);
  })();
}
