import { describe, expect, test } from '@jest/globals';
import { strictMock } from './strict-mock.js';

interface Repository {
  find(id: string): Promise<string | null>;
  save(value: string): Promise<void>;
}

describe('strictMock', () => {
  test('answers with the members given and throws, naming the member, for any other', async () => {
    const repository = strictMock<Repository>({ find: async (id) => `found ${id}` }, 'repository');
    expect(await repository.find('1')).toBe('found 1');
    expect(() => repository.save('x')).toThrow('unexpected use of repository.save');
  });

  test('is not mistaken for a promise when an async function returns it', async () => {
    const repository = strictMock<Repository>({});
    await expect(Promise.resolve(repository)).resolves.toBe(repository);
  });
});
