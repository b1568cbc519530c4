import type ssh2 from 'ssh2';
import type { AuthenticationResult, ClientProof, EngineContext, Principal, ResolvedConnection } from '../engine.js';
import { parseLogin } from './login.js';
import { relayedKey, signatureValid, type UsedSessionIds } from './relayed-key.js';

/** Who logged in, through which connection. */
export interface Authenticated {
  principal: Principal;
  connection: ResolvedConnection;
  user: string;
}

const METHODS: ssh2.AuthenticationType[] = ['publickey', 'password', 'keyboard-interactive'];
/** Key queries (a client asking whether a key would do, before signing) answered per connection. */
const MAX_KEY_QUERIES = 20;

/**
 * Client authentication: the login name names the Postern user and the connection
 * (`<login>+<connection>`, see login.ts) and the password is the Postern credential (a
 * connection credential `postern_conn_…` or an OIDC access token), checked by the agent's
 * authenticator through the context. Password and keyboard-interactive carry it. Public-key
 * login: a key the user registered in Postern (in the policy snapshot); the engine checks the
 * client's signature over the session, then the authenticator admits the key's principal if the
 * login name is theirs and they have access. Other methods are refused. Keyboard-interactive tells the client why its last attempt failed (OpenSSH prints
 * a prompt's instructions); with password auth the client only sees "Permission denied".
 */
export class ClientAuth {
  private attempts = 0;
  private lastFailure = '';
  private busy = false;
  private keyQueries = 0;

  constructor(
    private readonly context: EngineContext,
    private readonly maxAttempts: number,
    private readonly onSuccess: (authenticated: Authenticated) => void,
    private readonly onGiveUp: (message: string) => void,
    /** Session ids of relayed key proofs already used (the engine's, shared by its sessions). */
    private readonly usedProofs: UsedSessionIds,
  ) {}

  handle(ctx: ssh2.AuthContext): void {
    if (this.busy) {
      ctx.reject(METHODS);
      return;
    }
    if (ctx.method === 'password') {
      void this.check(ctx, ctx.username, ctx.password);
    } else if (ctx.method === 'publickey') {
      this.publicKey(ctx);
    } else if (ctx.method === 'keyboard-interactive') {
      const instructions = this.lastFailure === '' ? 'Password: your Postern credential' : this.lastFailure;
      ctx.prompt([{ prompt: 'Postern credential: ', echo: false }], 'Postern', instructions, (answers) => {
        void this.check(ctx, ctx.username, answers[0] ?? '');
      });
    } else {
      ctx.reject(METHODS);
    }
  }

  /**
   * A key query (no signature) is answered from the snapshot without opening anything; a signed
   * request is verified (the signature over the session id, by the offered key, with the algorithm
   * the client named) before the key is presented to the authenticator.
   */
  private publicKey(ctx: ssh2.PublicKeyAuthContext): void {
    if (ctx.signature === undefined || ctx.blob === undefined) {
      this.keyQueries += 1;
      const login = parseLogin(ctx.username);
      const connection = login === null ? null : this.context.resolveConnection(login.connection, 'ssh');
      const known =
        this.keyQueries <= MAX_KEY_QUERIES &&
        login !== null &&
        connection !== null &&
        this.context.knowsPublicKey(connection, login.user, ctx.key.data);
      return known ? ctx.accept() : ctx.reject(METHODS);
    }
    if (!signatureValid(ctx.key.data, ctx.blob, ctx.signature, ctx.hashAlgo)) {
      void this.check(ctx, ctx.username, null);
      return;
    }
    void this.check(ctx, ctx.username, { kind: 'public-key', publicKey: ctx.key.data });
  }

  private async check(ctx: ssh2.AuthContext, username: string, password: string | ClientProof | null): Promise<void> {
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
  private async verify(username: string, password: string | ClientProof | null): Promise<string | null> {
    const login = parseLogin(username);
    if (login === null) return `log in as <postern login>+<connection>, not "${username.slice(0, 80)}"`;
    const connection = this.context.resolveConnection(login.connection, 'ssh');
    if (connection === null) return `no SSH connection named "${login.connection.slice(0, 80)}"`;
    if (password === null) return 'the public-key signature does not verify';
    if (password === '') return 'empty credential';
    // Through the relay, a public-key login arrives as the proof the client signed for the relay.
    const relayed =
      typeof password === 'string' && this.context.ingress === 'relay'
        ? relayedKey(password, username, this.usedProofs)
        : null;
    if (relayed !== null && 'refused' in relayed) return relayed.refused;
    if (relayed !== null) password = { kind: 'public-key', publicKey: relayed.publicKey };
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
