import { type Kysely, sql } from 'kysely';
import type { LawsTable } from '../schema/database.ts';

/** EU member states plus the EEA (IS, LI, NO), where the GDPR applies through the EEA Agreement. */
export const GDPR_COUNTRIES = [
  'AT',
  'BE',
  'BG',
  'CY',
  'CZ',
  'DE',
  'DK',
  'EE',
  'ES',
  'FI',
  'FR',
  'GR',
  'HR',
  'HU',
  'IE',
  'IS',
  'IT',
  'LI',
  'LT',
  'LU',
  'LV',
  'MT',
  'NL',
  'NO',
  'PL',
  'PT',
  'RO',
  'SE',
  'SI',
  'SK',
] as const;

/**
 * The law registry the platform starts with (docs/architecture.md §3). Values are data: an admin with law:manage
 * changes them with UpdateLaw, no release needed. `notes` says where each value comes from.
 */
export const SEEDED_LAWS = [
  {
    code: 'GDPR',
    name: 'General Data Protection Regulation (EU) 2016/679',
    countries: [...GDPR_COUNTRIES],
    minimum_age: 16,
    parental_consent_age: 16,
    required_consents: ['privacy', 'terms'],
    dsr_deadline_days: 30,
    explicit_consent: true,
    cross_border_rule: 'ADEQUACY_REQUIRED',
    notes:
      'Art. 8: parental consent under 16 (member states may lower it to 13; the registry keeps the ' +
      'regulation default). Art. 12(3): one month to answer, kept as 30 days. Chapter V: transfers ' +
      'need an adequacy decision or safeguards.',
  },
  {
    code: 'PIPA',
    name: 'Personal Information Protection Act (Republic of Korea)',
    countries: ['KR'],
    minimum_age: 14,
    parental_consent_age: 14,
    required_consents: ['privacy', 'terms'],
    dsr_deadline_days: 10,
    explicit_consent: true,
    cross_border_rule: 'CONSENT_REQUIRED',
    notes:
      'Art. 22-2: a legal representative consents for children under 14. Enforcement Decree: ' +
      'access requests answered within 10 days. Art. 28-8: overseas transfer needs consent.',
  },
  {
    code: 'CCPA',
    name: 'California Consumer Privacy Act (as amended by the CPRA)',
    // Simplified to the whole country: the registry has no regions yet.
    countries: ['US'],
    minimum_age: 13,
    parental_consent_age: 13,
    required_consents: ['privacy', 'terms'],
    dsr_deadline_days: 45,
    explicit_consent: false,
    cross_border_rule: 'NONE',
    notes:
      'Opt-out regime: explicit consent is not the basis (opt-in only for selling data of minors ' +
      'under 16). Under 13 needs a parent (with COPPA). § 1798.130: 45 days to answer. Applies to ' +
      'California residents; kept on US as a whole until the registry knows regions.',
  },
  {
    code: 'APPI',
    name: 'Act on the Protection of Personal Information (Japan)',
    countries: ['JP'],
    minimum_age: 16,
    parental_consent_age: 16,
    required_consents: ['privacy', 'terms'],
    dsr_deadline_days: 14,
    explicit_consent: false,
    cross_border_rule: 'CONSENT_REQUIRED',
    notes:
      'No statutory age: the PPC guidelines (Q&A 1-62) expect a legal representative to consent for ' +
      'children of roughly 12 to 15 and younger, kept as 16. Art. 33 says "without delay" with no ' +
      'fixed number of days: the platform commits to 14. Consent is needed for third-party and ' +
      'special-care data, not for all processing. Art. 28: transfers abroad need consent unless ' +
      'the country is recognised or the recipient has equivalent measures.',
  },
] as const;

