import { dsrAnswersMigration } from '@girok/kit/dsr';
import { outboxMigration } from '@girok/kit/outbox';
import type { Migration } from 'kysely/migration';
import * as auth from './0001-auth.ts';
import * as nextSigningKey from './0003-next-signing-key.ts';
import * as auditManage from './0004-audit-manage-permission.ts';

/** Ordered by name; never edit an applied migration, add the next one. */
export const migrations: Record<string, Migration> = {
  '0000-outbox': outboxMigration,
  '0001-auth': auth,
  '0002-dsr-answers': dsrAnswersMigration,
  '0003-next-signing-key': nextSigningKey,
  '0004-audit-manage-permission': auditManage,
};
