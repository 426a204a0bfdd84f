import { create, type MessageInitShape, toJson } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AuditEventSchema, AuditResult } from '@girok/contracts/common/v1/common';
import type { EventRecord } from '@girok/kit/events';
import { describe, expect, it } from 'vitest';
import { parsePartition } from '../repositories/audit-event.repository.ts';
import {
  auditRowOf,
  NotAnAuditEventError,
  READ_COLUMNS,
  type StoredAuditRow,
  toAuditEvent,
} from './audit.dto.ts';

const ACCOUNT = '019a0000-0000-7000-8000-0000000000aa';

const record = (data: unknown, overrides: Partial<EventRecord> = {}): EventRecord => ({
  id: '019a0000-0000-7000-8000-0000000000ce',
  topic: 'audit.event.v1',
  key: ACCOUNT,
  type: 'girok.audit.v1.event',
  source: 'identity-service',
  subject: ACCOUNT,
  time: new Date('2026-03-01T00:00:00Z'),
  data,
  ...overrides,
});

const login = (fields: MessageInitShape<typeof AuditEventSchema> = {}) =>
  toJson(
    AuditEventSchema,
    create(AuditEventSchema, {
      id: '019a0000-0000-7000-8000-000000000001',
      occurredAt: timestampFromDate(new Date('2026-02-27T12:34:56.789Z')),
      service: 'identity-service',
      action: 'account.login',
      actorId: ACCOUNT,
      targetType: 'session',
      targetId: '019a0000-0000-7000-8000-0000000000ss',
      result: AuditResult.SUCCESS,
      ipAddress: '203.0.113.9',
      userAgent: 'Firefox',
      traceId: 'req-1',
      metadata: { method: 'password' },
      ...fields,
    }),
  );

describe('audit rows', () => {
  it('maps an AuditEvent (proto3 JSON, as the kit writes it) to a row with its category and trail owner', () => {
    const row = auditRowOf(record(login()), new Date('2026-03-01T00:00:01Z'));
    expect(row).toEqual({
      id: '019a0000-0000-7000-8000-000000000001',
      event_id: '019a0000-0000-7000-8000-0000000000ce',
      occurred_at: '2026-02-27 12:34:56',
      occurred_at_ms: Date.parse('2026-02-27T12:34:56.789Z'),
      category: 'access',
      account_id: ACCOUNT,
      service: 'identity-service',
      action: 'account.login',
      actor_id: ACCOUNT,
      target_type: 'session',
      target_id: '019a0000-0000-7000-8000-0000000000ss',
      result: 'SUCCESS',
      reason: '',
      ip_address: '203.0.113.9',
      user_agent: 'Firefox',
      trace_id: 'req-1',
      metadata: '{"method":"password"}',
      source: 'identity-service',
      ingested_at: '2026-03-01 00:00:01',
    });
  });

  it('an anonymous attempt on an account belongs to that account; the CloudEvent fills what the event lacks', () => {
    const data = login({
      id: '',
      actorId: '',
      targetType: 'account',
      targetId: ACCOUNT,
      occurredAt: undefined,
      service: '',
    });
    const row = auditRowOf(record(data), new Date());
    expect(row.account_id).toBe(ACCOUNT);
    expect(row.id).toBe('019a0000-0000-7000-8000-0000000000ce');
    expect(row.occurred_at_ms).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(row.service).toBe('identity-service');
  });

  it('ignores fields it does not know (a newer producer)', () => {
    expect(auditRowOf(record({ ...(login() as object), futureField: 1 }), new Date()).action).toBe(
      'account.login',
    );
  });

  it('refuses data that is no AuditEvent (it goes to the dead-letter topic)', () => {
    for (const data of [
      null,
      'text',
      [1],
      { action: 5 },
      { occurredAt: 'yesterday', action: 'x' },
      { service: 's' },
    ]) {
      expect(() => auditRowOf(record(data), new Date())).toThrow(NotAnAuditEventError);
    }
  });

  it('reads a stored row back into the AuditEvent it came from', () => {
    const row = auditRowOf(record(login()), new Date());
    const stored = Object.fromEntries(READ_COLUMNS.map((c) => [c, String(row[c])])) as StoredAuditRow;
    expect(toJson(AuditEventSchema, create(AuditEventSchema, toAuditEvent(stored)))).toEqual(login());
  });

  it('parses partition names of system.parts', () => {
    expect(parsePartition("('access',202101)")).toEqual({ category: 'access', month: 202101 });
    expect(parsePartition('202101')).toBeUndefined();
    expect(parsePartition("('a'',b',202101)")).toBeUndefined();
  });
});
