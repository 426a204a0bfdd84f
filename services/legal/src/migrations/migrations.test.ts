import { createDatabase, migrateToLatest } from '@girok/kit/db';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LegalDatabase } from '../schema/database.ts';
import { GDPR_COUNTRIES } from './0001-legal.ts';
import { migrations } from './index.ts';

const ACCOUNT = '0190a8d2-1c6e-7000-8000-000000000001';

describe('legal migrations on PGlite (local mode)', () => {
  // One database for the file (PGlite starts slowly); each test writes rows of its own.
  let db: Kysely<LegalDatabase>;
  beforeAll(async () => {
    db = createDatabase<LegalDatabase>({ url: 'pglite://memory' });
    await migrateToLatest(db, migrations);
  });
  afterAll(async () => {
    await db.destroy();
  });

  const document = (
    id: string,
    version: string,
    status: 'DRAFT' | 'ACTIVE' | 'ARCHIVED',
    type = 'terms',
  ) => ({
    id,
    type,
    version,
    locale: 'en-US',
    country: 'KR',
    title: 'Terms',
    content: 'text',
    content_hash: 'h',
    required: true,
    status,
    created_at: new Date(),
  });

  it('create every table and seed the four laws with their documented values', async () => {
    const { rows } = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE 'kysely%'
      ORDER BY table_name`.execute(db);
    expect(rows.map((row) => row.table_name)).toEqual([
      'consent_history',
      'consents',
      'documents',
      'dsr_parts',
      'dsrs',
      'laws',
      'outbox_events',
    ]);
    const laws = await db
      .selectFrom('laws')
      .select([
        'code',
        'countries',
        'minimum_age',
        'parental_consent_age',
        'required_consents',
        'dsr_deadline_days',
        'explicit_consent',
        'cross_border_rule',
      ])
      .orderBy('code')
      .execute();
    expect(laws).toEqual([
      {
        code: 'APPI',
        countries: ['JP'],
        minimum_age: 16,
        parental_consent_age: 16,
        required_consents: ['privacy', 'terms'],
        dsr_deadline_days: 14,
        explicit_consent: false,
        cross_border_rule: 'CONSENT_REQUIRED',
      },
      {
        code: 'CCPA',
        countries: ['US'],
        minimum_age: 13,
        parental_consent_age: 13,
        required_consents: ['privacy', 'terms'],
        dsr_deadline_days: 45,
        explicit_consent: false,
        cross_border_rule: 'NONE',
      },
      {
        code: 'GDPR',
        countries: [...GDPR_COUNTRIES],
        minimum_age: 16,
        parental_consent_age: 16,
        required_consents: ['privacy', 'terms'],
        dsr_deadline_days: 30,
        explicit_consent: true,
        cross_border_rule: 'ADEQUACY_REQUIRED',
      },
      {
        code: 'PIPA',
        countries: ['KR'],
        minimum_age: 14,
        parental_consent_age: 14,
        required_consents: ['privacy', 'terms'],
        dsr_deadline_days: 10,
        explicit_consent: true,
        cross_border_rule: 'CONSENT_REQUIRED',
      },
    ]);
    expect(GDPR_COUNTRIES).toHaveLength(30);
    expect(GDPR_COUNTRIES).toEqual(expect.arrayContaining(['DE', 'FR', 'IT', 'ES', 'PL', 'SE']));
  });

  it('the database itself keeps one ACTIVE document per type, country and locale', async () => {
    await db
      .insertInto('documents')
      .values(document('0190a8d2-1c6e-7000-8000-00000000000a', '1.0.0', 'ACTIVE'))
      .execute();
    await db
      .insertInto('documents')
      .values(document('0190a8d2-1c6e-7000-8000-00000000000b', '1.1.0', 'DRAFT'))
      .execute();
    await expect(
      db
        .insertInto('documents')
        .values(document('0190a8d2-1c6e-7000-8000-00000000000c', '2.0.0', 'ACTIVE'))
        .execute(),
    ).rejects.toThrow(/documents_one_active/);
    await expect(
      db
        .insertInto('documents')
        .values(document('0190a8d2-1c6e-7000-8000-00000000000d', '1.0.0', 'DRAFT'))
        .execute(),
    ).rejects.toThrow(/documents_version_key/);
  });

  it('the consent history is append-only except the one anonymisation of an erased account', async () => {
    await db
      .insertInto('documents')
      .values(document('0190a8d2-1c6e-7000-8000-0000000000e0', '1.0.0', 'ACTIVE', 'privacy'))
      .execute();
    const entry = {
      id: '0190a8d2-1c6e-7000-8000-0000000000e1',
      account_id: ACCOUNT,
      action: 'GRANTED' as const,
      document_type: 'privacy',
      document_id: '0190a8d2-1c6e-7000-8000-0000000000e0',
      document_version: '1.0.0',
      document_country: 'KR',
      document_locale: 'en-US',
      content_hash: 'h',
      ip_address: '203.0.113.7',
      user_agent: 'test',
      occurred_at: new Date(),
    };
    await db.insertInto('consent_history').values(entry).execute();
    await expect(db.deleteFrom('consent_history').execute()).rejects.toThrow(/append-only/);
    await expect(
      db.updateTable('consent_history').set({ document_version: '9.9.9' }).execute(),
    ).rejects.toThrow(/append-only/);
    // Anonymising but changing what was agreed: refused.
    await expect(
      db
        .updateTable('consent_history')
        .set({
          account_id: null,
          erased_account_hash: 'x',
          ip_address: null,
          user_agent: null,
          action: 'WITHDRAWN',
        })
        .execute(),
    ).rejects.toThrow(/append-only/);
    // Keeping the IP address: refused.
    await expect(
      db
        .updateTable('consent_history')
        .set({ account_id: null, erased_account_hash: 'x', user_agent: null })
        .execute(),
    ).rejects.toThrow(/append-only/);
    await db
      .updateTable('consent_history')
      .set({ account_id: null, erased_account_hash: 'x', ip_address: null, user_agent: null })
      .execute();
    // Once anonymised, never again.
    await expect(
      db.updateTable('consent_history').set({ erased_account_hash: 'y' }).execute(),
    ).rejects.toThrow(/append-only/);
    const kept = await db
      .selectFrom('consent_history')
      .select(['account_id', 'erased_account_hash', 'action'])
      .execute();
    expect(kept).toEqual([{ account_id: null, erased_account_hash: 'x', action: 'GRANTED' }]);
  });

  it('refuses a law whose parental-consent age is below its minimum age', async () => {
    await expect(
      db
        .updateTable('laws')
        .set({ minimum_age: 16, parental_consent_age: 13 })
        .where('code', '=', 'PIPA')
        .execute(),
    ).rejects.toThrow(/laws_ages/);
  });
});
