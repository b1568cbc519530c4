import type { CommandContext } from './context.js';
import { CliError, EXIT } from './errors.js';

export interface Reachable {
  connectionId: string;
  name: string;
  protocol: string;
  access: 'standing' | 'granted' | 'requestable';
  expiresAt: string | null;
  operations: string[];
}

export const MY_ACCESS = '{ myAccess { connectionId name protocol access expiresAt operations } }';

/** The connections I can reach or request. */
export async function myAccess(context: CommandContext): Promise<Reachable[]> {
  const api = await context.api();
  return (await api.request<{ myAccess: Reachable[] }>(MY_ACCESS, {}, context.signal)).myAccess;
}

/** One of my connections by name, or an error that says what to do. */
export async function reachable(context: CommandContext, name: string): Promise<Reachable> {
  const all = await myAccess(context);
  const found = all.find((c) => c.name === name);
  if (!found) {
    const names = all.map((c) => c.name).join(', ');
    throw new CliError(
      `no connection named ${JSON.stringify(name)} that you can reach or request${names ? ` (yours: ${names})` : ''}`,
      EXIT.denied,
    );
  }
  return found;
}

/** My connection by name, usable now; for a requestable one, the command to ask for it. */
export async function usable(context: CommandContext, name: string): Promise<Reachable> {
  const found = await reachable(context, name);
  if (found.access === 'requestable') {
    throw new CliError(
      `you have no access to ${name} now: postern request-access ${name} --for 1h --reason "…"`,
      EXIT.denied,
    );
  }
  return found;
}
