import { randomUUID } from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { AuditService } from '@girok/contracts/audit/v1/audit';
import type { AuditEvent } from '@girok/contracts/common/v1/common';
import type { GrpcClient } from '@girok/kit/grpc';
import { TestCallers } from '@girok/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAuditService } from '../src/audit-service.ts';
import { sqlString } from '../src/repositories/clickhouse-sql.ts';
import type { OutgoingEvent } from '../src/repositories/cloud-event.ts';
import {
  auditClient,
  auditEvent,
  auditId,
  bearer,
  counts,
  createTestBed,
  produce,
  type TestBed,
  testTokens,
  until,
} from './support.ts';

const A = randomUUID();
const B = randomUUID();
const ADMIN_X = randomUUID();
const ADMIN_Y = randomUUID();
const at = (minute: number) => new Date(Date.UTC(2026, 9, 1, 12, minute, 0, 123));

describe('audit queries', () => {
  let bed: TestBed;
  let service: RunningAuditService;
  let client: GrpcClient<typeof AuditService>;
  let adminToken: string;
  const events: Record<string, OutgoingEvent> = {};

  beforeAll(async () => {
    bed = await createTestBed();
    service = await bed.start();
    client = auditClient(service);
    adminToken = await bed.tokens.admin(['audit:read'], ADMIN_X);
    const add = (name: string, event: OutgoingEvent) => {
      events[name] = event;
    };
    for (let i = 0; i < 5; i++) {
      add(
        `aLogin${i}`,
        auditEvent({ action: 'account.login', actorId: A, now: at(i * 2), metadata: { method: 'password' } }),
      );
    }
    add(
      'aMfaFail',
      auditEvent({
        action: 'account.login.mfa',
        actorId: A,
        targetType: 'account',
        targetId: A,
        result: 'FAILURE',
        reason: 'MFA_CODE_INVALID',
        now: at(11),
      }),
    );
    add(
      'aLock',
      auditEvent({
        action: 'account.lock',
        actorId: A,
        targetType: 'account',
        targetId: A,
        result: 'SUCCESS',
        now: at(12),
      }),
    );
    add(
      'aEnroll',
      auditEvent({ action: 'mfa.enroll', actorId: A, targetType: 'account', targetId: A, now: at(13) }),
    );
    add('aRevoke', auditEvent({ action: 'session.revoke', actorId: A, now: at(14) }));
    add('bLogin0', auditEvent({ action: 'account.login', actorId: B, now: at(3) }));
    add('bLogin1', auditEvent({ action: 'account.login', actorId: B, now: at(5) }));
    add(
      'anonymous',
      auditEvent({
        action: 'account.login',
        targetType: 'account',
        result: 'FAILURE',
        reason: 'INVALID_CREDENTIALS',
        now: at(6),
      }),
    );
    add(
      'xAssign',
      auditEvent({
        service: 'auth',
        action: 'role.assign',
        actorId: ADMIN_X,
        targetType: 'account',
        targetId: A,
        now: at(20),
        metadata: { role: 'support' },
      }),
    );
    add(
      'xSanction',
      auditEvent({
        service: 'auth',
        action: 'sanction.create',
        actorId: ADMIN_X,
        targetType: 'account',
        targetId: B,
        now: at(21),
      }),
    );
    add(
      'yRevoke',
      auditEvent({
        service: 'auth',
        action: 'role.revoke',
        actorId: ADMIN_Y,
        targetType: 'account',
        targetId: B,
        now: at(22),
      }),
    );
    await produce(bed.kafka, bed.eventsTopic, Object.values(events));
    await until(
      'all rows',
      async () => (await counts(bed.clickhouse, bed.database)).rows === Object.keys(events).length,
    );
  });

  afterAll(async () => {
    client?.close();
    await bed?.teardown();
  });

  const ids = (list: readonly AuditEvent[]) => list.map((e) => e.id);
  const idsOf = (...names: string[]) => names.map((n) => auditId(events[n] as OutgoingEvent));

  it("lists an account's logins, failed MFA steps and lockout, newest first, to the account itself", async () => {
    const token = await bed.tokens.user(A);
    const page = await client.listLoginHistory({ accountId: A, page: { pageSize: 50 } }, bearer(token));
    expect(page.degraded).toBe(false);
    expect(ids(page.events)).toEqual(
      idsOf('aLock', 'aMfaFail', 'aLogin4', 'aLogin3', 'aLogin2', 'aLogin1', 'aLogin0'),
    );
    expect(page.page?.nextPageToken).toBe('');
    const newest = page.events[0] as AuditEvent;
    expect(newest).toMatchObject({
      action: 'account.lock',
      actorId: A,
      service: 'identity-service',
      targetType: 'account',
    });
    expect(page.events[2]?.occurredAt).toEqual(timestampFromDate(at(8)));
    expect(page.events[2]?.metadata).toEqual({ method: 'password' });
  });

  it("refuses another user's login history, and admins without audit:read; admins with it may", async () => {
    const other = await bed.tokens.user(B);
    await expect(client.listLoginHistory({ accountId: A }, bearer(other))).rejects.toMatchObject({
      kind: 'PERMISSION_DENIED',
      code: 'NOT_OWN_ACCOUNT',
    });
    const support = await bed.tokens.admin(['account:read']);
    await expect(client.listLoginHistory({ accountId: A }, bearer(support))).rejects.toMatchObject({
      kind: 'PERMISSION_DENIED',
    });
    const page = await client.listLoginHistory({ accountId: B }, bearer(adminToken));
    expect(ids(page.events)).toEqual(idsOf('bLogin1', 'bLogin0'));
    // A user is never an admin: the trail and admin actions stay closed to A even about A.
    const self = await bed.tokens.user(A);
    await expect(client.getAccountTrail({ accountId: A }, bearer(self))).rejects.toMatchObject({
      kind: 'PERMISSION_DENIED',
    });
    await expect(client.listAdminActions({}, bearer(self))).rejects.toMatchObject({
      kind: 'PERMISSION_DENIED',
    });
  });

  it('pages through with keyset tokens: no row twice, none skipped, in order', async () => {
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await client.listLoginHistory(
        { accountId: A, page: { pageSize: 3, pageToken: token } },
        bearer(adminToken),
      );
      seen.push(...ids(page.events));
      token = page.page?.nextPageToken ?? '';
      pages += 1;
      expect(page.events.length).toBeLessThanOrEqual(3);
    } while (token !== '' && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(idsOf('aLock', 'aMfaFail', 'aLogin4', 'aLogin3', 'aLogin2', 'aLogin1', 'aLogin0'));
  });

  it('refuses a page token of another query or one that is not a token', async () => {
    const first = await client.listLoginHistory({ accountId: A, page: { pageSize: 2 } }, bearer(adminToken));
    const token = first.page?.nextPageToken ?? '';
    expect(token).not.toBe('');
    for (const request of [
      { accountId: B, page: { pageToken: token } },
      { accountId: A, page: { pageToken: token }, from: timestampFromDate(at(0)) },
      { accountId: A, page: { pageToken: "x' OR 1=1" } },
    ]) {
      await expect(client.listLoginHistory(request, bearer(adminToken))).rejects.toMatchObject({
        kind: 'INVALID_ARGUMENT',
        fieldViolations: [{ field: 'page.page_token' }],
      });
    }
  });

  it('filters by time: from inclusive, to exclusive', async () => {
    const page = await client.listLoginHistory(
      { accountId: A, from: timestampFromDate(at(2)), to: timestampFromDate(at(8)) },
      bearer(adminToken),
    );
    expect(ids(page.events)).toEqual(idsOf('aLogin3', 'aLogin2', 'aLogin1'));
    await expect(
      client.listLoginHistory(
        { accountId: A, from: timestampFromDate(at(8)), to: timestampFromDate(at(2)) },
        bearer(adminToken),
      ),
    ).rejects.toMatchObject({ kind: 'INVALID_ARGUMENT', fieldViolations: [{ field: 'to' }] });
  });

  it('lists admin actions, of every admin or of one', async () => {
    const all = await client.listAdminActions({}, bearer(adminToken));
    expect(ids(all.events)).toEqual(idsOf('yRevoke', 'xSanction', 'xAssign'));
    const x = await client.listAdminActions({ actorId: ADMIN_X }, bearer(adminToken));
    expect(ids(x.events)).toEqual(idsOf('xSanction', 'xAssign'));
    await expect(client.listAdminActions({ actorId: 'nope' }, bearer(adminToken))).rejects.toMatchObject({
      kind: 'INVALID_ARGUMENT',
      fieldViolations: [{ field: 'actor_id' }],
    });
  });

  it("gives an account's whole trail: what it did and what admins did to it", async () => {
    const trail = await client.getAccountTrail({ accountId: A, page: { pageSize: 100 } }, bearer(adminToken));
    expect(ids(trail.events)).toEqual(
      idsOf(
        'xAssign',
        'aRevoke',
        'aEnroll',
        'aLock',
        'aMfaFail',
        'aLogin4',
        'aLogin3',
        'aLogin2',
        'aLogin1',
        'aLogin0',
      ),
    );
    const b = await client.getAccountTrail({ accountId: B }, bearer(adminToken));
    expect(ids(b.events)).toEqual(idsOf('yRevoke', 'xSanction', 'bLogin1', 'bLogin0'));
  });

  it('refuses callers without a valid token, over gRPC and REST (problem+json)', async () => {
    await expect(client.listAdminActions({})).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'TOKEN_MISSING',
    });
    const forged = await (async () => {
      const other = await TestCallers.start();
      try {
        return await testTokens(other).admin(['audit:read']);
      } finally {
        await other.close();
      }
    })();
    await expect(client.listAdminActions({}, bearer(forged))).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
    });
    const rest = await fetch(`${service.httpUrl}/v1/admin-actions`);
    expect(rest.status).toBe(401);
    expect(rest.headers.get('content-type')).toContain('application/problem+json');
    expect(await rest.json()).toMatchObject({ code: 'TOKEN_MISSING' });
  });

  it('serves the same queries as REST, the proto3 JSON face, and documents them in /openapi.json', async () => {
    const response = await fetch(`${service.httpUrl}/v1/accounts/${A}/login-history?page.pageSize=2`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      events: { id: string; occurredAt: string; action: string }[];
      page: { nextPageToken: string };
      degraded: boolean;
    };
    expect(body.degraded).toBe(false);
    expect(body.events.map((e) => e.id)).toEqual(idsOf('aLock', 'aMfaFail'));
    expect(body.events[0]?.occurredAt).toBe('2026-10-01T12:12:00.123Z');
    const next = await fetch(
      `${service.httpUrl}/v1/accounts/${A}/login-history?page.pageSize=2&page.pageToken=${body.page.nextPageToken}`,
      { headers: { authorization: `Bearer ${adminToken}` } },
    );
    expect(((await next.json()) as typeof body).events.map((e) => e.id)).toEqual(idsOf('aLogin4', 'aLogin3'));
    const bad = await fetch(`${service.httpUrl}/v1/accounts/not-a-uuid/trail`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      code: 'INVALID_ARGUMENT',
      errors: [{ field: 'account_id' }],
    });

    const openapi = (await (await fetch(`${service.httpUrl}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/v1/accounts/{account_id}/login-history',
        '/v1/admin-actions',
        '/v1/accounts/{account_id}/trail',
        '/v1/retention/apply',
        '/v1/retention/policy',
      ]),
    );
  });

  it('binds any text safely as a ClickHouse literal (the escaper against the real server)', async () => {
    const nasty = [
      "'",
      "\\'",
      "a'); DROP DATABASE x; --",
      'line\nbreak\ttab\r\0nul',
      '\\',
      'é日本🎉',
      '\x7f\x01',
      "''''",
    ];
    for (const value of nasty) {
      const result = await bed.clickhouse.query({
        query: `SELECT ${sqlString(value)} AS v`,
        format: 'JSONEachRow',
      });
      expect(await result.json()).toEqual([{ v: value }]);
    }
  });
});
