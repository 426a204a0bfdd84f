import { outboxMigration } from '@girok/kit/outbox';
import type { Migration } from 'kysely/migration';
import * as legal from './0001-legal.ts';

/** Ordered by name; never edit an applied migration, add the next one. */
export const migrations: Record<string, Migration> = {
  '0000-outbox': outboxMigration,
  '0001-legal': legal,
};
