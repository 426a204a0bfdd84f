export { appendEvents, type OutboxEventInput, outboxRows } from './append-events.ts';
export { fromKafkaMessage, MalformedEventError, type PendingEvent, toKafkaMessage } from './cloud-event.ts';
export { createOutboxRelay, type Relay, type RelayChoice } from './create-relay.ts';
export { AUDIT_TOPIC, type AuditInput, domainEvents } from './domain-events.ts';
export { LocalOutboxRelay, type LocalOutboxRelayDeps } from './local-relay.ts';
export { OUTBOX_NOTIFY_CHANNEL, outboxMigration } from './outbox.migration.ts';
export { OutboxRelay, type OutboxRelayDeps, type OutboxRelayOptions } from './outbox.relay.ts';
export { type OutboxDatabase, type OutboxEventsTable, outboxView } from './outbox.table.ts';
