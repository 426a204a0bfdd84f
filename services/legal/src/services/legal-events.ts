import {
  DsrCompletedSchema,
  DsrFulfilmentRequestedSchema,
  DsrPartCompletedSchema,
} from '@girok/contracts/legal/v1/dsr';
import { ConsentEventSchema, DsrEventSchema } from '@girok/contracts/legal/v1/events';
import { domainEvents } from '@girok/kit/outbox';
import { dsrOutcomeToProto, dsrTypeToProto, toConsent, toDsr, toHistoryEntry } from '../dtos/legal.dto.ts';
import type { ConsentHistoryRow, ConsentRow } from '../repositories/consent.repository.ts';
import type { DsrPartRow, DsrSummaryRow } from '../repositories/dsr.repository.ts';

export const SERVICE_NAME = 'legal-service';
export const CONSENT_TOPIC = 'legal.consent.v1';
export const DSR_TOPIC = 'legal.dsr.v1';

/** CloudEvents types of the fulfilment protocol (dsr.proto). */
export const DSR_EVENT_TYPES = {
  fulfilmentRequested: 'girok.legal.v1.dsr.fulfilment_requested',
  partCompleted: 'girok.legal.v1.dsr.part_completed',
  completed: 'girok.legal.v1.dsr.completed',
} as const;

const { event, audit } = domainEvents(SERVICE_NAME, 'legal');

/**
 * The legal topics' events (CloudEvents data in proto3 JSON), all keyed by account id so one
 * account's consents and requests stay in order.
 */
export const LegalEvents = {
  consent: (change: 'granted' | 'withdrawn', consent: ConsentRow, entry: ConsentHistoryRow) =>
    event(CONSENT_TOPIC, 'consent', change, consent.account_id, ConsentEventSchema, {
      consent: toConsent(consent),
      entry: toHistoryEntry(entry),
    }),
  dsr: (
    change: 'filed' | 'status_changed' | 'escalated',
    dsr: DsrSummaryRow,
    parts: readonly DsrPartRow[] = [],
  ) => event(DSR_TOPIC, 'dsr', change, dsr.account_id, DsrEventSchema, { dsr: toDsr(dsr, parts) }),
  fulfilmentRequested: (dsr: DsrSummaryRow) =>
    event(DSR_TOPIC, 'dsr', 'fulfilment_requested', dsr.account_id, DsrFulfilmentRequestedSchema, {
      requestId: dsr.id,
      accountId: dsr.account_id,
      type: dsrTypeToProto(dsr.type),
      participants: dsr.participants,
    }),
  partCompleted: (dsr: DsrSummaryRow, part: DsrPartRow) =>
    event(DSR_TOPIC, 'dsr', 'part_completed', dsr.account_id, DsrPartCompletedSchema, {
      requestId: dsr.id,
      accountId: dsr.account_id,
      type: dsrTypeToProto(dsr.type),
      service: part.service,
      outcome: dsrOutcomeToProto(part.outcome),
      exportJson: part.export_json === null ? '' : JSON.stringify(part.export_json),
      note: part.note,
    }),
  completed: (dsr: DsrSummaryRow) =>
    event(DSR_TOPIC, 'dsr', 'completed', dsr.account_id, DsrCompletedSchema, {
      requestId: dsr.id,
      accountId: dsr.account_id,
      type: dsrTypeToProto(dsr.type),
    }),
};

/** A security-relevant action for `audit.event.v1`. */
export const auditEvent = audit;
