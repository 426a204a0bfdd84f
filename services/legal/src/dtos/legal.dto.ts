import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { DsrOutcome, DsrType } from '@girok/contracts/legal/v1/dsr';
import {
  ConsentAction,
  ConsentGapReason,
  type ConsentGapSchema,
  type ConsentHistoryEntrySchema,
  type ConsentSchema,
  ConsentStatus,
  CrossBorderRule,
  type DocumentSchema,
  DocumentStatus,
  DsrEscalation,
  type DsrSchema,
  DsrStatus,
  type LawSchema,
} from '@girok/contracts/legal/v1/legal';
import type { ConsentHistoryRow, ConsentRow } from '../repositories/consent.repository.ts';
import type { DocumentRow } from '../repositories/document.repository.ts';
import type { DsrPartRow, DsrSummaryRow } from '../repositories/dsr.repository.ts';
import type { LawRow } from '../repositories/law.repository.ts';
import type {
  ConsentStatusValue,
  CrossBorderRuleValue,
  DocumentStatusValue,
  DsrOutcomeValue,
  DsrStatusValue,
  DsrTypeValue,
  EscalationValue,
} from '../schema/database.ts';
import type { ConsentGapReasonValue } from '../services/consent-rules.ts';
import type { LawValues } from '../services/law-rules.ts';

const DOCUMENT_STATUSES: Record<DocumentStatusValue, DocumentStatus> = {
  DRAFT: DocumentStatus.DRAFT,
  ACTIVE: DocumentStatus.ACTIVE,
  ARCHIVED: DocumentStatus.ARCHIVED,
};
const CONSENT_STATUSES: Record<ConsentStatusValue, ConsentStatus> = {
  GRANTED: ConsentStatus.GRANTED,
  WITHDRAWN: ConsentStatus.WITHDRAWN,
};
const CONSENT_ACTIONS: Record<ConsentStatusValue, ConsentAction> = {
  GRANTED: ConsentAction.GRANTED,
  WITHDRAWN: ConsentAction.WITHDRAWN,
};
const GAP_REASONS: Record<ConsentGapReasonValue, ConsentGapReason> = {
  NEVER_ACCEPTED: ConsentGapReason.NEVER_ACCEPTED,
  MAJOR_VERSION_CHANGED: ConsentGapReason.MAJOR_VERSION_CHANGED,
  WITHDRAWN: ConsentGapReason.WITHDRAWN,
};
const CROSS_BORDER_RULES: Record<CrossBorderRuleValue, CrossBorderRule> = {
  NONE: CrossBorderRule.NONE,
  ADEQUACY_REQUIRED: CrossBorderRule.ADEQUACY_REQUIRED,
  CONSENT_REQUIRED: CrossBorderRule.CONSENT_REQUIRED,
};
const DSR_TYPES: Record<DsrTypeValue, DsrType> = {
  ACCESS: DsrType.ACCESS,
  RECTIFICATION: DsrType.RECTIFICATION,
  ERASURE: DsrType.ERASURE,
  RESTRICTION: DsrType.RESTRICTION,
  PORTABILITY: DsrType.PORTABILITY,
  OBJECTION: DsrType.OBJECTION,
};
const DSR_STATUSES: Record<DsrStatusValue, DsrStatus> = {
  RECEIVED: DsrStatus.RECEIVED,
  IN_PROGRESS: DsrStatus.IN_PROGRESS,
  COMPLETED: DsrStatus.COMPLETED,
  REJECTED: DsrStatus.REJECTED,
};
const ESCALATIONS: Record<EscalationValue, DsrEscalation> = {
  NONE: DsrEscalation.NONE,
  WARNING: DsrEscalation.WARNING,
  CRITICAL: DsrEscalation.CRITICAL,
  OVERDUE: DsrEscalation.OVERDUE,
};
const DSR_OUTCOMES: Record<DsrOutcomeValue, DsrOutcome> = {
  ERASED: DsrOutcome.ERASED,
  ANONYMISED: DsrOutcome.ANONYMISED,
  RETAINED: DsrOutcome.RETAINED,
  EXPORTED: DsrOutcome.EXPORTED,
  NOTHING_HELD: DsrOutcome.NOTHING_HELD,
};

function fromProto<V extends string, E extends number>(table: Record<V, E>, value: E): V | undefined {
  return (Object.keys(table) as V[]).find((key) => table[key] === value);
}

