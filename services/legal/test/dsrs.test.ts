import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { create, toJson } from '@bufbuild/protobuf';
import { type Timestamp, timestampDate } from '@bufbuild/protobuf/wkt';
import { DsrOutcome, DsrPartCompletedSchema, DsrType } from '@girok/contracts/legal/v1/dsr';
import { type Dsr, DsrEscalation, DsrStatus, LegalService } from '@girok/contracts/legal/v1/legal';
import { createGrpcClient } from '@girok/kit/grpc';
import { createLogger } from '@girok/kit/logging';
import { createPolicy } from '@girok/kit/resilience';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startLegalService } from '../src/legal-service.ts';
import {
  type Caller,
  dropDatabase,
  eventually,
  failure,
  fieldsOf,
  highWatermarks,
  publishCloudEvent,
  readEvents,
  rowCounts,
  startTestPlatform,
  type TestPlatform,
} from './support.ts';

const DAY = 86_400_000;
const PART_COMPLETED = 'girok.legal.v1.dsr.part_completed';
const ms = (time: Timestamp | undefined) => (time === undefined ? Number.NaN : timestampDate(time).getTime());

describe('data-subject requests: deadlines, escalation and fulfilment across services', () => {
  let platform: TestPlatform;
  let manager: Caller;
  let officer: Caller;
  let user: Caller;

  const get = async (dsr: Dsr | undefined) =>
    (await platform.legal.getDsr({ dsrId: dsr?.id ?? '' }, officer.as)).dsr as Dsr;
  /** Waits until the request has `count` answers (the consumer handles events in order per account). */
  const answered = (dsr: Dsr | undefined, count: number) =>
    eventually(async () => {
      const current = await get(dsr);
      return current.parts.length >= count ? current : undefined;
    });
  /** Another service's answer, published on Kafka as its outbox relay would. */
  const answer = (
    dsr: Dsr | undefined,
    service: string,
    outcome: DsrOutcome,
    extra: { exportJson?: string; note?: string; type?: DsrType } = {},
  ) =>
    publishCloudEvent({
      topic: 'legal.dsr.v1',
      key: dsr?.accountId ?? '',
      type: PART_COMPLETED,
      source: service,
      data: toJson(
        DsrPartCompletedSchema,
        create(DsrPartCompletedSchema, {
          requestId: dsr?.id ?? '',
          accountId: dsr?.accountId ?? '',
          type: extra.type ?? dsr?.type ?? DsrType.UNSPECIFIED,
          service,
          outcome,
          exportJson: extra.exportJson ?? '',
          note: extra.note ?? '',
        }),
      ),
    });
  const grantAll = async (caller: Caller) => {
    const { documents } = await platform.legal.requiredConsents({ country: 'KR' });
    for (const document of documents) {
      await platform.legal.grantConsent(
        { accountId: caller.accountId, documentId: document.id, client: { ipAddress: '192.0.2.1' } },
        caller.as,
      );
    }
  };

  beforeAll(async () => {
    platform = await startTestPlatform();
    [manager, officer, user] = await Promise.all([
      platform.admin(['legal_document:manage']),
      platform.admin(['dsr:manage']),
      platform.user('KR'),
    ]);
    for (const type of ['terms', 'privacy']) {
      const { document } = await platform.legal.createDocument(
        {
          type,
          version: '1.0.0',
          locale: 'en-US',
          country: 'KR',
          title: type,
          content: `${type} text`,
          required: true,
        },
        manager.as,
      );
      await platform.legal.publishDocument({ documentId: document?.id ?? '' }, manager.as);
    }
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('the deadline comes from the strictest law of the country; none applies → the 30-day default', async () => {
    const expectations = [
      ['KR', 10, ['PIPA']],
      ['DE', 30, ['GDPR']],
      ['US', 45, ['CCPA']],
      ['JP', 14, ['APPI']],
      ['BR', 30, []],
      ['', 30, []],
    ] as const;
    for (const [country, days, laws] of expectations) {
      const { dsr } = await platform.legal.fileDsr(
        { accountId: randomUUID(), type: DsrType.RECTIFICATION, details: 'my address is wrong', country },
        officer.as,
      );
      expect(dsr, country).toMatchObject({
        status: DsrStatus.RECEIVED,
        deadlineDays: days,
        laws,
        escalation: DsrEscalation.NONE,
        participants: [],
        filedBy: officer.accountId,
      });
      expect(ms(dsr?.deadlineAt) - ms(dsr?.createdAt), country).toBe(days * DAY);
    }
  });

  it('requests are the account’s own; invalid ones name their fields and write nothing', async () => {
    const stranger = await platform.user('KR');
    const before = await rowCounts(platform.db);
    expect(
      (
        await failure(
          platform.legal.fileDsr({ accountId: user.accountId, type: DsrType.ACCESS }, stranger.as),
        )
      ).kind,
    ).toBe('PERMISSION_DENIED');
    expect((await failure(platform.legal.listDsrs({}, stranger.as))).kind).toBe('PERMISSION_DENIED');
    const invalid = await failure(
      platform.legal.fileDsr(
        {
          accountId: stranger.accountId,
          type: DsrType.UNSPECIFIED,
          details: 'x'.repeat(5001),
          country: 'Korea',
        },
        stranger.as,
      ),
    );
    expect(fieldsOf(invalid).sort()).toEqual(['country', 'details', 'type']);
    const rest = await platform.rest('POST', `/v1/accounts/${stranger.accountId}/dsrs`, {
      body: { type: 'DSR_TYPE_NOPE' },
      token: stranger.token,
    });
    expect(rest.status).toBe(400);
    expect(await rowCounts(platform.db)).toEqual(before);

    const { dsr } = await platform.legal.fileDsr(
      { accountId: stranger.accountId, type: DsrType.OBJECTION, details: 'no profiling', country: 'KR' },
      stranger.as,
    );
    expect(
      await failure(
        platform.legal.fileDsr({ accountId: stranger.accountId, type: DsrType.OBJECTION }, stranger.as),
      ),
    ).toMatchObject({ kind: 'CONFLICT', code: 'DSR_ALREADY_OPEN' });
    expect((await failure(platform.legal.getDsr({ dsrId: dsr?.id ?? '' }, user.as))).kind).toBe(
      'PERMISSION_DENIED',
    );
    const own = await platform.legal.listDsrs({ accountId: stranger.accountId }, stranger.as);
    expect(own.dsrs.map((d) => d.id)).toEqual([dsr?.id]);

    // Handled by hand (dsr:manage): RECEIVED → IN_PROGRESS → REJECTED (with a reason).
    expect(
      (
        await failure(
          platform.legal.updateDsrStatus(
            { dsrId: dsr?.id ?? '', status: DsrStatus.IN_PROGRESS },
            stranger.as,
          ),
        )
      ).kind,
    ).toBe('PERMISSION_DENIED');
    await platform.legal.updateDsrStatus({ dsrId: dsr?.id ?? '', status: DsrStatus.IN_PROGRESS }, officer.as);
    expect(
      fieldsOf(
        await failure(
          platform.legal.updateDsrStatus({ dsrId: dsr?.id ?? '', status: DsrStatus.REJECTED }, officer.as),
        ),
      ),
    ).toEqual(['resolution']);
    const rejected = await platform.legal.updateDsrStatus(
      { dsrId: dsr?.id ?? '', status: DsrStatus.REJECTED, resolution: 'profiling is not done' },
      officer.as,
    );
    expect(rejected.dsr).toMatchObject({ status: DsrStatus.REJECTED, resolution: 'profiling is not done' });
    expect(
      (
        await failure(
          platform.legal.updateDsrStatus({ dsrId: dsr?.id ?? '', status: DsrStatus.IN_PROGRESS }, officer.as),
        )
      ).code,
    ).toBe('DSR_STATUS_CHANGE_NOT_ALLOWED');
  });

  it('erasure: legal erases its part at once, completes only when every participant answered, duplicates change nothing', async () => {
    await grantAll(user);
    const from = await highWatermarks();
    const { dsr } = await platform.legal.fileDsr(
      { accountId: user.accountId, type: DsrType.ERASURE, details: 'delete me', country: 'KR' },
      user.as,
    );
    expect(dsr).toMatchObject({
      status: DsrStatus.IN_PROGRESS,
      participants: ['identity-service', 'auth-service', 'legal-service', 'audit-service'],
    });

    // legal-service answered its own part off legal.dsr.v1: consents gone, history kept anonymised.
    const afterOwn = await answered(dsr, 1);
    expect(afterOwn.parts.map((p) => `${p.service} ${DsrOutcome[p.outcome]}`)).toEqual([
      'legal-service ANONYMISED',
    ]);
    expect(afterOwn.parts[0]?.note).toContain('salted hash');
    expect((await platform.legal.listConsents({ accountId: user.accountId }, user.as)).consents).toEqual([]);
    expect((await platform.legal.getConsentHistory({ accountId: user.accountId }, user.as)).entries).toEqual(
      [],
    );
    const hash = createHmac('sha256', platform.config.dsr.erasurePepper).update(user.accountId).digest('hex');
    const kept = await platform.db
      .selectFrom('consent_history')
      .select(['account_id', 'erased_account_hash', 'ip_address', 'document_type'])
      .where('erased_account_hash', '=', hash)
      .orderBy('id')
      .execute();
    expect(kept).toEqual([
      { account_id: null, erased_account_hash: hash, ip_address: null, document_type: 'privacy' },
      { account_id: null, erased_account_hash: hash, ip_address: null, document_type: 'terms' },
    ]);

    await answer(dsr, 'identity-service', DsrOutcome.ERASED);
    // A duplicate with another outcome, a stranger's answer and an answer of the wrong type count for nothing.
    await answer(dsr, 'identity-service', DsrOutcome.RETAINED, { note: 'second thoughts' });
    await answer(dsr, 'billing-service', DsrOutcome.ERASED);
    await answer(dsr, 'audit-service', DsrOutcome.RETAINED, { type: DsrType.ACCESS });
    await answer(dsr, 'auth-service', DsrOutcome.ERASED);
    const three = await answered(dsr, 3);
    expect(three.status).toBe(DsrStatus.IN_PROGRESS);
    expect(three.parts.map((p) => `${p.service} ${DsrOutcome[p.outcome]}`).sort()).toEqual([
      'auth-service ERASED',
      'identity-service ERASED',
      'legal-service ANONYMISED',
    ]);
    // Nobody completes it by hand.
    expect(
      (
        await failure(
          platform.legal.updateDsrStatus({ dsrId: dsr?.id ?? '', status: DsrStatus.COMPLETED }, officer.as),
        )
      ).code,
    ).toBe('DSR_STATUS_CHANGE_NOT_ALLOWED');

    await answer(dsr, 'audit-service', DsrOutcome.RETAINED, { note: 'security audit trail, 5 years' });
    const done = await eventually(async () => {
      const current = await get(dsr);
      return current.status === DsrStatus.COMPLETED ? current : undefined;
    });
    expect(done.parts).toHaveLength(4);
    expect(done.completedAt).toBeDefined();
    // The audit-service answer arriving again after completion changes nothing.
    await answer(dsr, 'audit-service', DsrOutcome.ERASED);

    const events = await readEvents(
      from,
      (e) =>
        e.key === user.accountId && e.topic === 'legal.dsr.v1' && e.headers.ce_source === 'legal-service',
      (seen) => seen.some((e) => e.headers.ce_type === 'girok.legal.v1.dsr.completed'),
    );
    expect(events.map((e) => e.headers.ce_type)).toEqual([
      'girok.legal.v1.dsr.filed',
      'girok.legal.v1.dsr.fulfilment_requested',
      'girok.legal.v1.dsr.part_completed',
      'girok.legal.v1.dsr.completed',
    ]);
    expect(events[1]?.data).toEqual({
      requestId: dsr?.id,
      accountId: user.accountId,
      type: 'DSR_TYPE_ERASURE',
      participants: ['identity-service', 'auth-service', 'legal-service', 'audit-service'],
    });
    expect(events[2]?.data).toMatchObject({ service: 'legal-service', outcome: 'DSR_OUTCOME_ANONYMISED' });
    expect(events[3]?.data).toEqual({
      requestId: dsr?.id,
      accountId: user.accountId,
      type: 'DSR_TYPE_ERASURE',
    });
    const final = await get(dsr);
    expect(final.parts.find((p) => p.service === 'audit-service')?.outcome).toBe(DsrOutcome.RETAINED);
  });

  it('access: the export is assembled from every participant’s part and only the account or dsr:manage gets it', async () => {
    const reader = await platform.user('KR');
    await grantAll(reader);
    const { dsr } = await platform.legal.fileDsr(
      { accountId: reader.accountId, type: DsrType.ACCESS, country: 'KR' },
      reader.as,
    );
    await answered(dsr, 1);
    expect((await failure(platform.legal.getDsrExport({ dsrId: dsr?.id ?? '' }, reader.as))).code).toBe(
      'EXPORT_NOT_READY',
    );
    await answer(dsr, 'identity-service', DsrOutcome.EXPORTED, {
      exportJson: JSON.stringify({ account: { id: reader.accountId, country: 'KR' } }),
    });
    await answer(dsr, 'auth-service', DsrOutcome.NOTHING_HELD);
    await answer(dsr, 'audit-service', DsrOutcome.EXPORTED, { exportJson: JSON.stringify({ events: [] }) });
    await eventually(async () => ((await get(dsr)).exportReady ? true : undefined));

    const { exportJson } = await platform.legal.getDsrExport({ dsrId: dsr?.id ?? '' }, reader.as);
    const assembled = JSON.parse(exportJson) as Record<string, Record<string, unknown[]> | null>;
    // jsonb keeps its own key order: the keys are what matters.
    expect(Object.keys(assembled).sort()).toEqual([
      'audit-service',
      'auth-service',
      'identity-service',
      'legal-service',
    ]);
    expect(assembled['identity-service']).toEqual({ account: { id: reader.accountId, country: 'KR' } });
    expect(assembled['auth-service']).toBeNull();
    expect(assembled['legal-service']?.consents).toHaveLength(2);
    expect(assembled['legal-service']?.consentHistory).toHaveLength(2);
    expect(assembled['legal-service']?.dataSubjectRequests).toEqual([
      expect.objectContaining({ id: dsr?.id, type: 'DSR_TYPE_ACCESS' }),
    ]);
    expect((await failure(platform.legal.getDsrExport({ dsrId: dsr?.id ?? '' }, user.as))).kind).toBe(
      'PERMISSION_DENIED',
    );
    const rest = await platform.rest('GET', `/v1/dsrs/${dsr?.id}/export`, { token: officer.token });
    expect(rest.status).toBe(200);
    expect(JSON.parse(((await rest.json()) as { exportJson: string }).exportJson)).toEqual(assembled);
  });

  it('escalation: a scheduled job raises NONE → WARNING → CRITICAL → OVERDUE as the deadline nears (test clock)', async () => {
    const late = await platform.user('KR');
    const from = await highWatermarks();
    const { dsr } = await platform.legal.fileDsr(
      { accountId: late.accountId, type: DsrType.RESTRICTION, details: 'stop processing', country: 'KR' },
      late.as,
    );
    expect(dsr?.escalation).toBe(DsrEscalation.NONE);
    const reaches = (level: DsrEscalation) =>
      eventually(async () => ((await get(dsr)).escalation === level ? true : undefined), 10_000);
    platform.clock.advance(3.5 * DAY); // 6.5 days left
    await reaches(DsrEscalation.WARNING);
    platform.clock.advance(5 * DAY); // 1.5 days left
    await reaches(DsrEscalation.CRITICAL);
    platform.clock.advance(2 * DAY); // half a day late
    await reaches(DsrEscalation.OVERDUE);

    const events = await readEvents(
      from,
      (e) => e.key === late.accountId || e.data?.targetId === dsr?.id,
      (seen) => seen.filter((e) => e.headers.ce_type === 'girok.legal.v1.dsr.escalated').length >= 3,
    );
    const escalated = events.filter((e) => e.headers.ce_type === 'girok.legal.v1.dsr.escalated');
    expect(escalated.map((e) => (e.data.dsr as { escalation: string }).escalation)).toEqual([
      'DSR_ESCALATION_WARNING',
      'DSR_ESCALATION_CRITICAL',
      'DSR_ESCALATION_OVERDUE',
    ]);
    const audits = events.filter((e) => e.topic === 'audit.event.v1' && e.data.action === 'dsr.escalate');
    expect(audits.map((e) => (e.data.metadata as { to: string }).to)).toEqual([
      'WARNING',
      'CRITICAL',
      'OVERDUE',
    ]);
  });

  it('without Kafka (local mode’s in-process bus): a portability request is fulfilled through the bus', async () => {
    // PostgreSQL rather than PGlite here (the migrations' PGlite run is a unit test): the bus is the point.
    const database = new URL(platform.config.databaseUrl);
    database.pathname = `${database.pathname}_local`;
    const legal = await startLegalService(
      loadConfig({
        ...platform.callers.workloadEnv(),
        DATABASE_URL: database.toString(),
        IDENTITY_GRPC_ADDRESS: platform.identityAddress,
        AUTH_JWKS_URL: platform.jwksUrl,
        LEGAL_ERASURE_PEPPER: randomBytes(32).toString('base64'),
        DSR_PARTICIPANTS: 'legal-service',
        HTTP_PORT: '0',
        GRPC_PORT: '0',
        HOST: '127.0.0.1',
        SHUTDOWN_GRACE_MS: '1000',
      }),
      {
        logger: createLogger({ service: 'legal-local', level: 'silent' }),
        workloadTokens: platform.callers.workload('legal-service'),
      },
    );
    const client = createGrpcClient(LegalService, legal.grpcAddress, {
      deadlineMs: 10_000,
      policy: createPolicy({ name: 'legal-local', retry: { maxRetries: 0 } }),
    });
    try {
      const user = await platform.user('JP');
      const { dsr } = await client.fileDsr(
        { accountId: user.accountId, type: DsrType.PORTABILITY, country: 'JP' },
        user.as,
      );
      expect(dsr).toMatchObject({ deadlineDays: 14, laws: ['APPI'], participants: ['legal-service'] });
      const done = await eventually(async () => {
        const current = (await client.getDsr({ dsrId: dsr?.id ?? '' }, user.as)).dsr;
        return current?.status === DsrStatus.COMPLETED ? current : undefined;
      });
      expect(done.exportReady).toBe(true);
      const { exportJson } = await client.getDsrExport({ dsrId: dsr?.id ?? '' }, user.as);
      expect(Object.keys(JSON.parse(exportJson) as object)).toEqual(['legal-service']);
    } finally {
      client.close();
      await legal.close();
      await dropDatabase(database);
    }
  });
});
