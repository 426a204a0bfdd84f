import { describe, expect, it } from 'vitest';
import {
  allAnswered,
  assembleExport,
  dsrDeadline,
  escalates,
  escalationLevel,
  parseExport,
  participantsFor,
  statusChangeAllowed,
} from './dsr-rules.ts';

const DAY = 86_400_000;
const filed = new Date('2026-03-01T12:00:00Z');

describe('the DSR deadline', () => {
  it('comes from the strictest (smallest) deadline of the applicable laws', () => {
    const deadline = dsrDeadline(
      filed,
      [
        { code: 'GDPR', dsrDeadlineDays: 30 },
        { code: 'PIPA', dsrDeadlineDays: 10 },
      ],
      30,
    );
    expect(deadline).toEqual({ deadlineAt: new Date(filed.getTime() + 10 * DAY), days: 10, laws: ['PIPA'] });
  });

  it('names every law sharing the strictest deadline', () => {
    expect(
      dsrDeadline(
        filed,
        [
          { code: 'B', dsrDeadlineDays: 14 },
          { code: 'A', dsrDeadlineDays: 14 },
        ],
        30,
      ).laws,
    ).toEqual(['A', 'B']);
  });

  it('falls back to the default when no law applies', () => {
    expect(dsrDeadline(filed, [], 30)).toEqual({
      deadlineAt: new Date(filed.getTime() + 30 * DAY),
      days: 30,
      laws: [],
    });
  });
});

describe('escalation', () => {
  const deadline = new Date(filed.getTime() + 10 * DAY);
  const at = (daysLeft: number) => new Date(deadline.getTime() - daysLeft * DAY);

  it('NONE while more than 7 days are left', () => {
    expect(escalationLevel(deadline, at(10))).toBe('NONE');
    expect(escalationLevel(deadline, at(7.01))).toBe('NONE');
  });
  it('WARNING at 7 days or less', () => {
    expect(escalationLevel(deadline, at(7))).toBe('WARNING');
    expect(escalationLevel(deadline, at(2.01))).toBe('WARNING');
  });
  it('CRITICAL at 2 days or less', () => {
    expect(escalationLevel(deadline, at(2))).toBe('CRITICAL');
    expect(escalationLevel(deadline, at(0))).toBe('CRITICAL');
  });
  it('OVERDUE past the deadline', () => {
    expect(escalationLevel(deadline, at(-0.001))).toBe('OVERDUE');
  });
  it('only rises', () => {
    expect(escalates('NONE', 'WARNING')).toBe(true);
    expect(escalates('WARNING', 'OVERDUE')).toBe(true);
    expect(escalates('CRITICAL', 'WARNING')).toBe(false);
    expect(escalates('OVERDUE', 'OVERDUE')).toBe(false);
  });
});

describe('fulfilment', () => {
  const all = ['identity-service', 'auth-service', 'legal-service', 'audit-service'];

  it('erasure, access and portability go to every participant; the others are handled by hand', () => {
    expect(participantsFor('ERASURE', all)).toEqual(all);
    expect(participantsFor('ACCESS', all)).toEqual(all);
    expect(participantsFor('PORTABILITY', all)).toEqual(all);
    expect(participantsFor('RECTIFICATION', all)).toEqual([]);
    expect(participantsFor('OBJECTION', all)).toEqual([]);
  });

  it('is complete only when every participant answered', () => {
    expect(allAnswered(all, ['identity-service', 'auth-service', 'legal-service'])).toBe(false);
    expect(allAnswered(all, ['identity-service', 'auth-service', 'legal-service', 'stranger'])).toBe(false);
    expect(allAnswered(all, [...all].reverse())).toBe(true);
    expect(allAnswered([], [])).toBe(false);
  });

  it('assembles one object keyed by service', () => {
    expect(
      assembleExport(
        ['b-service', 'a-service'],
        [
          { service: 'a-service', outcome: 'EXPORTED', exportJson: { x: 1 } },
          { service: 'b-service', outcome: 'NOTHING_HELD', exportJson: null },
        ],
      ),
    ).toEqual({ 'a-service': { x: 1 }, 'b-service': null });
    expect(parseExport('{"a":[1]}')).toEqual({ a: [1] });
    expect(parseExport('')).toBeNull();
    expect(parseExport('{nope')).toEqual({ unparsed: '{nope' });
  });

  it('status moves forward only; event-fulfilled requests are never completed by hand', () => {
    expect(statusChangeAllowed('RECEIVED', 'IN_PROGRESS', false)).toBe(true);
    expect(statusChangeAllowed('IN_PROGRESS', 'COMPLETED', false)).toBe(true);
    expect(statusChangeAllowed('IN_PROGRESS', 'COMPLETED', true)).toBe(false);
    expect(statusChangeAllowed('IN_PROGRESS', 'REJECTED', true)).toBe(true);
    expect(statusChangeAllowed('COMPLETED', 'IN_PROGRESS', false)).toBe(false);
    expect(statusChangeAllowed('REJECTED', 'COMPLETED', false)).toBe(false);
    expect(statusChangeAllowed('IN_PROGRESS', 'RECEIVED', false)).toBe(false);
  });
});
