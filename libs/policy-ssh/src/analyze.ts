/*
 * Shell command lines (an SSH exec request) as command facts for libs/policy's rules, on
 * tree-sitter's bash grammar. Every simple command anywhere in the tree counts — pipelines,
 * lists, subshells, `$(…)`, `<(…)`, functions — and so do commands a command runs: the string of
 * `sh -c '…'` or `eval '…'` is parsed in turn, and wrappers (sudo, env, nohup, timeout, xargs…)
 * are looked through to the program they start. What cannot be known statically (a program name
 * or a `-c` string built from variables) is flagged `unresolvedDynamicSql`, which rules can block.
 * Text that does not parse is `uncheckable`: refused, never forwarded.
 */
import type { CommandAnalysis, CommandFacts, FunctionRef, QualifiedName } from '@postern/policy';
import type { Node } from 'web-tree-sitter';
import { SHELL_KINDS } from './kinds.js';
import { shellParser } from './parser.js';

/** Longest command line analysed; longer ones are refused. */
export const MAX_COMMAND_LENGTH = 64 * 1024;
/** How deep `sh -c "sh -c '…'"` and wrappers may nest before the line is refused. */
const MAX_DEPTH = 8;

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'fish', 'busybox']);
const PRIVILEGED = new Set(['sudo', 'doas', 'su', 'run0', 'pkexec']);
/** Wrappers that run their arguments as a command, with their options that take a value. */
const WRAPPERS: Readonly<Record<string, ReadonlySet<string>>> = {
  sudo: new Set(['-u', '-g', '-h', '-p', '-C', '-r', '-t', '-U', '-D', '-R', '-T', '--user', '--group']),
  doas: new Set(['-u', '-C']),
  pkexec: new Set(['--user']),
  run0: new Set(['-u', '--user']),
  env: new Set(['-u', '-C', '--unset', '--chdir']),
  nice: new Set(['-n', '--adjustment']),
  ionice: new Set(['-c', '-n', '-p']),
  nohup: new Set(),
  time: new Set(['-f', '-o']),
  command: new Set(),
  builtin: new Set(),
  exec: new Set(['-a']),
  stdbuf: new Set(['-i', '-o', '-e']),
  setsid: new Set(),
  chrt: new Set(),
  taskset: new Set(),
  unbuffer: new Set(),
  xargs: new Set(['-I', '-i', '-n', '-P', '-L', '-l', '-s', '-d', '-E', '-e', '-a', '--delimiter', '--max-args']),
  timeout: new Set(['-s', '-k', '--signal', '--kill-after']),
  watch: new Set(['-n', '-d', '--interval']),
  flock: new Set(['-w', '-E']),
};
/** Wrappers whose first operand is not the command (timeout's duration, flock's lock file, chroot's root). */
const LEADING_OPERANDS: Readonly<Record<string, number>> = { timeout: 1, flock: 1, chroot: 1, taskset: 1, chrt: 1 };

/** One simple command, as rules see it. */
export interface ShellCommandFacts extends CommandFacts {
  /** The command's words as far as they are static (null where a word is built at run time). */
  readonly argv: readonly (string | null)[];
}

interface Frame {
  readonly via: string | null;
  readonly depth: number;
}

class Uncheckable extends Error {}

/**
 * What an SSH client asks for besides an exec command — a shell, the SFTP subsystem, a local
 * forwarding — as the text the rules evaluate: it starts with a NUL, which no exec command the
 * engine lets through contains, so a client cannot pass its command off as one of these.
 */
export function channelRequest(kind: 'shell' | 'sftp' | 'forward', destination = ''): string {
  return `${CHANNEL_PREFIX}${kind}${kind === 'forward' ? ` ${destination}` : ''}`;
}

const CHANNEL_PREFIX = '\u0000postern:';
const CHANNEL_KINDS: Readonly<Record<string, string>> = {
  shell: SHELL_KINDS.INTERACTIVE_SHELL,
  sftp: SHELL_KINDS.SFTP,
  forward: SHELL_KINDS.FORWARD,
};

function channelFacts(text: string): CommandAnalysis<ShellCommandFacts> {
  const [kind = '', destination] = text.slice(CHANNEL_PREFIX.length).split(' ');
  const canonical = CHANNEL_KINDS[kind];
  if (canonical === undefined) return uncheckable('not a command', null);
  const facts: ShellCommandFacts = {
    kinds: [canonical],
    relations: destination === undefined ? [] : [path(destination)],
    schemas: [],
    functions: [],
    missingWhere: false,
    copyProgram: false,
    unresolvedDynamicSql: false,
    via: null,
    argv: [],
  };
  return { ok: true, statements: [facts], all: [facts] };
}

