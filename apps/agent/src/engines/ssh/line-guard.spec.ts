import { PassThrough } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { compileCommandPolicy } from '@postern/policy';
import { initShellParser, shellAnalyser } from '@postern/policy-ssh';
import type { EngineContext, PolicyAuditEvent } from '../engine.js';
import { LineGuard } from './line-guard.js';

const PROMPT_ON = '\x1b[?2004h';
const PROMPT_OFF = '\x1b[?2004l';

async function setup() {
  await initShellParser();
  const policy = compileCommandPolicy(
    shellAnalyser(),
    [{ id: 'no-rm', name: 'no-rm', connectionIds: [], groups: [], match: { functions: ['rm'] } }],
    [],
  ).forSession('c', []);
  const audits: PolicyAuditEvent[] = [];
  const told: string[] = [];
  const context = {
    policy: () => ({ version: '1', statements: policy }),
    audit: (event: PolicyAuditEvent) => void audits.push(event),
  } as unknown as EngineContext;
  const input = new PassThrough();
  const target = new PassThrough();
  let sent = '';
  target.on('data', (chunk: Buffer) => (sent += chunk.toString('latin1')));
  const guard = new LineGuard(context, input, target, (text) => void told.push(text));
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { guard, input, audits, told, sent: () => sent, settle };
}

describe('LineGuard', () => {
  test('passes allowed lines, replaces the Enter of a blocked one, forwards keys at once', async () => {
    const { guard, input, told, sent, settle } = await setup();
    guard.observeOutput(Buffer.from(`${PROMPT_ON}$ `));
    input.write('ls -l');
    await settle();
    expect(sent()).toBe('ls -l');
    input.write('\r');
    await settle();
    expect(sent()).toBe('ls -l\r');
    input.write('rm -rf /\r');
    await settle();
    await settle();
    expect(sent()).toBe('ls -l\rrm -rf /\x05\x15\r');
    expect(told.join('')).toContain('blocked by rule "no-rm"');
  });

  test('input to a running program passes unchecked; the next prompt checks again', async () => {
    const { guard, input, audits, sent, settle } = await setup();
    guard.observeOutput(Buffer.from(`${PROMPT_ON}$ `));
    input.write('cat\r');
    await settle();
    guard.observeOutput(Buffer.from(`${PROMPT_OFF}\r`));
    input.write('rm -rf /\r');
    await settle();
    expect(sent()).toBe('cat\rrm -rf /\r');
    guard.observeOutput(Buffer.from(`\x1b[?20`));
    guard.observeOutput(Buffer.from(`04h$ `)); // split across chunks
    input.write('rm x\r');
    await settle();
    await settle();
    expect(sent()).toBe('cat\rrm -rf /\rrm x\x05\x15\r');
    expect(audits).toHaveLength(1);
  });
});
