import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { AGENT_PROTO_FILES, PROTO_LOADER_OPTIONS, agentV1, protoRoot } from './index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

describe('agent contract', () => {
  test('exposes the Control and Recording services (relayed bytes have their own data connection)', () => {
    const v1 = agentV1();
    expect(Object.keys(v1.Control.service)).toEqual(expect.arrayContaining(['Enroll', 'Connect']));
    expect(Object.keys(v1)).not.toContain('Tunnel');
    expect(Object.keys(v1.Recording.service)).toEqual(['Ship']);
    expect(v1.Control.service.Connect.requestStream).toBe(true);
    expect(v1.Control.service.Connect.responseStream).toBe(true);
  });

  test('round-trips a oneof message with 64-bit fields as strings', () => {
    const definition = protoLoader.loadSync([...AGENT_PROTO_FILES], {
      ...PROTO_LOADER_OPTIONS,
      includeDirs: [protoRoot()],
    });
    const agentMessage = definition['postern.agent.v1.AgentMessage'] as protoLoader.MessageTypeDefinition;
    const service = definition['postern.agent.v1.Control'] as protoLoader.ServiceDefinition;
    const connect = service['Connect']!;
    const bytes = connect.requestSerialize({ heartbeat: { seq: '18446744073709551615', activeSessions: 3 } });
    const decoded = connect.requestDeserialize(bytes) as Record<string, unknown>;
    expect(agentMessage.type).toBeDefined();
    expect(decoded['body']).toBe('heartbeat');
    expect(decoded['heartbeat']).toMatchObject({ seq: '18446744073709551615', activeSessions: 3 });
  });

  test('committed TypeScript types match the .proto files', () => {
    const out = mkdtempSync(join(tmpdir(), 'postern-proto-'));
    try {
      const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
        scripts: { generate: string };
      };
      const args = pkg.scripts.generate
        .split(' ')
        .slice(1)
        .map((arg) => (arg === 'src/generated' ? out : arg));
      execFileSync(join(packageDir, 'node_modules/.bin/proto-loader-gen-types'), args, {
        cwd: packageDir,
        stdio: 'pipe',
      });
      const committed = join(packageDir, 'src/generated');
      const fresh = listFiles(out)
        .map((f) => relative(out, f))
        .sort();
      expect(
        listFiles(committed)
          .map((f) => relative(committed, f))
          .sort(),
      ).toEqual(fresh);
      for (const file of fresh) {
        expect(readFileSync(join(committed, file), 'utf8')).toBe(readFileSync(join(out, file), 'utf8'));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
