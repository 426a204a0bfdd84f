import type { Kysely, Transaction } from 'kysely';
import type { AuthDatabase } from '../schema/database.ts';

/** The pool or an open transaction: repositories run on whichever the service hands them. */
export type Executor = Kysely<AuthDatabase> | Transaction<AuthDatabase>;
