import type { TopicOverride } from '../api/platform.ts';
import type { PlatformView } from './platform-view.ts';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly configs: Readonly<Record<string, string>>;
}

const DAY = 24 * 60 * 60 * 1000;

/** The platform's topics (docs/architecture.md §4): `<domain>.<aggregate>.v1`, keyed by aggregate id. */
const topicCatalogue: readonly TopicOverride[] = [
  { name: 'identity.account.v1', partitions: 6, retentionMs: 7 * DAY, cleanupPolicy: 'delete' },
  { name: 'identity.session.v1', partitions: 6, retentionMs: 3 * DAY, cleanupPolicy: 'delete' },
  { name: 'identity.device.v1', partitions: 6, retentionMs: 7 * DAY, cleanupPolicy: 'delete' },
  { name: 'identity.profile.v1', partitions: 6, retentionMs: 7 * DAY, cleanupPolicy: 'delete' },
  { name: 'auth.role.v1', partitions: 3, retentionMs: 7 * DAY, cleanupPolicy: 'delete' },
  { name: 'auth.sanction.v1', partitions: 3, retentionMs: 7 * DAY, cleanupPolicy: 'delete' },
  { name: 'legal.consent.v1', partitions: 6, retentionMs: 7 * DAY, cleanupPolicy: 'delete' },
  { name: 'legal.dsr.v1', partitions: 3, retentionMs: 30 * DAY, cleanupPolicy: 'delete' },
  // ClickHouse keeps the audit trail for years; the topic only buffers while audit-service catches up.
  { name: 'audit.event.v1', partitions: 6, retentionMs: 14 * DAY, cleanupPolicy: 'delete' },
  { name: 'audit.event.v1.dlq.audit-service', partitions: 1, retentionMs: 30 * DAY, cleanupPolicy: 'delete' },
];

/**
 * The catalogue with the spec's overrides applied by name (names the catalogue lacks are added),
 * each under the platform's prefix, as the components' kit names them on the broker
 * (KAFKA_TOPIC_PREFIX).
 */
export function desiredTopics(view: PlatformView): TopicSpec[] {
  const overrides = view.spec.events?.topics ?? [];
  const merged = new Map(topicCatalogue.map((t) => [t.name, t]));
  for (const o of overrides) merged.set(o.name, { ...merged.get(o.name), ...o });
  return [...merged.values()].map((t) => ({
    name: `${view.topicPrefix}${t.name}`,
    partitions: t.partitions ?? 3,
    configs: {
      'retention.ms': String(t.retentionMs ?? 7 * DAY),
      'cleanup.policy': t.cleanupPolicy ?? 'delete',
    },
  }));
}
