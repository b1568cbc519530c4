import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { checkProfileName, configPath, PROFILE_KEYS, saveConfig, setProfileKey, type Profile } from '../profiles.js';

/** `postern config list`: every profile and its settings (the current one marked). */
export async function configList(context: CommandContext): Promise<number> {
  const { config, name } = await context.load();
  if (context.printer.format === 'json') {
    context.output.out(JSON.stringify({ current: name, profiles: config.profiles }, null, 2));
    return 0;
  }
  const names = new Set([...Object.keys(config.profiles), name]);
  for (const profile of [...names].sort()) {
    context.output.out(`${profile === name ? '*' : ' '} ${context.printer.paint(profile, 'bold')}`);
    for (const [key, value] of flatten(config.profiles[profile] ?? {})) context.output.out(`    ${key} = ${value}`);
  }
  context.printer.note(`(${configPath(context.env)}; keys: ${Object.keys(PROFILE_KEYS).join(', ')})`);
  return 0;
}

export async function configGet(context: CommandContext, key: string): Promise<number> {
  const { profile } = await context.load();
  const value = flatten(profile).find(([k]) => k === key)?.[1];
  if (value === undefined) return EXIT.failed;
  context.output.out(value);
  return 0;
}

export async function configSet(context: CommandContext, key: string, value: string): Promise<number> {
  const { config, name, profile } = await context.load();
  config.profiles[name] = setProfileKey(profile, key, value);
  await saveConfig(context.env, config);
  context.printer.note(`${name}: ${key} ${value === '' ? 'removed' : `= ${value}`}`);
  return 0;
}

/** `postern config use <profile>`: the profile used when --profile is not given. */
export async function configUse(context: CommandContext, profile: string): Promise<number> {
  const { config } = await context.load();
  config.current = checkProfileName(profile);
  config.profiles[profile] ??= {};
  await saveConfig(context.env, config);
  context.printer.note(`Now using profile ${profile}.`);
  return 0;
}

function flatten(profile: Profile): [string, string][] {
  const entries: [string, string][] = [];
  for (const [key, value] of Object.entries(profile)) {
    if (key === 'gateway') {
      for (const [protocol, address] of Object.entries((value as Record<string, string>) ?? {})) {
        entries.push([`gateway.${protocol}`, address]);
      }
    } else if (value !== undefined) entries.push([key, String(value)]);
  }
  return entries;
}

export function requireValue(value: string | undefined, what: string): string {
  if (value === undefined) throw new CliError(`${what} is required`, EXIT.usage);
  return value;
}
