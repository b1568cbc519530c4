import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  claimValue,
  ClaimMappingError,
  mapClaims,
  validateClaimMappingRules,
  type ClaimMappingRule,
} from './claim-mapping.js';

/** Claim shapes as the platforms issue them (trimmed to what rules read). */
const GITHUB = {
  iss: 'https://token.actions.githubusercontent.com',
  sub: 'repo:acme/shop:ref:refs/heads/main',
  repository: 'acme/shop',
  repository_owner: 'acme',
  ref: 'refs/heads/main',
  environment: 'production',
  workflow: 'deploy',
  run_id: '7012345678',
  event_name: 'push',
};
const GITLAB = {
  iss: 'https://gitlab.example.com',
  sub: 'project_path:acme/shop:ref_type:branch:ref:main',
  project_path: 'acme/shop',
  namespace_path: 'acme',
  ref: 'main',
  ref_type: 'branch',
  ref_protected: 'true',
  pipeline_id: '1001',
  job_id: '2002',
};
const KUBERNETES = {
  iss: 'https://kubernetes.default.svc.cluster.local',
  sub: 'system:serviceaccount:billing:report-job',
  'kubernetes.io': {
    namespace: 'billing',
    serviceaccount: { name: 'report-job', uid: '0b1c' },
    pod: { name: 'report-job-7d9f', uid: '9a8b' },
  },
};

const GHA_RULE: ClaimMappingRule = {
  conditions: [
    { claim: 'repository', equals: 'acme/shop' },
    { claim: 'ref', glob: 'refs/heads/*' },
    { claim: 'environment', oneOf: ['production', 'staging'] },
  ],
  identity: 'gha:{repository}@{ref}',
  groups: ['ci-deployers', 'env-{environment}'],
};

describe('mapClaims', () => {
  test('a GitHub Actions token matching every condition maps to the templated name and groups', () => {
    expect(mapClaims(GITHUB, [GHA_RULE])).toEqual({
      matched: true,
      rule: 0,
      identity: 'gha:acme/shop@refs/heads/main',
      groups: ['ci-deployers', 'env-production'],
      claims: { repository: 'acme/shop', ref: 'refs/heads/main', environment: 'production' },
    });
  });

  test('a GitLab CI token maps by project and protected branch', () => {
    const rule: ClaimMappingRule = {
      conditions: [
        { claim: 'project_path', glob: 'acme/*' },
        { claim: 'ref_protected', equals: 'true' },
      ],
      identity: 'gitlab:{project_path}+{pipeline_id}',
      groups: ['ci-readers'],
    };
    const mapped = mapClaims(GITLAB, [rule]);
    expect(mapped).toMatchObject({ matched: true, identity: 'gitlab:acme/shop+1001', groups: ['ci-readers'] });
    // A template may read a claim no condition pinned, when it exists; the audit keeps it too.
    expect(mapped.matched && mapped.claims).toEqual({
      project_path: 'acme/shop',
      ref_protected: 'true',
      pipeline_id: '1001',
    });
  });

  test('Kubernetes claims under "kubernetes.io" are reached by dotted paths', () => {
    const rule: ClaimMappingRule = {
      conditions: [
        { claim: 'kubernetes.io.namespace', equals: 'billing' },
        { claim: 'kubernetes.io.serviceaccount.name', oneOf: ['report-job', 'export-job'] },
      ],
      identity: 'k8s:{kubernetes.io.namespace}/{kubernetes.io.serviceaccount.name}',
      groups: ['billing-jobs'],
    };
    expect(mapClaims(KUBERNETES, [rule])).toMatchObject({
      matched: true,
      identity: 'k8s:billing/report-job',
      groups: ['billing-jobs'],
    });
  });

  test('the first rule that maps wins; the ones before it say why they did not', () => {
    const staging: ClaimMappingRule = { ...GHA_RULE, conditions: [{ claim: 'environment', equals: 'staging' }] };
    const mapped = mapClaims(GITHUB, [staging, GHA_RULE]);
    expect(mapped).toMatchObject({ matched: true, rule: 1 });
    expect(mapClaims(GITHUB, [staging])).toEqual({
      matched: false,
      reasons: ['rule 1: claim "environment" is not "staging"'],
    });
  });

  test('fails closed: a missing claim never matches, even a glob of "**"-like breadth', () => {
    const { environment: _dropped, ...noEnvironment } = GITHUB;
    expect(mapClaims(noEnvironment, [GHA_RULE])).toEqual({
      matched: false,
      reasons: ['rule 1: claim "environment" is missing or not a string'],
    });
    const broad: ClaimMappingRule = {
      conditions: [{ claim: 'ref', glob: 'refs/**' }],
      identity: 'x:{ref}',
      groups: [],
    };
    expect(mapClaims({ sub: 'a' }, [broad]).matched).toBe(false);
    // Objects, arrays, null and empty strings are not values a condition can hold on.
    for (const ref of [{ nested: 'refs/heads/main' }, ['refs/heads/main'], null, '']) {
      expect(mapClaims({ ref }, [broad]).matched).toBe(false);
    }
  });

  test('a template naming a claim the token lacks refuses the rule instead of rendering a partial name', () => {
    const rule: ClaimMappingRule = { ...GHA_RULE, identity: 'gha:{repository}@{job_workflow_ref}' };
    expect(mapClaims(GITHUB, [rule])).toEqual({
      matched: false,
      reasons: ['rule 1: claim "job_workflow_ref" named by a template is missing or not a string'],
    });
  });

  test('claim values that would make an invalid name or group refuse the rule', () => {
    const rule: ClaimMappingRule = {
      conditions: [{ claim: 'repository', glob: 'acme/**' }],
      identity: 'gha:{repository}',
      groups: ['repo-{repository}'],
    };
    expect(mapClaims({ repository: 'acme/shop evil' }, [rule])).toMatchObject({ matched: false });
    expect(mapClaims({ repository: 'acme/x,admins' }, [rule])).toMatchObject({ matched: false });
    expect(mapClaims({ repository: 'acme/shop' }, [rule])).toMatchObject({ matched: true, groups: ['repo-acme/shop'] });
  });

  test('"*" stays within one path segment, "**" crosses them, other characters are literal', () => {
    const rule = (glob: string): ClaimMappingRule[] => [
      { conditions: [{ claim: 'ref', glob }], identity: 'r:{ref}', groups: [] },
    ];
    expect(mapClaims({ ref: 'refs/heads/main' }, rule('refs/heads/*')).matched).toBe(true);
    expect(mapClaims({ ref: 'refs/heads/feature/x' }, rule('refs/heads/*')).matched).toBe(false);
    expect(mapClaims({ ref: 'refs/heads/feature/x' }, rule('refs/heads/**')).matched).toBe(true);
    expect(mapClaims({ ref: 'refsXheads/main' }, rule('refs.heads/*')).matched).toBe(false);
    expect(mapClaims({ ref: 'refs/tags/v1' }, rule('refs/heads/*')).matched).toBe(false);
  });

  test('a glob with many stars against a long claim answers (no backtracking blow-up)', () => {
    const glob = `${'*a'.repeat(60)}b`;
    const rules: ClaimMappingRule[] = [{ conditions: [{ claim: 'ref', glob }], identity: 'r:x', groups: [] }];
    expect(mapClaims({ ref: 'a'.repeat(8000) }, rules).matched).toBe(false);
    expect(mapClaims({ ref: `${'a'.repeat(8000)}b` }, rules).matched).toBe(true);
  });

  test('numbers and booleans match as their text (GitLab and GitHub send some ids as either)', () => {
    expect(claimValue({ run_id: 42, ok: true }, 'run_id')).toBe('42');
    expect(claimValue({ run_id: 42, ok: true }, 'ok')).toBe('true');
    expect(claimValue({ a: { b: Number.NaN } }, 'a.b')).toBeUndefined();
  });

  test('arbitrary claims never throw and never map when the conditions cannot hold', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (claims) => {
        const mapped = mapClaims({ ...claims, repository: 'other/repo' }, [GHA_RULE]);
        expect(mapped.matched).toBe(false);
      }),
    );
  });
});

