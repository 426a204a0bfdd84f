import type { Cluster } from './cluster.ts';

export interface Writes {
  total: number;
  byVerb: Record<string, number>;
}

/** Wraps a Cluster and counts every write it makes (the suites and the benchmark assert on these). */
export function countingCluster(inner: Cluster): { cluster: Cluster; writes: Writes } {
  const writes: Writes = { total: 0, byVerb: {} };
  const count = (verb: string) => {
    writes.total++;
    writes.byVerb[verb] = (writes.byVerb[verb] ?? 0) + 1;
  };
  return {
    writes,
    cluster: {
      get: (ref) => inner.get(ref),
      list: (...args) => inner.list(...args),
      apply: (o, m) => {
        count('apply');
        return inner.apply(o, m);
      },
      delete: (ref) => {
        count('delete');
        return inner.delete(ref);
      },
      replaceStatus: (p) => {
        count('status');
        return inner.replaceStatus(p);
      },
      event: (...args) => {
        count('event');
        return inner.event(...args);
      },
    },
  };
}
