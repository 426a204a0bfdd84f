import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { operatorMetrics } from '../metrics.ts';
import type { Cluster } from './cluster.ts';
import { meteredCluster } from './metered-cluster.ts';

const refusing = (code: number) => () => Promise.reject(new ApiException(code, 'refused', '{}', {}));
const inner: Cluster = {
  get: (ref) => Promise.resolve(ref.name === 'there' ? { metadata: { name: 'there' } } : undefined),
  list: () => Promise.resolve([]),
  apply: refusing(429),
  delete: () => Promise.reject(new TypeError('fetch failed')),
  createIfAbsent: (o) => Promise.resolve(o.metadata?.name === 'new' ? o : undefined),
  replaceStatus: (p) => Promise.resolve(p),
  event: () => Promise.resolve(),
};

describe('meteredCluster', () => {
  it('counts each request by method and status code, failures, not-found reads and existing creates included', async () => {
    const metrics = operatorMetrics();
    const cluster = meteredCluster(inner, metrics, 'api.test:6443');
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'there', namespace: 'ns' };
    await cluster.get(ref);
    await cluster.get({ ...ref, name: 'gone' });
    await expect(cluster.apply({ kind: 'ConfigMap' })).rejects.toThrow();
    await expect(cluster.apply({ kind: 'ConfigMap' })).rejects.toThrow();
    await expect(cluster.delete(ref)).rejects.toThrow();
    await cluster.createIfAbsent({ kind: 'Secret', metadata: { name: 'new' } });
    await cluster.createIfAbsent({ kind: 'Secret', metadata: { name: 'there' } });
    const counted = (await metrics.registry.getSingleMetric('rest_client_requests_total')?.get())?.values.map(
      (v) => `${v.labels.method} ${v.labels.code} ${v.labels.host} ${v.value}`,
    );
    expect(counted?.sort()).toEqual([
      'DELETE <error> api.test:6443 1',
      'GET 200 api.test:6443 1',
      'GET 404 api.test:6443 1',
      'PATCH 429 api.test:6443 2',
      'POST 201 api.test:6443 1',
      'POST 409 api.test:6443 1',
    ]);
  });
});
