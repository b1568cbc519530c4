import { describe, expect, test } from 'vitest';
import { exportHref } from './AuditPage';

describe('audit export link', () => {
  test('carries the kind prefix and time range the export understands', () => {
    expect(exportHref({})).toBe('/audit/export');
    expect(
      exportHref({
        kindPrefix: 'statement.',
        from: '2026-12-01T00:00:00.000Z',
        to: '2026-12-02T00:00:00.000Z',
        decision: 'held',
      }),
    ).toBe('/audit/export?kind=statement.&from=2026-12-01T00%3A00%3A00.000Z&to=2026-12-02T00%3A00%3A00.000Z');
  });
});
