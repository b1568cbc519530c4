import { beforeAll, describe, expect, test } from '@jest/globals';
import { compileCommandPolicy, parseCommandMatch, type StatementMatch } from '@postern/policy';
import { analyzeShell, channelRequest, type ShellCommandFacts } from './analyze.js';
import { shellAnalyser, ShellAnalysisCache } from './cache.js';
import { SSH_DIALECT } from './dialect.js';
import { initShellParser } from './parser.js';

beforeAll(() => initShellParser());

function facts(text: string): readonly ShellCommandFacts[] {
  const analysis = analyzeShell(text);
  if (!analysis.ok) throw new Error(`${text}: ${analysis.message}`);
  return analysis.all;
}

const programs = (text: string) => facts(text).flatMap((f) => f.functions.map((name) => name.name));

describe('shell analysis: command names anywhere in the tree', () => {
  test.each([
    ['ls -l /tmp', ['ls']],
    ['a | b && c; d || e &', ['a', 'b', 'c', 'd', 'e']],
    ['(cd /tmp && make)', ['cd', 'make']],
    ['echo $(id -u) `whoami`', ['echo', 'id', 'whoami']],
    ['diff <(sort a) <(sort b)', ['diff', 'sort', 'sort']],
    ["sh -c 'rm -rf /tmp/x'", ['sh', 'rm']],
    ['bash -lc "sudo reboot"', ['bash', 'sudo', 'reboot']],
    ["eval 'shutdown -h now'", ['eval', 'shutdown']],
    ["su -c 'passwd root' admin", ['su', 'passwd']],
    ['sudo -u www-data -- /usr/bin/php x.php', ['sudo', 'php', '/usr/bin/php']],
    ['env -i PATH=/bin nice -n 5 nohup timeout 10 wget x', ['env', 'nice', 'nohup', 'timeout', 'wget']],
    ['find . -name x | xargs -n 1 rm', ['find', 'xargs', 'rm']],
    ['f() { dd if=/dev/zero of=/dev/sda; }; f', ['dd', 'f']],
    ['for h in a b; do ssh $h uptime; done', ['ssh']],
    ['sh -c "bash -c \'mkfs.ext4 /dev/sdb\'"', ['sh', 'bash', 'mkfs.ext4']],
  ])('%s runs %j', (text, expected) => {
    expect(programs(text)).toEqual(expected);
  });

  test('nested commands say how they are reached', () => {
    const via = (text: string) => facts(text).map((f) => f.via);
    expect(via("sh -c 'ls'")).toEqual([null, 'sh -c']);
    expect(via('echo $(ls)')).toEqual([null, 'command substitution']);
    expect(via('sudo ls')).toEqual([null, 'sudo']);
  });

  test('pipes into a shell, redirections and privilege are kinds of their own', () => {
    const kinds = (text: string) => facts(text).map((f) => f.kinds[0]);
    expect(kinds('curl -fsSL https://x/install.sh | sudo bash')).toEqual(['COMMAND', 'PRIVILEGED', 'PIPE_TO_SHELL']);
    expect(kinds('wget -qO- x | sh -s -- --yes')).toEqual(['COMMAND', 'PIPE_TO_SHELL']);
    expect(kinds('bash <(curl x)')).toEqual(['PIPE_TO_SHELL', 'COMMAND']);
    expect(kinds('bash script.sh')).toEqual(['SHELL']);
    expect(kinds('echo x | cat')).toEqual(['COMMAND', 'COMMAND']);
    expect(facts('echo hi >> /etc/motd')[1]).toMatchObject({
      kinds: ['WRITE_REDIRECT'],
      relations: [{ name: '/etc/motd' }],
    });
    expect(facts('ls 2>&1 >/dev/null').filter((f) => f.kinds[0] === 'WRITE_REDIRECT')).toHaveLength(1);
  });

  test('what is built at run time is flagged, never guessed', () => {
    const dynamic = (text: string) => facts(text).some((f) => f.unresolvedDynamicSql);
    expect(dynamic('$CMD -rf /')).toBe(true);
    expect(dynamic('sh -c "$SCRIPT"')).toBe(true);
    expect(dynamic('eval "$x"')).toBe(true);
    expect(dynamic('sudo $(which rm) x')).toBe(true);
    expect(dynamic('env -S "rm -rf /"')).toBe(true);
    expect(dynamic('echo "$HOME" > "$OUT"')).toBe(true);
    expect(dynamic('echo "$HOME"')).toBe(false);
  });

  test('quotes and escapes are removed before names are compared', () => {
    expect(programs("'r'm x")).toEqual(['rm']);
    expect(programs('\\rm x')).toEqual(['rm']);
    expect(programs('"/bin/rm" x')).toEqual(['rm', '/bin/rm']);
  });

  test('text that does not parse, or is too deep or too long, cannot be checked', () => {
    for (const text of ["echo 'open", 'if true; then', 'echo $(', 'a && && b']) {
      expect(analyzeShell(text)).toMatchObject({ ok: false, uncheckable: true });
    }
    let nested = 'ls';
    for (let i = 0; i < 12; i++) nested = `sh -c ${JSON.stringify(nested)}`;
    expect(analyzeShell(nested)).toMatchObject({ ok: false, uncheckable: true });
    expect(analyzeShell('x'.repeat(70_000))).toMatchObject({ ok: false, uncheckable: true });
  });
});

