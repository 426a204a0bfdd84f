import { dsrAnswersMigration } from '@girok/kit/dsr';
import { outboxMigration } from '@girok/kit/outbox';
import type { Migration } from 'kysely/migration';
import * as identity from './0001-identity.ts';
import * as usernameSkeleton from './0003-username-skeleton.ts';

/** Ordered by name; never edit an applied migration, add the next one. */
export const migrations: Record<string, Migration> = {
  '0000-outbox': outboxMigration,
  '0001-identity': identity,
  '0002-dsr-answers': dsrAnswersMigration,
  '0003-username-skeleton': usernameSkeleton,
};
