import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';

/** Annotation with the hash of what the operator last applied: a field it stopped setting changes it. */
export const APPLIED_HASH = 'platform.girok.dev/applied-hash';

export function withAppliedHash<T extends KubernetesObject>(desired: T): T {
  const hash = createHash('sha256').update(JSON.stringify(desired)).digest('hex').slice(0, 16);
  const metadata = desired.metadata ?? {};
  return {
    ...desired,
    metadata: { ...metadata, annotations: { ...metadata.annotations, [APPLIED_HASH]: hash } },
  };
}

/**
 * True when every field of `want` has the same value in `have`. The server adds defaults and
 * metadata of its own, so extra fields in `have` do not count; arrays must match element by element.
 */
export function isSubset(want: unknown, have: unknown): boolean {
  if (want === have) return true;
  if (Array.isArray(want)) {
    return Array.isArray(have) && want.length === have.length && want.every((w, i) => isSubset(w, have[i]));
  }
  if (want instanceof Date || have instanceof Date) {
    return new Date(want as string).getTime() === new Date(have as string).getTime();
  }
  if (typeof want === 'object' && want !== null) {
    if (typeof have !== 'object' || have === null || Array.isArray(have)) return false;
    const h = have as Record<string, unknown>;
    return Object.entries(want).every(([k, v]) => v === undefined || isSubset(v, h[k]));
  }
  return false;
}

/** Whether applying `desired` (already carrying its applied hash) would change `live`. */
export const needsApply = (desired: KubernetesObject, live: KubernetesObject | undefined): boolean =>
  live === undefined ||
  live.metadata?.annotations?.[APPLIED_HASH] !== desired.metadata?.annotations?.[APPLIED_HASH] ||
  !isSubset(desired, live);

/** The paths (`spec.replicas`, `spec.template.spec.containers[0].image`) where `have` differs from `want`. */
export function differences(want: unknown, have: unknown, path = ''): string[] {
  if (isSubset(want, have)) return [];
  if (Array.isArray(want) && Array.isArray(have) && want.length === have.length) {
    return want.flatMap((w, i) => differences(w, have[i], `${path}[${i}]`));
  }
  if (
    want &&
    typeof want === 'object' &&
    !Array.isArray(want) &&
    have &&
    typeof have === 'object' &&
    !Array.isArray(have)
  ) {
    const h = have as Record<string, unknown>;
    return Object.entries(want).flatMap(([k, v]) =>
      v === undefined ? [] : differences(v, h[k], path ? `${path}.${k}` : k),
    );
  }
  return [path || '(root)'];
}