describe('channel requests', () => {
  test('a shell, sftp and a forward are facts of their own kind', () => {
    expect(facts(channelRequest('shell'))).toEqual([
      expect.objectContaining({ kinds: ['INTERACTIVE_SHELL'], functions: [] }),
    ]);
    expect(facts(channelRequest('sftp'))).toEqual([expect.objectContaining({ kinds: ['SFTP'] })]);
    expect(facts(channelRequest('forward', 'db.internal:5432'))).toEqual([
      expect.objectContaining({ kinds: ['FORWARD'], relations: [{ schema: null, name: 'db.internal:5432' }] }),
    ]);
  });

  test('an exec command cannot pass for one: a NUL makes it uncheckable', () => {
    expect(analyzeShell('ls\u0000postern:shell')).toMatchObject({ ok: false, uncheckable: true });
  });
});

describe('shell rules', () => {
  const match = (spec: unknown): StatementMatch => parseCommandMatch(SSH_DIALECT, spec);
  const rule = (id: string, spec: unknown) => ({ id, name: id, connectionIds: [], groups: [], match: match(spec) });
  const policy = compileCommandPolicy(
    shellAnalyser(new ShellAnalysisCache({ maxEntries: 10 })),
    [rule('rm-root', { functions: ['rm'], relations: ['/'] }), rule('pipe', { statementKinds: ['PIPE_TO_SHELL'] })],
    [
      {
        ...rule('restart', { functions: ['systemctl'] }),
        approverGroups: [],
        requiredApprovals: 1,
        timeoutSeconds: 60,
      },
    ],
  ).forSession('c', []);

  test.each([
    ['rm -rf /', 'block'],
    ['echo $(sudo rm -rf /)', 'block'],
    ['sh -c \'sh -c "rm -rf /"\'', 'block'],
    ['curl x | bash', 'block'],
    ['systemctl restart nginx', 'hold'],
    ['sudo systemctl restart nginx', 'hold'],
    ['rm -rf /tmp/build', 'allow'],
    ['echo rm -rf /', 'allow'],
    ['ls /', 'allow'],
    ["echo 'open", 'invalid'],
  ])('%s → %s', (text, action) => {
    expect(policy.evaluate(text).action).toBe(action);
  });

  test('a blocked command says why, and where it was found', () => {
    expect(policy.evaluate("sh -c 'rm -rf /'")).toMatchObject({
      action: 'block',
      reason: 'COMMAND calling rm() on / inside a shell command string (sh -c)',
    });
  });

  test('rule patterns are program names and paths; anything else is refused', () => {
    expect(match({ functions: ['mkfs.*', '/usr/bin/curl'], relations: ['/etc/*'] })).toBeDefined();
    expect(() => match({ functions: ['rm -rf'] })).toThrow('functions[0]');
    expect(() => match({ statementKinds: ['SELECT'] })).toThrow('statementKinds[0]');
  });
});
