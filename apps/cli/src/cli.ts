// The `postern` command's logic, separate from process wiring so tests can drive it.
import { parseArgs } from 'node:util';
import { credentialsPath, loadCredentials, removeCredentials } from './credentials.js';
import { UsageError } from './errors.js';
import { login } from './login.js';
import type { Output } from './output.js';
import { currentCredentials } from './session.js';
import { whoami } from './whoami.js';

const DEFAULT_CLIENT_ID = 'postern-cli';
const DEFAULT_AUDIENCE = 'urn:postern:gateway';
const DEFAULT_SCOPE = 'openid email profile groups';
const DEFAULT_API = 'http://127.0.0.1:8080';

const USAGE = `Usage: postern <command> [options]

Commands:
  login    Sign in with the device flow and store the token
             --issuer <url>       OpenID Provider (default: the last one used, or $POSTERN_OIDC_ISSUER)
             --client-id <id>     public client registered for the device flow (default: ${DEFAULT_CLIENT_ID})
             --audience <uri>     resource indicator for Postern's tokens (default: ${DEFAULT_AUDIENCE};
                                  --audience "" sends none)
             --scope <scopes>     (default: "${DEFAULT_SCOPE}")
             --api <url>          Postern API to remember for whoami
  whoami   Show who the API thinks you are     --api <url> (default: from login, $POSTERN_API_URL, ${DEFAULT_API})
  token    Print the access token. API tokens are refused as database passwords: for psql, sign in
           for the data-plane audience (default ${DEFAULT_AUDIENCE}:data-plane) in its own config dir:
             POSTERN_CONFIG_DIR=~/.config/postern-db postern login --audience ${DEFAULT_AUDIENCE}:data-plane
             PGPASSWORD=$(POSTERN_CONFIG_DIR=~/.config/postern-db postern token) psql "user=<your e-mail> ..."
  logout   Forget the stored token

Credentials: $POSTERN_CONFIG_DIR/credentials.json, else ~/.config/postern/credentials.json (mode 0600).`;

/** Runs one command; returns the exit code, or throws a CliError for the user. */
export async function run(
  argv: string[],
  env: NodeJS.ProcessEnv,
  output: Output,
  signal?: AbortSignal,
): Promise<number> {
  const { values, positionals } = parse(argv);
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    output.out(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
  const path = credentialsPath(env);

  switch (command) {
    case 'login': {
      const previous = await loadCredentials(path).then(
        ({ credentials }) => credentials,
        () => null,
      );
      const issuer = values.issuer ?? previous?.issuer ?? env['POSTERN_OIDC_ISSUER'];
      if (!issuer) throw new UsageError('--issuer is required (the URL of your OpenID Provider)');
      const audience = values.audience ?? DEFAULT_AUDIENCE;
      await login(
        {
          issuer,
          clientId: values['client-id'] ?? DEFAULT_CLIENT_ID,
          audience: audience === '' ? null : audience,
          scope: values.scope ?? DEFAULT_SCOPE,
          api: values.api ?? previous?.api ?? null,
          credentialsPath: path,
          ...(signal ? { signal } : {}),
        },
        output,
      );
      return 0;
    }
    case 'whoami': {
      const credentials = await currentCredentials(path, output);
      await whoami(
        values.api ?? env['POSTERN_API_URL'] ?? credentials.api ?? DEFAULT_API,
        credentials.accessToken,
        output,
      );
      return 0;
    }
    case 'token': {
      output.out((await currentCredentials(path, output)).accessToken);
      return 0;
    }
    case 'logout': {
      output.err((await removeCredentials(path)) ? `Removed ${path}` : 'Not signed in.');
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)} (try postern --help)`);
  }
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        issuer: { type: 'string' },
        'client-id': { type: 'string' },
        audience: { type: 'string' },
        scope: { type: 'string' },
        api: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