/**
 * The legal schema: documents and their lifecycle, current consents and the append-only consent
 * history, the law registry (seeded), data-subject requests and the participants' answers. Account
 * ids belong to identity-service's database, so they carry no foreign key here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('documents')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type ~ '^[a-z][a-z0-9_]{1,31}$'`))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull().check(sql`country ~ '^([A-Z]{2}|\\*)$'`))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('required', 'boolean', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('DRAFT', 'ACTIVE', 'ARCHIVED')`))
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz')
    .addColumn('archived_at', 'timestamptz')
    .addUniqueConstraint('documents_version_key', ['type', 'country', 'locale', 'version'])
    .execute();
  // Exactly one document in force per type, country and locale, whoever writes the row.
  await db.schema
    .createIndex('documents_one_active')
    .unique()
    .on('documents')
    .columns(['type', 'country', 'locale'])
    .where(sql.ref('status'), '=', 'ACTIVE')
    .execute();

  await db.schema
    .createTable('consents')
    .addColumn('account_id', 'uuid', (c) => c.notNull())
    .addColumn('document_type', 'text', (c) => c.notNull())
    .addColumn('document_id', 'uuid', (c) => c.notNull().references('documents.id'))
    .addColumn('document_version', 'text', (c) => c.notNull())
    .addColumn('document_country', 'text', (c) => c.notNull())
    .addColumn('document_locale', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('GRANTED', 'WITHDRAWN')`))
    .addColumn('granted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('withdrawn_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('consents_pkey', ['account_id', 'document_type'])
    .addCheckConstraint('consents_shape', sql`(status = 'WITHDRAWN') = (withdrawn_at IS NOT NULL)`)
    .execute();

  await db.schema
    .createTable('consent_history')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid')
    .addColumn('erased_account_hash', 'text')
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action IN ('GRANTED', 'WITHDRAWN')`))
    .addColumn('document_type', 'text', (c) => c.notNull())
    .addColumn('document_id', 'uuid', (c) => c.notNull().references('documents.id'))
    .addColumn('document_version', 'text', (c) => c.notNull())
    .addColumn('document_country', 'text', (c) => c.notNull())
    .addColumn('document_locale', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('ip_address', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('consent_history_subject', sql`(account_id IS NULL) <> (erased_account_hash IS NULL)`)
    .execute();
  await db.schema
    .createIndex('consent_history_account_idx')
    .on('consent_history')
    .columns(['account_id', 'id'])
    .where(sql.ref('account_id'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('consent_history_erased_idx')
    .on('consent_history')
    .column('erased_account_hash')
    .where(sql.ref('erased_account_hash'), 'is not', null)
    .execute();
  // Proof of lawful processing is never rewritten: the one change allowed is the anonymisation of
  // an erased account (id → salted hash, client details dropped), once.
  await sql`CREATE FUNCTION consent_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'consent_history is append-only' USING ERRCODE = 'check_violation';
      END IF;
      IF OLD.account_id IS NULL OR NEW.account_id IS NOT NULL OR NEW.erased_account_hash IS NULL
         OR NEW.ip_address IS NOT NULL OR NEW.user_agent IS NOT NULL
         OR (to_jsonb(NEW) - 'account_id' - 'erased_account_hash' - 'ip_address' - 'user_agent')
            IS DISTINCT FROM (to_jsonb(OLD) - 'account_id' - 'erased_account_hash' - 'ip_address' - 'user_agent')
      THEN
        RAISE EXCEPTION 'consent_history is append-only (only the anonymisation of an erased account is allowed)'
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END
  $$`.execute(db);
  await sql`CREATE TRIGGER consent_history_append_only BEFORE UPDATE OR DELETE ON consent_history
    FOR EACH ROW EXECUTE FUNCTION consent_history_append_only()`.execute(db);

  await db.schema
    .createTable('laws')
    .addColumn('code', 'text', (c) => c.primaryKey().check(sql`code ~ '^[A-Z][A-Z0-9_]{1,31}$'`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('countries', sql`text[]`, (c) => c.notNull())
    .addColumn('minimum_age', 'integer', (c) => c.notNull().check(sql`minimum_age BETWEEN 0 AND 21`))
    .addColumn('parental_consent_age', 'integer', (c) =>
      c.notNull().check(sql`parental_consent_age BETWEEN 0 AND 21`),
    )
    .addColumn('required_consents', sql`text[]`, (c) => c.notNull())
    .addColumn('dsr_deadline_days', 'integer', (c) =>
      c.notNull().check(sql`dsr_deadline_days BETWEEN 1 AND 90`),
    )
    .addColumn('explicit_consent', 'boolean', (c) => c.notNull())
    .addColumn('cross_border_rule', 'text', (c) =>
      c.notNull().check(sql`cross_border_rule IN ('NONE', 'ADEQUACY_REQUIRED', 'CONSENT_REQUIRED')`),
    )
    .addColumn('notes', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_by', 'uuid')
    .addCheckConstraint('laws_ages', sql`parental_consent_age >= minimum_age`)
    .execute();
  const seeded = new Date();
  await (db as Kysely<{ laws: LawsTable }>)
    .insertInto('laws')
    .values(
      SEEDED_LAWS.map((law) => ({
        ...law,
        countries: [...law.countries],
        required_consents: [...law.required_consents],
        updated_at: seeded,
      })),
    )
    .execute();

  await db.schema
    .createTable('dsrs')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull())
    .addColumn('type', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`type IN ('ACCESS', 'RECTIFICATION', 'ERASURE', 'RESTRICTION', 'PORTABILITY', 'OBJECTION')`,
        ),
    )
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status IN ('RECEIVED', 'IN_PROGRESS', 'COMPLETED', 'REJECTED')`),
    )
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('deadline_at', 'timestamptz', (c) => c.notNull())
    .addColumn('deadline_days', 'integer', (c) => c.notNull())
    .addColumn('laws', sql`text[]`, (c) => c.notNull())
    .addColumn('escalation', 'text', (c) =>
      c.notNull().check(sql`escalation IN ('NONE', 'WARNING', 'CRITICAL', 'OVERDUE')`),
    )
    .addColumn('participants', sql`text[]`, (c) => c.notNull())
    .addColumn('resolution', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('export_json', 'jsonb')
    .addColumn('filed_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('completed_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('dsrs_account_idx').on('dsrs').columns(['account_id', 'id']).execute();
  // The escalation job reads the open requests nearest their deadline.
  await db.schema
    .createIndex('dsrs_open_deadline_idx')
    .on('dsrs')
    .column('deadline_at')
    .where(sql.ref('status'), 'in', ['RECEIVED', 'IN_PROGRESS'])
    .execute();
  // One open request of a kind per account: a second erasure while one runs would only repeat it.
  await db.schema
    .createIndex('dsrs_one_open')
    .unique()
    .on('dsrs')
    .columns(['account_id', 'type'])
    .where(sql.ref('status'), 'in', ['RECEIVED', 'IN_PROGRESS'])
    .execute();

  await db.schema
    .createTable('dsr_parts')
    .addColumn('dsr_id', 'uuid', (c) => c.notNull().references('dsrs.id').onDelete('cascade'))
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) =>
      c.notNull().check(sql`outcome IN ('ERASED', 'ANONYMISED', 'RETAINED', 'EXPORTED', 'NOTHING_HELD')`),
    )
    .addColumn('export_json', 'jsonb')
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('answered_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('dsr_parts_pkey', ['dsr_id', 'service'])
    .execute();
}
