import type { PlatformCondition } from '../api/platform.ts';

export type ConditionType =
  | 'Ready'
  | 'Progressing'
  | 'Degraded'
  | 'SecretsReady'
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
  previous: readonly PlatformCondition[] | undefined,
  next: Readonly<Record<ConditionType, ConditionState>>,
  generation: number,
  now: Date,
): PlatformCondition[] {
  return (Object.entries(next) as [ConditionType, ConditionState][]).map(([type, state]) => {
    const before = previous?.find((c) => c.type === type);
    const lastTransitionTime =
      before && before.status === state.status ? before.lastTransitionTime : now.toISOString();
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
