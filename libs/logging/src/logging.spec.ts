import { describe, expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger, redactUrl } from './index.js';

function memoryLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: createLogger({ name: 'test', destination }), lines };
}

describe('createLogger', () => {
  test('writes JSON lines with the level name', () => {
    const { logger, lines } = memoryLogger();
    logger.info({ agentId: 'a1' }, 'agent online');
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'info', name: 'test', msg: 'agent online', agentId: 'a1' });
  });

  test('never prints secrets, at the top level or nested', () => {
    const { logger, lines } = memoryLogger();
    logger.info(
      {
        token: 'tok-SECRET-1',
        credential: 'cred-SECRET-2',
        agent: { enrollmentToken: 'enr-SECRET-3', name: 'edge-1' },
        req: { headers: { authorization: 'Bearer SECRET-4' } },
      },
      'enrolled',
    );
    const text = lines.join('');
    expect(text).not.toMatch(/SECRET/);
    expect(text).toContain('edge-1');
    expect(text).toContain('[redacted]');
  });
});

describe('redactUrl', () => {
  test('hides the password and keeps where it points', () => {
    expect(redactUrl('postgresql://postern:hunter2@db.internal:5432/postern')).toBe(
      'postgresql://postern:***@db.internal:5432/postern',
    );
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
