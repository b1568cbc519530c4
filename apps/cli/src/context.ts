import { Api } from './api.js';
import type { StoredCredentials } from './credentials.js';
import { CliError, EXIT } from './errors.js';
import { createPrinter, type Printer } from './format.js';
import type { Output } from './output.js';
import {
  checkProfileName,
  credentialsPathFor,
  loadConfig,
  type ConfigFile,
  type OutputFormat,
  type Profile,
} from './profiles.js';
import { currentCredentials } from './session.js';

export const DEFAULT_API = 'http://127.0.0.1:8080';

/** Options every command takes (`postern --profile x --output json connections`). */
export interface GlobalOptions {
  profile?: string;
  output?: string;
  color?: boolean;
  quiet?: boolean;
  api?: string;
}

export interface Me {
  id: string;
  kind: string;
  roles: string[];
  groups: string[];
  user: { email: string | null; displayName: string | null; issuer: string; subject: string } | null;
}

/**
 * What a command runs with: the environment, the profile (flag, $POSTERN_PROFILE, the config's
 * current one), its credentials file, a printer in the chosen format, and the API with a fresh
 * token (refreshed when it has expired).
 */
export class CommandContext {
  private loaded: { config: ConfigFile; name: string; profile: Profile } | null = null;
  private credentials: StoredCredentials | null = null;
  private meCache: Me | null = null;
  printer: Printer;

  constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly output: Output,
    readonly signal: AbortSignal,
    private readonly options: GlobalOptions,
    readonly interactive: boolean,
  ) {
    this.printer = this.makePrinter(undefined);
  }

  /** Loads the config file and picks the profile; the printer then follows the profile's format. */
  async load(): Promise<{ config: ConfigFile; name: string; profile: Profile }> {
    if (this.loaded) return this.loaded;
    const config = await loadConfig(this.env);
    const name = checkProfileName(this.options.profile ?? this.env['POSTERN_PROFILE'] ?? config.current ?? 'default');
    this.loaded = { config, name, profile: config.profiles[name] ?? {} };
    this.printer = this.makePrinter(this.loaded.profile.output);
    return this.loaded;
  }

  /** `--api` as given on this command line (login remembers it in the profile). */
  get apiOverride(): string | undefined {
    return this.options.api;
  }

  async credentialsPath(): Promise<string> {
    return credentialsPathFor(this.env, (await this.load()).name);
  }

  /** The stored token (refreshed if needed), or "not signed in". */
  async session(): Promise<StoredCredentials> {
    if (this.credentials) return this.credentials;
    this.credentials = await currentCredentials(await this.credentialsPath(), {
      out: this.output.out,
      err: (text) => this.printer.warn(text),
    });
    return this.credentials;
  }

  async apiUrl(): Promise<string> {
    const { profile } = await this.load();
    const stored = await this.session().catch(() => null);
    return this.options.api ?? this.env['POSTERN_API_URL'] ?? profile.api ?? stored?.api ?? DEFAULT_API;
  }

  async api(): Promise<Api> {
    const credentials = await this.session();
    return new Api(await this.apiUrl(), credentials.accessToken);
  }

  async me(): Promise<Me> {
    if (this.meCache) return this.meCache;
    const { me } = await (
      await this.api()
    ).request<{ me: Me }>('{ me { id kind roles groups user { email displayName issuer subject } } }', {}, this.signal);
    this.meCache = me;
    return me;
  }

  private makePrinter(profileFormat: OutputFormat | undefined): Printer {
    const format = this.options.output ?? this.env['POSTERN_OUTPUT'] ?? profileFormat ?? 'table';
    if (format !== 'table' && format !== 'json') {
      throw new CliError(`--output must be table or json (got ${JSON.stringify(format)})`, EXIT.usage);
    }
    const color =
      this.options.color !== false && this.env['NO_COLOR'] === undefined && this.interactive && format === 'table';
    return createPrinter({
      format,
      color,
      quiet: this.options.quiet === true,
      out: this.output.out,
      err: this.output.err,
    });
  }
}
