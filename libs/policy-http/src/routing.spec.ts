import { describe, expect, test } from '@jest/globals';
import { routeHttpRequest } from './routing.js';

describe('routeHttpRequest: one routing for the HTTP and Kubernetes engines and the relay door', () => {
  test('/c/<connection>/ is an HTTP connection, the prefix stripped', () => {
    expect(routeHttpRequest('x', '/c/billing-api/users/7?a=1', null)).toEqual({
      protocol: 'http',
      connection: 'billing-api',
      target: '/users/7?a=1',
    });
    expect(routeHttpRequest('x', '/c/billing-api?a=1', null)).toEqual({
      protocol: 'http',
      connection: 'billing-api',
      target: '/?a=1',
    });
  });

  test('/k8s/<connection>/ is a Kubernetes connection, the API path kept', () => {
    expect(routeHttpRequest(undefined, '/k8s/prod-cluster/api/v1/namespaces/prod/pods?watch=1', null)).toEqual({
      protocol: 'kubernetes',
      connection: 'prod-cluster',
      target: '/api/v1/namespaces/prod/pods?watch=1',
    });
    expect(routeHttpRequest(undefined, '/k8s/prod', null)).toEqual({
      protocol: 'kubernetes',
      connection: 'prod',
      target: '/',
    });
  });

  test('a connection by Host keeps its own /k8s/ paths (HTTP, not Kubernetes)', () => {
    expect(routeHttpRequest('orders.api.corp', '/k8s/x/y', 'api.corp')).toEqual({
      protocol: 'http',
      connection: 'orders',
      target: '/k8s/x/y',
    });
  });

  test('names outside the connection-name grammar, or none, are refused (null)', () => {
    expect(routeHttpRequest(undefined, '/k8s//api', null)).toBeNull();
    expect(routeHttpRequest(undefined, '/k8s/a%20b/api', null)).toBeNull();
    expect(routeHttpRequest(undefined, '/k8s/%E0%A4%A/api', null)).toBeNull();
    expect(routeHttpRequest(undefined, '/c/../api', null)).toBeNull();
    expect(routeHttpRequest(undefined, '/api/v1/pods', null)).toBeNull();
  });
});
