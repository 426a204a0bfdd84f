import type { V1Condition } from '@kubernetes/client-node';

export type ConditionType =
  | 'Ready'
  | 'Progressing'
  | 'Degraded'
  | 'ServicesReady'
  | 'RoutesReady'
  | 'DnsReady'
  | 'TopicsReady'
  | 'ComponentFailing';

export interface ConditionState {
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

/**
 * The conditions to write: each with the observed generation, keeping its lastTransitionTime while
 * its status stays the same (so an unchanged observation writes nothing).
 */
export function mergeConditions(
  previous: readonly V1Condition[] | undefined,
  next: Readonly<Record<ConditionType, ConditionState>>,
  generation: number,
  now: Date,
): V1Condition[] {
  return (Object.entries(next) as [ConditionType, ConditionState][]).map(([type, state]) => {
    const before = previous?.find((c) => c.type === type);
    const lastTransitionTime = before && before.status === state.status ? before.lastTransitionTime : now;
    return {
      type,
      status: state.status,
      reason: state.reason,
      message: state.message,
      observedGeneration: generation,
      lastTransitionTime,
    };
  });
}
