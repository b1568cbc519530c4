import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { kubeconfigPath, mergeKubeconfig } from './commands/kubernetes.js';

const entries = (server: string) => ({
  cluster: { name: 'postern-prod', cluster: { server, 'certificate-authority-data': 'Q0E=' } },
  user: { name: 'postern-prod', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'postern' } } },
  context: { name: 'postern-prod', context: { cluster: 'postern-prod', user: 'postern-prod' } },
});

describe('postern kubeconfig merging', () => {
  const existing = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: kind-dev',
    '  cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: S0lORA==}',
    'users:',
    '- name: kind-dev',
    '  user: {client-certificate-data: Q0VSVA==}',
    'contexts:',
    '- name: kind-dev',
    '  context: {cluster: kind-dev, user: kind-dev}',
    'current-context: kind-dev',
    'preferences: {colors: true}',
    '',
  ].join('\n');

  test('adds the context and keeps every other entry and the current context', () => {
    const merged = parse(mergeKubeconfig(existing, entries('https://agent:8443/k8s/prod'), false));
    expect(merged.clusters.map((c: { name: string }) => c.name)).toEqual(['kind-dev', 'postern-prod']);
    expect(merged.users.map((u: { name: string }) => u.name)).toEqual(['kind-dev', 'postern-prod']);
    expect(merged.contexts.map((c: { name: string }) => c.name)).toEqual(['kind-dev', 'postern-prod']);
    expect(merged['current-context']).toBe('kind-dev');
    expect(merged.preferences).toEqual({ colors: true });
    expect(merged.users[0].user['client-certificate-data']).toBe('Q0VSVA==');
  });

  test('running it again replaces its own entries only; --use switches the current context', () => {
    const once = mergeKubeconfig(existing, entries('https://agent:8443/k8s/prod'), false);
    const twice = parse(mergeKubeconfig(once, entries('https://other:9443/k8s/prod'), true));
    expect(twice.clusters).toHaveLength(2);
    expect(twice.clusters[1].cluster.server).toBe('https://other:9443/k8s/prod');
    expect(twice['current-context']).toBe('postern-prod');
  });

  test('an empty file becomes a kubeconfig with this context current; broken YAML is refused', () => {
    const fresh = parse(mergeKubeconfig('', entries('https://agent:8443/k8s/prod'), false));
    expect(fresh).toMatchObject({ apiVersion: 'v1', kind: 'Config', 'current-context': 'postern-prod' });
    expect(() => mergeKubeconfig('clusters: [unclosed', entries('https://a/k8s/p'), false)).toThrow(/not valid YAML/);
  });

  test('the file kubectl reads first', () => {
    expect(kubeconfigPath({ KUBECONFIG: '/a/one:/b/two', HOME: '/home/x' })).toBe('/a/one');
    expect(kubeconfigPath({ HOME: '/home/x' })).toBe('/home/x/.kube/config');
    expect(kubeconfigPath({ HOME: '/home/x' }, '/explicit')).toBe('/explicit');
  });
});