/** Analyses one command line (or a channelRequest); never throws. */
export function analyzeShell(text: string): CommandAnalysis<ShellCommandFacts> {
  if (text.startsWith(CHANNEL_PREFIX)) return channelFacts(text);
  if (text.includes('\u0000')) return uncheckable('contains a NUL character', text.indexOf('\u0000'));
  if (text.length > MAX_COMMAND_LENGTH) return uncheckable(`longer than ${MAX_COMMAND_LENGTH} characters`, null);
  if (shellParser() === null) return uncheckable('the shell parser is not loaded', null);
  try {
    const all: ShellCommandFacts[] = [];
    analyzeText(text, { via: null, depth: 0 }, all);
    return { ok: true, statements: all.filter((facts) => facts.via === null), all };
  } catch (error) {
    if (error instanceof ParseFailure) return uncheckable(error.message, error.position);
    if (error instanceof Uncheckable) return uncheckable(error.message, null);
    return uncheckable(`analysis failed: ${error instanceof Error ? error.message : String(error)}`, null);
  }
}

class ParseFailure extends Error {
  constructor(
    message: string,
    readonly position: number | null,
  ) {
    super(message);
  }
}

function uncheckable(message: string, position: number | null): CommandAnalysis<ShellCommandFacts> {
  return { ok: false, message, position, uncheckable: true };
}

function analyzeText(text: string, frame: Frame, out: ShellCommandFacts[]): void {
  if (frame.depth > MAX_DEPTH) throw new Uncheckable(`commands nested deeper than ${MAX_DEPTH} levels`);
  const tree = shellParser()!.parse(text);
  if (tree === null) throw new Uncheckable('the shell parser gave no tree');
  try {
    const root = tree.rootNode;
    if (root.hasError) {
      const error = firstError(root);
      const where = frame.via === null ? '' : ` inside ${frame.via}`;
      throw new ParseFailure(
        `does not parse as a shell command line${where}`,
        frame.via === null ? (error?.startIndex ?? null) : null,
      );
    }
    walk(root, frame, out);
  } finally {
    tree.delete();
  }
}

function firstError(node: Node): Node | null {
  if (node.type === 'ERROR' || node.isMissing) return node;
  for (const child of node.children) {
    if (child !== null && child.hasError) return firstError(child);
  }
  return null;
}

/** Depth-first over every node: each `command` and each file redirection becomes facts. */
function walk(root: Node, frame: Frame, out: ShellCommandFacts[]): void {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === 'command') commandFacts(node, frame, out);
    else if (node.type === 'file_redirect') redirectFacts(node, frame, out);
    const children = node.namedChildren;
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child) stack.push(child);
    }
  }
}

function commandFacts(node: Node, frame: Frame, out: ShellCommandFacts[]): void {
  const nameNode = node.childForFieldName('name');
  const argv = [nameNode === null ? null : staticWord(nameNode), ...node.childrenForFieldName('argument').map(argWord)];
  const via = nestedVia(node) ?? frame.via;
  const readsPipe = fedByPipe(node);
  runCommand(argv, { via, depth: frame.depth }, readsPipe, out);
}

/**
 * One command's facts, then the commands it runs: a wrapper's command, a shell's `-c` string,
 * eval's words.
 */
function runCommand(
  argv: readonly (string | null)[],
  frame: Frame,
  readsPipe: boolean,
  out: ShellCommandFacts[],
): void {
  const [program, ...args] = argv;
  const name = program === null || program === undefined ? null : program;
  const base = name === null ? null : basename(name);
  const kinds: string[] = [SHELL_KINDS.COMMAND];
  let unresolved = name === null;
  if (base !== null && SHELLS.has(base)) kinds.unshift(SHELL_KINDS.SHELL);
  if (base !== null && PRIVILEGED.has(base)) kinds.unshift(SHELL_KINDS.PRIVILEGED);
  const functions: FunctionRef[] = [];
  if (name !== null) {
    functions.push(fn(base!));
    if (base !== name) functions.push(fn(name));
  }
  const nested: (() => void)[] = [];
  const next: Frame = { via: base, depth: frame.depth + 1 };
  if (base !== null && SHELLS.has(base)) {
    const script = shellScript(args);
    if (script.kind === 'string') nested.push(() => analyzeText(script.text, { ...next, via: 'sh -c' }, out));
    else if (script.kind === 'dynamic') unresolved = true;
    else if (script.kind === 'dynamic-file') {
      unresolved = true;
      kinds.unshift(SHELL_KINDS.PIPE_TO_SHELL);
    } else if (script.kind === 'stdin' && readsPipe) kinds.unshift(SHELL_KINDS.PIPE_TO_SHELL);
  } else if (base === 'su') {
    const index = args.findIndex((a) => a === '-c' || a === '--command');
    if (index >= 0) {
      const script = args[index + 1];
      if (script === null || script === undefined) unresolved = true;
      else nested.push(() => analyzeText(script, { ...next, via: 'sh -c' }, out));
    }
  } else if (base === 'eval') {
    if (args.some((a) => a === null)) unresolved = true;
    else nested.push(() => analyzeText(args.join(' '), { ...next, via: 'eval' }, out));
  } else if (base !== null && (Object.hasOwn(WRAPPERS, base) || Object.hasOwn(LEADING_OPERANDS, base))) {
    const wrapped = wrappedCommand(base, args);
    if (wrapped === 'dynamic') unresolved = true;
    else if (wrapped.length > 0) nested.push(() => runCommand(wrapped, next, readsPipe, out));
  }
  out.push({
    kinds,
    relations: args.filter(isPath).map(path),
    schemas: [],
    functions,
    missingWhere: false,
    copyProgram: false,
    unresolvedDynamicSql: unresolved,
    via: frame.via,
    argv,
  });
  for (const run of nested) run();
}

