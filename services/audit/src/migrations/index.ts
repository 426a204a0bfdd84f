import type { Migration } from 'kysely/migration';
import * as auditEvents from './0001-audit-events.ts';

/** The local store's schema (ClickHouse's table is created by `AuditEventRepository.ensureSchema`). Ordered by name; never edit an applied migration, add the next one. */
export const migrations: Record<string, Migration> = {
  '0001-audit-events': auditEvents,
};
