import type ssh2 from 'ssh2';
import type { AuthenticationResult, EngineContext, Principal, ResolvedConnection } from '../engine.js';
import { parseLogin } from './login.js';

/** Who logged in, through which connection. */
export interface Authenticated {
  principal: Principal;
  connection: ResolvedConnection;
  user: string;
}

const METHODS: ssh2.AuthenticationType[] = ['password', 'keyboard-interactive'];

/**
 * Client authentication: the login name names the Postern user and the connection
 * (`<login>+<connection>`, see login.ts) and the password is the Postern credential (a
 * connection credential `postern_conn_…` or an OIDC access token), checked by the agent's
 * authenticator through the context. Password and keyboard-interactive carry it; other methods
 * are refused. Keyboard-interactive tells the client why its last attempt failed (OpenSSH prints
 * a prompt's instructions); with password auth the client only sees "Permission denied".
 */
export class ClientAuth {
  private attempts = 0;
  private lastFailure = '';
  private busy = false;

  constructor(
    private readonly context: EngineContext,
    private readonly maxAttempts: number,
    private readonly onSuccess: (authenticated: Authenticated) => void,
    private readonly onGiveUp: (message: string) => void,
  ) {}

  handle(ctx: ssh2.AuthContext): void {
    if (this.busy) {
      ctx.reject(METHODS);
      return;
    }
    if (ctx.method === 'password') {
      void this.check(ctx, ctx.username, ctx.password);
    } else if (ctx.method === 'keyboard-interactive') {
      const instructions = this.lastFailure === '' ? 'Password: your Postern credential' : this.lastFailure;
      ctx.prompt([{ prompt: 'Postern credential: ', echo: false }], 'Postern', instructions, (answers) => {
        void this.check(ctx, ctx.username, answers[0] ?? '');
      });
    } else {
      ctx.reject(METHODS);
    }
  }

  private async check(ctx: ssh2.AuthContext, username: string, password: string): Promise<void> {
    this.busy = true;
    try {
      const failure = await this.verify(username, password);
      if (failure === null) return ctx.accept();
      this.lastFailure = failure;
      this.context.logger.info({ login: username.slice(0, 200) }, `ssh login refused: ${failure}`);
      this.attempts += 1;
      ctx.reject(METHODS);
      if (this.attempts >= this.maxAttempts) this.onGiveUp(`${this.attempts} failed logins: ${failure}`);
    } catch (error) {
      this.context.logger.error({ err: error }, 'ssh authentication failed');
      ctx.reject(METHODS);
    } finally {
      this.busy = false;
    }
  }

  /** null when authenticated (and onSuccess called), else what went wrong. */
  private async verify(username: string, password: string): Promise<string | null> {
    const login = parseLogin(username);
    if (login === null) return `log in as <postern login>+<connection>, not "${username.slice(0, 80)}"`;
    const connection = this.context.resolveConnection(login.connection, 'ssh');
    if (connection === null) return `no SSH connection named "${login.connection.slice(0, 80)}"`;
    if (password === '') return 'empty credential';
    const result = await this.context.authenticate(connection, login.user, password);
    if (!result.ok) return refusal(result, login.user, connection);
    this.onSuccess({ principal: result.principal, connection, user: login.user });
    return null;
  }
}

function refusal(result: Exclude<AuthenticationResult, { ok: true }>, user: string, connection: ResolvedConnection) {
  switch (result.reason) {
    case 'invalid_credential':
      return `the credential presented for "${user}" is not valid`;
    case 'expired_credential':
      return `the credential of "${user}" has expired: obtain a fresh one`;
    case 'no_access':
      return `"${user}" has no access to connection "${connection.name}"`;
    case 'user_mismatch':
      return `the credential does not belong to "${user}"${result.loginNames?.length ? ` (log in as ${result.loginNames.at(-1)}+${connection.name})` : ''}`;
    case 'rate_limited':
      return result.message;
    case 'policy_stale':
      return 'the Postern agent cannot reach its control plane: new sessions are refused until it can';
  }
}