type Script =
  | { kind: 'string'; text: string }
  | { kind: 'dynamic' }
  | { kind: 'stdin' }
  | { kind: 'file' }
  /** A script named by an expansion: `bash <(curl …)`, `sh "$f"` — treated as piped in, unresolved. */
  | { kind: 'dynamic-file' };

/** What a shell runs: its `-c` string, a script file, or its standard input. */
function shellScript(args: readonly (string | null)[]): Script {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string | null;
    if (arg === null) return { kind: 'dynamic-file' };
    if (arg === '--') return i + 1 < args.length ? { kind: 'file' } : { kind: 'stdin' };
    if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(arg)) {
      const script = args[i + 1];
      return script === null || script === undefined ? { kind: 'dynamic' } : { kind: 'string', text: script };
    }
    if (arg === '-s') return { kind: 'stdin' };
    if (arg === '-o' || arg === '+o' || arg === '-O' || arg === '+O') {
      i++;
      continue;
    }
    if (/^[-+]/.test(arg)) continue;
    return { kind: 'file' };
  }
  return { kind: 'stdin' };
}

/** The command a wrapper starts: its words after the wrapper's options and leading operands. */
function wrappedCommand(base: string, args: readonly (string | null)[]): (string | null)[] | 'dynamic' {
  const valued = WRAPPERS[base] ?? new Set<string>();
  let operands = LEADING_OPERANDS[base] ?? 0;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] as string | null;
    if (arg === null) return 'dynamic';
    if (arg === '--') {
      i++;
      break;
    }
    if (base === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(arg)) continue;
    if (base === 'env' && (arg === '-S' || arg.startsWith('--split-string'))) return 'dynamic';
    if (arg.startsWith('-') && arg.length > 1) {
      if (valued.has(arg)) i++;
      continue;
    }
    if (operands > 0) {
      operands--;
      continue;
    }
    break;
  }
  return args.slice(i);
}

/** `$(…)` / `<(…)` around a command make it nested, whatever it is. */
function nestedVia(node: Node): string | null {
  for (let parent = node.parent; parent !== null; parent = parent.parent) {
    if (parent.type === 'command_substitution') return 'command substitution';
    if (parent.type === 'process_substitution') return 'process substitution';
  }
  return null;
}

/** Whether the command's standard input is the previous stage of a pipeline. */
function fedByPipe(node: Node): boolean {
  let child: Node = node;
  let parent = node.parent;
  while (parent !== null && parent.type === 'redirected_statement') {
    child = parent;
    parent = parent.parent;
  }
  if (parent === null || parent.type !== 'pipeline') return false;
  return parent.namedChildren[0]?.id !== child.id;
}

function redirectFacts(node: Node, frame: Frame, out: ShellCommandFacts[]): void {
  const operator = node.children.find((child) => child !== null && !child.isNamed)?.type ?? '';
  if (!/^(>|>>|&>|&>>|>\||>&)$/.test(operator)) return;
  const destination = node.childForFieldName('destination');
  if (destination === null || destination.type === 'number') return;
  const target = staticWord(destination);
  out.push({
    kinds: [SHELL_KINDS.WRITE_REDIRECT],
    relations: target === null ? [] : [path(target)],
    schemas: [],
    functions: [],
    missingWhere: false,
    copyProgram: false,
    unresolvedDynamicSql: target === null,
    via: nestedVia(node) ?? frame.via,
    argv: [],
  });
}

function argWord(node: Node | null): string | null {
  return node === null ? null : staticWord(node);
}

/** A word's value when it has no expansion (quotes removed, escapes resolved), else null. */
function staticWord(node: Node): string | null {
  switch (node.type) {
    case 'command_name':
      return node.namedChildren.length === 1 && node.namedChildren[0] ? staticWord(node.namedChildren[0]) : null;
    case 'word':
      return node.text.replace(/\\(.)/gs, '$1');
    case 'number':
      return node.text;
    case 'raw_string':
      return node.text.slice(1, -1);
    case 'ansi_c_string':
      return null;
    case 'string': {
      let value = '';
      for (const child of node.namedChildren) {
        if (child === null) continue;
        if (child.type !== 'string_content') return null;
        value += child.text.replace(/\\([$`"\\\n])/g, '$1');
      }
      return value;
    }
    case 'concatenation': {
      let value = '';
      for (const child of node.namedChildren) {
        const part = child === null ? null : staticWord(child);
        if (part === null) return null;
        value += part;
      }
      return value;
    }
    default:
      return null;
  }
}

function basename(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash >= 0 ? name.slice(slash + 1) : name;
}

function fn(name: string): FunctionRef {
  return { schema: null, name, builtin: false, attributeNotation: false };
}

function isPath(arg: string | null): arg is string {
  return arg !== null && /^(\/|~|\.\.?(\/|$))/.test(arg);
}

function path(name: string): QualifiedName {
  return { schema: null, name };
}
