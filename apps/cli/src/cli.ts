// The `postern` command's logic, separate from process wiring so tests can drive it.
import { Command, CommanderError, Option } from 'commander';
import { completionScript } from './completion.js';
import { connect, connections, env, grants, requestAccess } from './commands/access.js';
import { sshConfig } from './commands/ssh.js';
import { loginCommand, logoutCommand, tokenCommand, whoamiCommand } from './commands/auth.js';
import { configGet, configList, configSet, configUse } from './commands/config.js';
import { kubeCredential, kubeconfig } from './commands/kubernetes.js';
import { proxy } from './commands/proxy.js';
import { decide, review, reviews } from './commands/reviews.js';
import { replay, sessions, verify } from './commands/sessions.js';
import { addSshKey, listSshKeys, removeSshKey } from './commands/ssh-keys.js';
import { CommandContext, type GlobalOptions } from './context.js';
import { CliError, EXIT } from './errors.js';
import type { Output } from './output.js';

const EPILOGUE = `
Exit codes: 0 done, 1 failed, 2 usage, 3 not signed in or token refused, 4 no access or not
allowed, 5 request rejected or expired, 130 interrupted. \`postern connect\` exits with the client's code.

Configuration: profiles in $POSTERN_CONFIG_DIR/config.json (else ~/.config/postern), credentials
beside it (mode 0600). $POSTERN_PROFILE, $POSTERN_API_URL and $POSTERN_OUTPUT override the profile.`;

/** Runs one command line; returns the exit code, or throws a CliError for the user. */
export async function run(
  argv: string[],
  environment: NodeJS.ProcessEnv,
  output: Output,
  signal: AbortSignal = new AbortController().signal,
  interactive = false,
): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(
    output,
    (options) => new CommandContext(environment, output, signal, options, interactive),
    (code) => {
      exitCode = code;
    },
  );
  if (argv.length === 0) {
    output.err(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      if (error.code === 'commander.help') return 0;
      throw new CliError(error.message.replace(/^error: /, ''), EXIT.usage);
    }
    throw error;
  }
  return exitCode;
}

