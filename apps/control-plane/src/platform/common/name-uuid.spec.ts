import { describe, expect, test } from '@jest/globals';
import { nameUuid } from './name-uuid.js';
import { UUID } from './validation.js';

describe('nameUuid', () => {
  test('is a stable, well-formed UUID per name', () => {
    const id = nameUuid('review.created/1');
    expect(id).toMatch(UUID);
    expect(id[14]).toBe('8');
    expect(nameUuid('review.created/1')).toBe(id);
    expect(nameUuid('review.created/2')).not.toBe(id);
  });
});
