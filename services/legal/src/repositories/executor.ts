import type { Kysely, Transaction } from 'kysely';
import type { LegalDatabase } from '../schema/database.ts';

/** The pool or an open transaction: repositories run on whichever the service hands them. */
export type Executor = Kysely<LegalDatabase> | Transaction<LegalDatabase>;
