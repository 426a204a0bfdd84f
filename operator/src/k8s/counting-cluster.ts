import type { Cluster } from './cluster.ts';

export interface Writes {
  total: number;
  byVerb: Record<string, number>;
  /** `apply Deployment/girok-identity`, ... in order, so a failed count names what was written. */
  log: string[];
}

/** Wraps a Cluster and counts every write it makes (the suites and the benchmark assert on these). */
export function countingCluster(inner: Cluster): { cluster: Cluster; writes: Writes } {
  const writes: Writes = { total: 0, byVerb: {}, log: [] };
  const count = (verb: string, what = '') => {
    writes.log.push(`${verb} ${what}`.trim());
    writes.total++;
    writes.byVerb[verb] = (writes.byVerb[verb] ?? 0) + 1;
  };
  return {
    writes,
    cluster: {
      get: (ref) => inner.get(ref),
      list: (...args) => inner.list(...args),
      apply: (o, m) => {
        count('apply', `${o.kind}/${o.metadata?.name}`);
        return inner.apply(o, m);
      },
      delete: (ref) => {
        count('delete', `${ref.kind}/${ref.name}`);
        return inner.delete(ref);
      },
      createIfAbsent: (o) => {
        count('create', `${o.kind}/${o.metadata?.name}`);
        return inner.createIfAbsent(o);
      },
      replaceStatus: (p) => {
        count('status', `${p.metadata?.name}`);
        return inner.replaceStatus(p);
      },
      event: (...args) => {
        count('event', args[2]);
        return inner.event(...args);
      },
    },
  };
}
