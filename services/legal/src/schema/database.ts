import type { OutboxDatabase } from '@girok/kit/outbox';
import type { ColumnType } from 'kysely';

/** Timestamps are written as Date and read as Date. */
type Timestamp = ColumnType<Date, Date | undefined, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;
/** jsonb: written as JSON text, read back parsed. */
type NullableJson = ColumnType<unknown, string | null | undefined, string | null>;

export type DocumentStatusValue = 'DRAFT' | 'ACTIVE' | 'ARCHIVED';
export type ConsentStatusValue = 'GRANTED' | 'WITHDRAWN';
export type CrossBorderRuleValue = 'NONE' | 'ADEQUACY_REQUIRED' | 'CONSENT_REQUIRED';
export type DsrTypeValue =
  | 'ACCESS'
  | 'RECTIFICATION'
  | 'ERASURE'
  | 'RESTRICTION'
  | 'PORTABILITY'
  | 'OBJECTION';
export type DsrStatusValue = 'RECEIVED' | 'IN_PROGRESS' | 'COMPLETED' | 'REJECTED';
export type EscalationValue = 'NONE' | 'WARNING' | 'CRITICAL' | 'OVERDUE';
export type DsrOutcomeValue = 'ERASED' | 'ANONYMISED' | 'RETAINED' | 'EXPORTED' | 'NOTHING_HELD';

export interface DocumentsTable {
  id: string;
  /** Lower snake case: terms, privacy, marketing, ... */
  type: string;
  /** MAJOR.MINOR.PATCH. */
  version: string;
  /** BCP 47, canonical form. */
  locale: string;
  /** ISO 3166-1 alpha-2, or `*` for every country. */
  country: string;
  title: string;
  content: string;
  /** SHA-256 of the UTF-8 content, hex. */
  content_hash: string;
  required: boolean;
  status: DocumentStatusValue;
  created_by: Nullable<string>;
  created_at: Timestamp;
  published_at: NullableTimestamp;
  archived_at: NullableTimestamp;
}

/** An account's current consent per document type. */
export interface ConsentsTable {
  account_id: string;
  document_type: string;
  document_id: string;
  document_version: string;
  document_country: string;
  document_locale: string;
  status: ConsentStatusValue;
  granted_at: Timestamp;
  withdrawn_at: NullableTimestamp;
  updated_at: Timestamp;
}

/**
 * Every grant and withdrawal, append-only (a trigger refuses deletes and any update but the one
 * that anonymises an erased account's rows).
 */
export interface ConsentHistoryTable {
  id: string;
  /** Null once the account is erased; `erased_account_hash` then holds HMAC(pepper, id). */
  account_id: Nullable<string>;
  erased_account_hash: Nullable<string>;
  action: ConsentStatusValue;
  document_type: string;
  document_id: string;
  document_version: string;
  document_country: string;
  document_locale: string;
  content_hash: string;
  ip_address: Nullable<string>;
  user_agent: Nullable<string>;
  occurred_at: Timestamp;
}

export interface LawsTable {
  code: string;
  name: string;
  countries: string[];
  minimum_age: number;
  parental_consent_age: number;
  required_consents: string[];
  dsr_deadline_days: number;
  explicit_consent: boolean;
  cross_border_rule: CrossBorderRuleValue;
  notes: string;
  updated_at: Timestamp;
  updated_by: Nullable<string>;
}

export interface DsrsTable {
  id: string;
  account_id: string;
  type: DsrTypeValue;
  status: DsrStatusValue;
  details: string;
  /** '' when the request named no country. */
  country: string;
  deadline_at: Timestamp;
  deadline_days: number;
  laws: string[];
  escalation: EscalationValue;
  /** The services that must answer; empty for requests handled by hand. */
  participants: string[];
  resolution: string;
  /** ACCESS / PORTABILITY once complete: `{ "<service>": <its export> }`. */
  export_json: NullableJson;
  filed_by: Nullable<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
  completed_at: NullableTimestamp;
}

/** One participant's answer to a fulfilment request: one row per (request, service). */
export interface DsrPartsTable {
  dsr_id: string;
  service: string;
  outcome: DsrOutcomeValue;
  export_json: NullableJson;
  note: string;
  answered_at: Timestamp;
}

export interface LegalDatabase extends OutboxDatabase {
  documents: DocumentsTable;
  consents: ConsentsTable;
  consent_history: ConsentHistoryTable;
  laws: LawsTable;
  dsrs: DsrsTable;
  dsr_parts: DsrPartsTable;
}