export function buildProgram(
  output: Output,
  contextFor: (options: GlobalOptions) => CommandContext,
  setExit: (code: number) => void,
): Command {
  const program = new Command('postern')
    .description('Reach databases and servers through Postern, ask for access, approve, replay.')
    .option('--profile <name>', 'configuration profile (default: the current one)')
    .addOption(new Option('-o, --output <format>', 'table or json').choices(['table', 'json']))
    .option('--no-color', 'no colours (also with NO_COLOR)')
    .option('-q, --quiet', 'no progress or hints on stderr')
    .option('--api <url>', 'Postern API URL (default: the profile, $POSTERN_API_URL)')
    .addHelpText('after', EPILOGUE)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.out(text.replace(/\n$/, '')),
      writeErr: (text) => output.err(text.replace(/\n$/, '')),
      outputError: () => undefined, // raised as a CliError instead, printed once by main
    });

  /** Wraps an action: builds the context from the global options and records the exit code. */
  const action =
    <A extends unknown[]>(body: (context: CommandContext, ...args: A) => Promise<number>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const context = contextFor(command.optsWithGlobals() as GlobalOptions);
      await context.load();
      setExit(await body(context, ...(args.slice(0, -1) as A)));
    };

  program
    .command('login')
    .description('sign in (device flow; --browser for a browser on this machine)')
    .option('--issuer <url>', 'OpenID Provider (remembered in the profile)')
    .option('--client-id <id>', 'public client of the CLI (default postern-cli)')
    .option('--audience <uri>', 'resource indicator for the API token ("" sends none)')
    .option('--scope <scopes>', 'scopes to ask for')
    .option('--browser', 'authorization code + PKCE with a redirect to 127.0.0.1')
    .option('--no-open', 'with --browser: print the URL, do not start a browser')
    .option('--token-file <path>', "a workload's platform token (CI job, pod), exchanged for each credential")
    .action(
      action((context, flags: Record<string, unknown>) =>
        loginCommand(context, { ...flags, ...(context.apiOverride ? { api: context.apiOverride } : {}) }),
      ),
    );
  program
    .command('logout')
    .description('revoke the refresh token and forget the credentials')
    .action(action(logoutCommand));
  program.command('whoami').description('who the API thinks you are').action(action(whoamiCommand));
  program.command('token').description('print the access token (for scripts)').action(action(tokenCommand));

  const config = program.command('config').description('profiles and settings');
  config.command('list').description('every profile and its settings').action(action(configList));
  config.command('get').argument('<key>').description('one setting of the profile').action(action(configGet));
  config
    .command('set')
    .argument('<key>', 'api, issuer, clientId, audience, output, caFile, gateway.<protocol>')
    .argument('<value>', '"" removes it')
    .description('change one setting of the profile')
    .action(action(configSet));
  config.command('use').argument('<profile>').description('make a profile the current one').action(action(configUse));

  program
    .command('connections')
    .alias('ls')
    .description('connections you can reach now, and those you may request')
    .action(action(connections));
  const credentialOptions = (command: Command) =>
    command
      .option('--via <host:port>', 'reach it here instead of the relay (an agent listener)')
      .option('--ttl <duration>', 'credential lifetime, e.g. 30m (default 1h)');
  credentialOptions(
    program
      .command('connect')
      .argument('<name>', 'connection name')
      .argument('[client-args...]', 'passed to the client after --')
      .description('start psql/mariadb/ssh with a fresh short-lived credential (in its environment only)'),
  ).action(
    action((context, name: string, extra: string[], flags: Record<string, string>) =>
      connect(context, name, flags, extra),
    ),
  );
  program
    .command('ssh-config')
    .argument('<name>', 'ssh connection name')
    .description("pin the relay's SSH host key and print an ssh_config block (Host postern-<name>)")
    .action(action((context, name: string) => sshConfig(context, name)));
  credentialOptions(
    program
      .command('env')
      .argument('<name>', 'connection name')
      .option('--shell <shell>', 'sh or fish', 'sh')
      .description('print the client variables to eval (PGHOST, PGPASSWORD, …)'),
  ).action(action((context, name: string, flags: Record<string, string>) => env(context, name, flags)));
  credentialOptions(
    program
      .command('proxy')
      .argument('<name>', 'connection name')
      .option('--port <port>', 'local port (default: any free port)')
      .description('a local PostgreSQL listener for tools that cannot present a credential'),
  ).action(action((context, name: string, flags: Record<string, string>) => proxy(context, name, flags)));
  program
    .command('kubeconfig')
    .argument('<name>', 'Kubernetes connection name')
    .option('--via <host:port>', 'reach it here instead of the relay (an agent listener)')
    .option('--kubeconfig <file>', 'the file to merge into (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--namespace <namespace>', "the context's default namespace")
    .option('--context-name <name>', 'context, cluster and user name (default postern-<name>)')
    .option('--use', 'make it the current context')
    .description('add a kubectl context for a Kubernetes connection (merged; other contexts are kept)')
    .action(
      action(
        (
          context,
          name: string,
          flags: { via?: string; kubeconfig?: string; namespace?: string; contextName?: string; use?: boolean },
        ) => kubeconfig(context, name, flags),
      ),
    );
  program
    .command('kube-credential')
    .argument('<name>', 'Kubernetes connection name')
    .option('--ttl <duration>', 'credential lifetime, e.g. 30m (default 1h)')
    .description("kubectl's exec credential plugin (written into the kubeconfig by `postern kubeconfig`)")
    .action(action((context, name: string, flags: { ttl?: string }) => kubeCredential(context, name, flags)));

  program
    .command('request-access')
    .argument('<name>', 'connection name')
    .requiredOption('--for <duration>', 'how long, e.g. 2h')
    .requiredOption('--reason <text>', 'why (approvers see it)')
    .option('--no-wait', 'return once requested')
    .description('ask for just-in-time access and wait for the decision')
    .action(
      action((context, name: string, flags: { for: string; reason: string; wait: boolean }) =>
        requestAccess(context, name, flags),
      ),
    );
  program.command('grants').description('your active just-in-time grants').action(action(grants));

  program
    .command('reviews')
    .option('--status <status>', 'pending (default), approved, rejected, expired, cancelled or all')
    .option('-w, --watch', 'keep the list live')
    .description('requests waiting for a decision (approvers), or yours')
    .action(action((context, flags: { status?: string; watch?: boolean }) => reviews(context, flags)));
  program
    .command('review')
    .argument('<id>')
    .description('one request in full, with session context')
    .action(action(review));
  for (const [verb, approve] of [
    ['approve', true],
    ['reject', false],
  ] as const) {
    program
      .command(verb)
      .argument('<id>', 'review id')
      .option('-m, --comment <text>', 'shown to the requester')
      .description(`${verb} a request (never your own)`)
      .action(
        action((context, id: string, flags: { comment?: string }) => decide(context, id, approve, flags.comment)),
      );
  }

  program
    .command('sessions')
    .option('--connection <name>', 'only this connection')
    .option('--user <name>', 'only this user (name or principal id)')
    .option('--status <status>', 'active or closed')
    .option('--limit <n>', 'at most n (default 50)')
    .description('recorded sessions, most recent first (auditors)')
    .action(action((context, flags: Record<string, string>) => sessions(context, flags)));
  program
    .command('replay')
    .argument('<id>', 'session id')
    .option('--speed <n>', '0 prints at once (default); n replays gaps n times faster')
    .option('--cast', 'write one terminal (SSH shell or exec, Kubernetes exec) as an asciicast v2 file')
    .option('--terminal <key>', 'with --cast: which terminal (ssh:<channel>, kubernetes:<stream>); default the first')
    .description('a session as a timeline of statements and decisions, or a terminal as asciicast (--cast)')
    .action(
      action((context, id: string, flags: { speed?: string; cast?: boolean; terminal?: string }) =>
        replay(context, id, flags),
      ),
    );
  program
    .command('verify')
    .argument('<id>', 'session id')
    .description("check a recording's hash chain")
    .action(action(verify));

  const sshKeys = program.command('ssh-keys').description('the SSH public keys you log in to SSH connections with');
  sshKeys.command('list').description('your SSH keys').action(action(listSshKeys));
  sshKeys
    .command('add')
    .argument('[file]', 'a .pub file, - for stdin (default: ~/.ssh/id_ed25519.pub, id_ecdsa.pub, id_rsa.pub)')
    .option('--name <name>', 'a name for the key (default: its comment)')
    .description('register a public key (ed25519, ecdsa, or rsa of 3072 bits and more)')
    .action(action((context, file: string | undefined, flags: { name?: string }) => addSshKey(context, file, flags)));
  sshKeys
    .command('remove')
    .argument('<key>', 'key id or SHA256 fingerprint')
    .description('remove a key; sessions opened with it end')
    .action(action(removeSshKey));

  program
    .command('completion')
    .argument('<shell>', 'bash, zsh or fish')
    .description('print a shell completion script')
    .action(async (shell: string) => {
      output.out(completionScript(program, shell).replace(/\n$/, ''));
      setExit(0);
    });
  return program;
}
