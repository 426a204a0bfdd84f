import type { DsrOutcomeValue, DsrStatusValue, DsrTypeValue, EscalationValue } from '../schema/database.ts';

const DAY_MS = 86_400_000;

/** Days left at or under which an open request escalates. */
export const WARNING_DAYS = 7;
export const CRITICAL_DAYS = 2;

export interface DeadlineLaw {
  readonly code: string;
  readonly dsrDeadlineDays: number;
}

export interface Deadline {
  readonly deadlineAt: Date;
  readonly days: number;
  /** The laws that set it (every law with the smallest deadline); empty for the default. */
  readonly laws: string[];
}

/**
 * The strictest applicable law wins: the smallest number of days of the laws that apply to the
 * person's country, counted from filing. No law → the platform default (GDPR's one month).
 */
export function dsrDeadline(filedAt: Date, laws: readonly DeadlineLaw[], defaultDays: number): Deadline {
  const days = laws.length === 0 ? defaultDays : Math.min(...laws.map((law) => law.dsrDeadlineDays));
  return {
    deadlineAt: new Date(filedAt.getTime() + days * DAY_MS),
    days,
    laws: laws
      .filter((law) => law.dsrDeadlineDays === days)
      .map((law) => law.code)
      .sort(),
  };
}

export const ESCALATION_ORDER: readonly EscalationValue[] = ['NONE', 'WARNING', 'CRITICAL', 'OVERDUE'];

/** NONE → WARNING (≤ 7 days left) → CRITICAL (≤ 2 days) → OVERDUE (past the deadline). */
export function escalationLevel(deadlineAt: Date, now: Date): EscalationValue {
  const left = deadlineAt.getTime() - now.getTime();
  if (left < 0) return 'OVERDUE';
  if (left <= CRITICAL_DAYS * DAY_MS) return 'CRITICAL';
  if (left <= WARNING_DAYS * DAY_MS) return 'WARNING';
  return 'NONE';
}

/** Escalation only rises: a level is recorded (and announced) once. */
export function escalates(from: EscalationValue, to: EscalationValue): boolean {
  return ESCALATION_ORDER.indexOf(to) > ESCALATION_ORDER.indexOf(from);
}

/** Requests the services fulfil through events (dsr.proto); the others are handled by people. */
export const FULFILLED_BY_EVENTS: readonly DsrTypeValue[] = ['ERASURE', 'ACCESS', 'PORTABILITY'];
export const EXPORT_TYPES: readonly DsrTypeValue[] = ['ACCESS', 'PORTABILITY'];

export function participantsFor(type: DsrTypeValue, configured: readonly string[]): string[] {
  return FULFILLED_BY_EVENTS.includes(type) ? [...configured] : [];
}

export const OPEN_STATUSES: readonly DsrStatusValue[] = ['RECEIVED', 'IN_PROGRESS'];

/**
 * Whether an admin may move a request from `from` to `to`. A request fulfilled through events
 * completes only when every participant has answered (never by hand), but can be rejected.
 */
export function statusChangeAllowed(from: DsrStatusValue, to: DsrStatusValue, byEvents: boolean): boolean {
  if (from === 'RECEIVED')
    return to === 'IN_PROGRESS' || to === 'REJECTED' || (to === 'COMPLETED' && !byEvents);
  if (from === 'IN_PROGRESS') return to === 'REJECTED' || (to === 'COMPLETED' && !byEvents);
  return false;
}

/** Complete when every participant has answered (answers from others are not counted). */
export function allAnswered(participants: readonly string[], answered: readonly string[]): boolean {
  const have = new Set(answered);
  return participants.length > 0 && participants.every((service) => have.has(service));
}

export interface AnsweredPart {
  readonly service: string;
  readonly outcome: DsrOutcomeValue;
  readonly exportJson: unknown;
}

/** The assembled export: one JSON object keyed by service, each its part (null when it held nothing). */
export function assembleExport(
  participants: readonly string[],
  parts: readonly AnsweredPart[],
): Record<string, unknown> {
  const byService = new Map(parts.map((part) => [part.service, part]));
  return Object.fromEntries(
    [...participants].sort().map((service) => [service, byService.get(service)?.exportJson ?? null]),
  );
}

/**
 * A participant's `export_json` as stored: the parsed object, or, when it is not JSON, the text
 * itself (kept rather than refused: the consumer must not stop on one service's bad answer).
 */
export function parseExport(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { unparsed: text };
  }
}