describe('validateClaimMappingRules', () => {
  const bad: Array<[string, ClaimMappingRule[], RegExp]> = [
    ['no rules', [], /at least one mapping rule/],
    ['no conditions', [{ conditions: [], identity: 'x:y', groups: [] }], /at least one condition/],
    [
      'two operators in one condition',
      [{ conditions: [{ claim: 'a', equals: 'b', glob: 'c' } as never], identity: 'x:y', groups: [] }],
      /exactly one of/,
    ],
    [
      'a glob matching everything',
      [{ conditions: [{ claim: 'a', glob: '**' }], identity: 'x:y', groups: [] }],
      /matches everything/,
    ],
    [
      'a bad claim path',
      [{ conditions: [{ claim: 'a..b', equals: 'c' }], identity: 'x:y', groups: [] }],
      /dotted path/,
    ],
    ['an empty oneOf', [{ conditions: [{ claim: 'a', oneOf: [] }], identity: 'x:y', groups: [] }], /oneOf lists/],
    ['unbalanced braces', [{ conditions: [{ claim: 'a', equals: 'b' }], identity: 'x:{a', groups: [] }], /unbalanced/],
    [
      'a name chosen by a claim',
      [{ conditions: [{ claim: 'a', equals: 'b' }], identity: '{sub}', groups: [] }],
      /literal prefix/,
    ],
    [
      'a bad group',
      [{ conditions: [{ claim: 'a', equals: 'b' }], identity: 'x:y', groups: ['a b'] }],
      /not a valid group/,
    ],
  ];
  test('refuses two rules that give one identity name different groups (each exchange would reset them)', () => {
    const main: ClaimMappingRule = {
      conditions: [{ claim: 'ref', equals: 'refs/heads/main' }],
      identity: 'gha:{repository}',
      groups: ['deployers'],
    };
    const any: ClaimMappingRule = {
      conditions: [{ claim: 'ref', glob: 'refs/**' }],
      identity: 'gha:{repository}',
      groups: ['readers'],
    };
    expect(() => validateClaimMappingRules([main, any])).toThrow(
      /rules 1 and 2 map to the same identity template with different groups/,
    );
    expect(validateClaimMappingRules([main, { ...any, identity: 'gha:{repository}@{ref}' }])).toHaveLength(2);
    expect(validateClaimMappingRules([main, { ...any, groups: ['deployers'] }])).toHaveLength(2);
  });

  test.each(bad)('refuses %s', (_what, rules, message) => {
    expect(() => validateClaimMappingRules(rules)).toThrow(ClaimMappingError);
    expect(() => validateClaimMappingRules(rules)).toThrow(message);
  });

  test("accepts the platforms' usual rules and de-duplicates groups", () => {
    expect(validateClaimMappingRules([{ ...GHA_RULE, groups: ['a', 'a'] }])[0]!.groups).toEqual(['a']);
  });
});
