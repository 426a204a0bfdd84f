import type { Kysely, Transaction } from 'kysely';
import type { IdentityDatabase } from '../schema/database.ts';

/** The pool or an open transaction: repositories run on whichever the service hands them. */
export type Executor = Kysely<IdentityDatabase> | Transaction<IdentityDatabase>;
