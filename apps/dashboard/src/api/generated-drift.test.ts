// @vitest-environment node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, test } from 'vitest';
import config from '../../codegen';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('typed operations', () => {
  test('the committed generated files are what codegen makes from schema.gql and the operations', async () => {
    const previous = process.cwd();
    process.chdir(root);
    try {
      const outputs = await generate({ ...config, silent: true, errorsOnly: true }, false);
      expect(outputs.length).toBeGreaterThan(0);
      for (const output of outputs) {
        const committed = readFileSync(join(root, output.filename), 'utf8');
        expect({ file: output.filename, content: committed }).toEqual({
          file: output.filename,
          content: output.content,
        });
      }
    } finally {
      process.chdir(previous);
    }
  }, 60_000);
});