export const documentStatusFromProto = (status: DocumentStatus) => fromProto(DOCUMENT_STATUSES, status);
export const crossBorderRuleFromProto = (rule: CrossBorderRule) => fromProto(CROSS_BORDER_RULES, rule);
export const dsrTypeFromProto = (type: DsrType) => fromProto(DSR_TYPES, type);
export const dsrStatusFromProto = (status: DsrStatus) => fromProto(DSR_STATUSES, status);
export const dsrOutcomeFromProto = (outcome: DsrOutcome) => fromProto(DSR_OUTCOMES, outcome);
export const dsrTypeToProto = (type: DsrTypeValue) => DSR_TYPES[type];
export const dsrOutcomeToProto = (outcome: DsrOutcomeValue) => DSR_OUTCOMES[outcome];

const optionalTime = (date: Date | null) => (date === null ? undefined : timestampFromDate(date));

export function toDocument(row: DocumentRow): MessageInitShape<typeof DocumentSchema> {
  return {
    id: row.id,
    type: row.type,
    version: row.version,
    locale: row.locale,
    country: row.country,
    title: row.title,
    content: row.content,
    contentHash: row.content_hash,
    required: row.required,
    status: DOCUMENT_STATUSES[row.status],
    createdBy: row.created_by ?? '',
    createdAt: timestampFromDate(row.created_at),
    publishedAt: optionalTime(row.published_at),
    archivedAt: optionalTime(row.archived_at),
  };
}

export function toConsent(row: ConsentRow): MessageInitShape<typeof ConsentSchema> {
  return {
    accountId: row.account_id,
    documentType: row.document_type,
    documentId: row.document_id,
    documentVersion: row.document_version,
    documentCountry: row.document_country,
    documentLocale: row.document_locale,
    status: CONSENT_STATUSES[row.status],
    grantedAt: timestampFromDate(row.granted_at),
    withdrawnAt: optionalTime(row.withdrawn_at),
    updatedAt: timestampFromDate(row.updated_at),
  };
}

export function toHistoryEntry(row: ConsentHistoryRow): MessageInitShape<typeof ConsentHistoryEntrySchema> {
  return {
    id: row.id,
    accountId: row.account_id ?? '',
    action: CONSENT_ACTIONS[row.action],
    documentType: row.document_type,
    documentId: row.document_id,
    documentVersion: row.document_version,
    documentCountry: row.document_country,
    documentLocale: row.document_locale,
    contentHash: row.content_hash,
    ipAddress: row.ip_address ?? '',
    userAgent: row.user_agent ?? '',
    occurredAt: timestampFromDate(row.occurred_at),
  };
}

export function toConsentGap(
  document: DocumentRow,
  reason: ConsentGapReasonValue,
  acceptedVersion: string,
): MessageInitShape<typeof ConsentGapSchema> {
  return { document: toDocument(document), reason: GAP_REASONS[reason], acceptedVersion };
}

export function lawValues(row: LawRow): LawValues {
  return {
    code: row.code,
    name: row.name,
    countries: row.countries,
    minimumAge: row.minimum_age,
    parentalConsentAge: row.parental_consent_age,
    requiredConsents: row.required_consents,
    dsrDeadlineDays: row.dsr_deadline_days,
    explicitConsent: row.explicit_consent,
    crossBorderRule: row.cross_border_rule,
    notes: row.notes,
  };
}

export function toLaw(row: LawRow): MessageInitShape<typeof LawSchema> {
  return {
    code: row.code,
    name: row.name,
    countries: row.countries,
    minimumAge: row.minimum_age,
    parentalConsentAge: row.parental_consent_age,
    requiredConsents: row.required_consents,
    dsrDeadlineDays: row.dsr_deadline_days,
    explicitConsent: row.explicit_consent,
    crossBorderRule: CROSS_BORDER_RULES[row.cross_border_rule],
    notes: row.notes,
    updatedAt: timestampFromDate(row.updated_at),
    updatedBy: row.updated_by ?? '',
  };
}

export function toDsr(row: DsrSummaryRow, parts: readonly DsrPartRow[]): MessageInitShape<typeof DsrSchema> {
  return {
    id: row.id,
    accountId: row.account_id,
    type: DSR_TYPES[row.type],
    status: DSR_STATUSES[row.status],
    details: row.details,
    country: row.country,
    deadlineAt: timestampFromDate(row.deadline_at),
    deadlineDays: row.deadline_days,
    laws: row.laws,
    escalation: ESCALATIONS[row.escalation],
    participants: row.participants,
    parts: parts
      .filter((part) => part.dsr_id === row.id)
      .map((part) => ({
        service: part.service,
        outcome: DSR_OUTCOMES[part.outcome],
        note: part.note,
        answeredAt: timestampFromDate(part.answered_at),
      })),
    resolution: row.resolution,
    exportReady: row.export_ready,
    filedBy: row.filed_by ?? '',
    createdAt: timestampFromDate(row.created_at),
    updatedAt: timestampFromDate(row.updated_at),
    completedAt: optionalTime(row.completed_at),
  };
}
