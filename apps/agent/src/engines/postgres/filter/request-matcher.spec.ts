import { describe, expect, test } from '@jest/globals';
import { RequestMatcher } from './request-matcher.js';

const bind = (portal: string, statement: string, resultFormats: number[] = []) => ({
  portal,
  statement,
  resultFormats,
  params: ['42'],
});

describe('RequestMatcher', () => {
  test('pairs a simple Query with its answers: tags, then ReadyForQuery ends it', () => {
    const requests = new RequestMatcher();
    const query = requests.query('select 1; select 2');
    expect(requests.current).toBe(query);
    expect(requests.completed('SELECT 1')).toBeNull();
    expect(requests.completed('SELECT 1')).toBeNull();
    expect(query.tags).toEqual(['SELECT 1', 'SELECT 1']);
    expect(requests.ready()).toBe(query);
    expect(requests.idle).toBe(true);
  });

  test('an Execute is done at its CommandComplete and knows its statement, SQL and parameters', () => {
    const requests = new RequestMatcher();
    requests.parse('s1', 'select * from t where id = $1');
    requests.bind(bind('p1', 's1'));
    const { execute, describeFirst } = requests.execute('p1', false);
    requests.sync();
    expect(describeFirst).toBe(false);
    expect(execute).toMatchObject({ statement: 's1', params: ['42'] });
    expect(requests.sqlOf(requests.head)).toBe('select * from t where id = $1');
    expect(requests.completed('SELECT 1')).toBe(execute);
    expect(requests.ready()).toBeNull();
    expect(requests.idle).toBe(true);
  });

  test('under masking an undescribed portal gets a hidden Describe of our own first', () => {
    const requests = new RequestMatcher();
    requests.parse('s1', 'select email from users');
    requests.bind(bind('p1', 's1', [1]));
    expect(requests.execute('p1', true).describeFirst).toBe(true);
    // The hidden Describe's RowDescription is ours alone.
    expect(requests.described([{ name: 'email', table: null, typeOid: 25, format: 0 }])).toEqual({ hidden: true });
    expect(requests.executeColumns()).toEqual([{ name: 'email', table: null, typeOid: 25, format: 0 }]);
    // A second Execute of the same portal needs no Describe.
    requests.completed('SELECT 1');
    expect(requests.execute('p1', true).describeFirst).toBe(false);
  });

  test('a described statement gives its portals their result formats', () => {
    const requests = new RequestMatcher();
    requests.parse('s1', 'select n from t');
    requests.describe('statement', 's1', true);
    requests.described([{ name: 'n', table: null, typeOid: 23, format: 0 }]);
    requests.bind(bind('p1', 's1', [1]));
    expect(requests.execute('p1', true).describeFirst).toBe(false);
    expect(requests.executeColumns()).toEqual([{ name: 'n', table: null, typeOid: 23, format: 1 }]);
  });

  test('an error skips the extended pipeline to its Sync and ends the failed Execute', () => {
    const requests = new RequestMatcher();
    requests.parse('s1', 'select 1/0');
    requests.bind(bind('p1', 's1'));
    const { execute } = requests.execute('p1', false);
    requests.describe('portal', 'p1', false);
    requests.sync();
    expect(requests.failed({ code: '22012', message: 'division by zero' })).toBe(execute);
    expect(execute.error).toEqual({ code: '22012', message: 'division by zero' });
    expect(requests.head?.kind).toBe('sync');
  });

  test('Close forgets a statement; the session end lists what was never answered', () => {
    const requests = new RequestMatcher();
    requests.parse('s1', 'select 1');
    requests.close('statement', 's1');
    expect(requests.sqlOfStatement('s1')).toBe('');
    const query = requests.query('select pg_sleep(10)');
    requests.sync();
    expect(requests.unanswered()).toEqual([query]);
    expect(requests.idle).toBe(true);
  });
});
