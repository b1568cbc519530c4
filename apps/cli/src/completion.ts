import type { Command } from 'commander';
import { CliError, EXIT } from './errors.js';

/**
 * Completion scripts made from the command tree itself, so they never drift from the commands:
 * bash (complete -F), zsh (bashcompinit) and fish (complete -c). Commands and their options;
 * connection names are not completed (that would call the API on every Tab).
 */
export function completionScript(program: Command, shell: string): string {
  const commands = program.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  const globals = program.options.map((o) => o.long).filter((o): o is string => Boolean(o));
  const optionsOf = (command: Command) =>
    [...command.options.map((o) => o.long), ...globals].filter((o): o is string => Boolean(o));
  switch (shell) {
    case 'bash':
    case 'zsh': {
      const cases = commands
        .map((command) => `    ${command.name()}) opts="${optionsOf(command).join(' ')}" ;;`)
        .join('\n');
      const body = `_postern() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" command="" opts="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) command="\${COMP_WORDS[i]}"; break ;; esac
  done
  if [[ -z "$command" ]]; then
    COMPREPLY=( $(compgen -W "${commands.map((c) => c.name()).join(' ')} ${globals.join(' ')}" -- "$cur") )
    return
  fi
  case "$command" in
${cases}
  esac
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}
complete -F _postern postern`;
      return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${body}\n` : `${body}\n`;
    }
    case 'fish': {
      const lines = [`complete -c postern -f`];
      for (const command of commands) {
        lines.push(
          `complete -c postern -n __fish_use_subcommand -a ${command.name()} -d ${quote(command.description())}`,
        );
        for (const option of command.options) {
          if (!option.long) continue;
          lines.push(
            `complete -c postern -n "__fish_seen_subcommand_from ${command.name()}" -l ${option.long.slice(2)} -d ${quote(option.description)}`,
          );
        }
      }
      for (const option of program.options) {
        if (option.long) lines.push(`complete -c postern -l ${option.long.slice(2)} -d ${quote(option.description)}`);
      }
      return `${lines.join('\n')}\n`;
    }
    default:
      throw new CliError('completion takes bash, zsh or fish', EXIT.usage);
  }
}

function quote(text: string): string {
  return `'${text.replace(/'/g, "\\'")}'`;
}
