import { ConsentAction, ConsentGapReason, ConsentStatus } from '@girok/contracts/legal/v1/legal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Caller,
  failure,
  fieldsOf,
  highWatermarks,
  readEvents,
  rowCounts,
  startTestPlatform,
  type TestPlatform,
} from './support.ts';

const client = { ipAddress: '198.51.100.4', userAgent: 'browser/1.0' };

describe('consents: grant, re-consent after a major version, required ones stay, history kept', () => {
  let platform: TestPlatform;
  let manager: Caller;
  let support: Caller;
  let user: Caller;
  let other: Caller;
  const ids: Record<string, string> = {};

  /** Drafts and publishes a KR document; returns its id. */
  const publish = async (type: string, version: string, required = false) => {
    const { document } = await platform.legal.createDocument(
      {
        type,
        version,
        locale: 'ko-KR',
        country: 'KR',
        title: `${type} ${version}`,
        content: `${type} v${version}`,
        required,
      },
      manager.as,
    );
    await platform.legal.publishDocument({ documentId: document?.id ?? '' }, manager.as);
    ids[`${type}@${version}`] = document?.id ?? '';
    return document?.id ?? '';
  };
  const gaps = async (caller: Caller) =>
    (await platform.legal.checkConsents({ accountId: caller.accountId }, caller.as)).gaps.map((gap) =>
      `${gap.document?.type} ${gap.document?.version} ${ConsentGapReason[gap.reason]} ${gap.acceptedVersion}`.trim(),
    );

  beforeAll(async () => {
    platform = await startTestPlatform();
    [manager, support, user, other] = await Promise.all([
      platform.admin(['legal_document:manage']),
      platform.admin(['account:read']),
      platform.user('KR'),
      platform.user('KR'),
    ]);
    // PIPA (KR) requires terms and privacy; marketing is optional.
    await publish('terms', '1.0.0');
    await publish('privacy', '1.0.0');
    await publish('marketing', '1.0.0');
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('CheckConsents lists what the law of the account’s country requires and it has not accepted', async () => {
    // No country given: identity-service says the account is in KR.
    expect(await gaps(user)).toEqual(['privacy 1.0.0 NEVER_ACCEPTED', 'terms 1.0.0 NEVER_ACCEPTED']);
    const { rules } = await platform.legal.checkConsents({ accountId: user.accountId }, user.as);
    expect(rules).toMatchObject({ country: 'KR', laws: ['PIPA'], minimumAge: 14, parentalConsentAge: 14 });
    for (const type of ['terms', 'privacy', 'marketing']) {
      const { consent } = await platform.legal.grantConsent(
        { accountId: user.accountId, documentId: ids[`${type}@1.0.0`] ?? '', client },
        user.as,
      );
      expect(consent).toMatchObject({
        documentType: type,
        documentVersion: '1.0.0',
        status: ConsentStatus.GRANTED,
      });
    }
    expect(await gaps(user)).toEqual([]);
  });

  it('a minor or patch bump needs no new consent; a major one does, until the account accepts it', async () => {
    await publish('terms', '1.1.0');
    await publish('privacy', '1.0.1');
    expect(await gaps(user)).toEqual([]);
    await publish('privacy', '2.0.0');
    expect(await gaps(user)).toEqual(['privacy 2.0.0 MAJOR_VERSION_CHANGED 1.0.0']);
    // The superseded text can no longer be accepted.
    expect(
      await failure(
        platform.legal.grantConsent(
          { accountId: user.accountId, documentId: ids['privacy@1.0.0'] ?? '' },
          user.as,
        ),
      ),
    ).toMatchObject({ kind: 'FAILED_PRECONDITION', code: 'DOCUMENT_NOT_ACTIVE' });
    await platform.legal.grantConsent(
      { accountId: user.accountId, documentId: ids['privacy@2.0.0'] ?? '', client },
      user.as,
    );
    expect(await gaps(user)).toEqual([]);
    // Another country's rules are another country's documents: in DE (GDPR) none of these apply.
    const germany = await platform.legal.checkConsents({ accountId: user.accountId, country: 'DE' }, user.as);
    expect(germany.gaps).toEqual([]);
    expect(germany.rules).toMatchObject({ laws: ['GDPR'], missingDocumentTypes: ['privacy', 'terms'] });
  });

  it('a required consent cannot be withdrawn (leave by deleting the account); an optional one can', async () => {
    const before = await rowCounts(platform.db);
    const refused = await failure(
      platform.legal.withdrawConsent({ accountId: user.accountId, documentType: 'terms', client }, user.as),
    );
    expect(refused).toMatchObject({ kind: 'FAILED_PRECONDITION', code: 'REQUIRED_CONSENT' });
    expect(refused.message).toContain('PIPA');
    const rest = await platform.rest('POST', `/v1/accounts/${user.accountId}/consents/privacy/withdraw`, {
      body: {},
      token: user.token,
    });
    expect(rest.status).toBe(412);
    expect(((await rest.json()) as { code: string }).code).toBe('REQUIRED_CONSENT');
    // Only the two refusals' audit events were written; the consents stand.
    const after = await rowCounts(platform.db);
    expect(after).toEqual({ ...before, outbox_events: after.outbox_events });
    const { consents } = await platform.legal.listConsents({ accountId: user.accountId }, user.as);
    expect(consents.map((c) => `${c.documentType} ${c.documentVersion} ${ConsentStatus[c.status]}`)).toEqual([
      'marketing 1.0.0 GRANTED',
      'privacy 2.0.0 GRANTED',
      'terms 1.0.0 GRANTED',
    ]);

    const { consent } = await platform.legal.withdrawConsent(
      { accountId: user.accountId, documentType: 'marketing', client },
      user.as,
    );
    expect(consent?.status).toBe(ConsentStatus.WITHDRAWN);
    expect(consent?.withdrawnAt).toBeDefined();
    // Withdrawing again changes nothing.
    const count = (await rowCounts(platform.db)).consent_history;
    await platform.legal.withdrawConsent({ accountId: user.accountId, documentType: 'marketing' }, user.as);
    expect((await rowCounts(platform.db)).consent_history).toBe(count);
    expect(
      (
        await failure(
          platform.legal.withdrawConsent({ accountId: user.accountId, documentType: 'newsletter' }, user.as),
        )
      ).code,
    ).toBe('CONSENT_NOT_FOUND');
  });

  it('the history keeps every grant and withdrawal with the text’s hash and where it came from', async () => {
    const { entries } = await platform.legal.getConsentHistory({ accountId: user.accountId }, user.as);
    expect(entries.map((e) => `${ConsentAction[e.action]} ${e.documentType} ${e.documentVersion}`)).toEqual([
      'GRANTED terms 1.0.0',
      'GRANTED privacy 1.0.0',
      'GRANTED marketing 1.0.0',
      'GRANTED privacy 2.0.0',
      'WITHDRAWN marketing 1.0.0',
    ]);
    expect(entries[0]).toMatchObject({ ipAddress: client.ipAddress, userAgent: client.userAgent });
    expect(entries.every((e) => /^[0-9a-f]{64}$/.test(e.contentHash))).toBe(true);
    expect(entries[3]?.contentHash).not.toBe(entries[1]?.contentHash);
    // Paged, oldest first.
    const first = await platform.legal.getConsentHistory(
      { accountId: user.accountId, page: { pageSize: 2 } },
      user.as,
    );
    const second = await platform.legal.getConsentHistory(
      { accountId: user.accountId, page: { pageSize: 2, pageToken: first.page?.nextPageToken ?? '' } },
      user.as,
    );
    expect([...first.entries, ...second.entries].map((e) => e.id)).toEqual(
      entries.slice(0, 4).map((e) => e.id),
    );
  });

  it('consents are the account’s own: others are refused, account:read may look, nobody consents for another', async () => {
    for (const call of [
      platform.legal.listConsents({ accountId: user.accountId }, other.as),
      platform.legal.getConsentHistory({ accountId: user.accountId }, other.as),
      platform.legal.checkConsents({ accountId: user.accountId }, other.as),
      platform.legal.grantConsent(
        { accountId: user.accountId, documentId: ids['terms@1.1.0'] ?? '' },
        other.as,
      ),
    ]) {
      expect((await failure(call)).kind).toBe('PERMISSION_DENIED');
    }
    const seen = await platform.legal.listConsents({ accountId: user.accountId }, support.as);
    expect(seen.consents).toHaveLength(3);
    const rest = await platform.rest('GET', `/v1/accounts/${user.accountId}/consent-check`, {
      token: support.token,
    });
    expect(rest.status).toBe(200);
    expect(
      (
        await failure(
          platform.legal.grantConsent(
            { accountId: user.accountId, documentId: ids['terms@1.1.0'] ?? '' },
            support.as,
          ),
        )
      ).code,
    ).toBe('NOT_OWN_ACCOUNT');
  });

  it('invalid input is INVALID_ARGUMENT naming the fields, and writes nothing', async () => {
    const before = await rowCounts(platform.db);
    expect(
      fieldsOf(
        await failure(
          platform.legal.grantConsent({ accountId: other.accountId, documentId: 'nope' }, other.as),
        ),
      ),
    ).toEqual(['document_id']);
    expect(
      fieldsOf(
        await failure(
          platform.legal.withdrawConsent({ accountId: other.accountId, documentType: 'Bad Type' }, other.as),
        ),
      ),
    ).toEqual(['document_type']);
    expect(
      fieldsOf(
        await failure(
          platform.legal.checkConsents(
            { accountId: other.accountId, country: 'Korea', locale: 'x_y' },
            other.as,
          ),
        ),
      ).sort(),
    ).toEqual(['country', 'locale']);
    const rest = await platform.rest('POST', `/v1/accounts/${other.accountId}/consents`, {
      body: { documentId: 'nope', surprise: true },
      token: other.token,
    });
    expect(rest.status).toBe(400);
    expect(await rowCounts(platform.db)).toEqual(before);
  });

  it('grants and withdrawals reach Kafka on legal.consent.v1 (keyed by account) with their audit events', async () => {
    const from = await highWatermarks();
    await platform.legal.grantConsent(
      { accountId: other.accountId, documentId: ids['marketing@1.0.0'] ?? '', client },
      other.as,
    );
    await platform.legal.withdrawConsent(
      { accountId: other.accountId, documentType: 'marketing', client },
      other.as,
    );
    const events = await readEvents(
      from,
      (e) => e.key === other.accountId,
      (seen) => seen.length >= 4,
    );
    expect(events.map((e) => `${e.topic} ${e.headers.ce_type}`).sort()).toEqual([
      'audit.event.v1 girok.audit.v1.event',
      'audit.event.v1 girok.audit.v1.event',
      'legal.consent.v1 girok.legal.v1.consent.granted',
      'legal.consent.v1 girok.legal.v1.consent.withdrawn',
    ]);
    const withdrawn = events.find((e) => e.headers.ce_type === 'girok.legal.v1.consent.withdrawn');
    expect(withdrawn?.headers).toMatchObject({ ce_source: 'legal-service', ce_subject: other.accountId });
    expect(withdrawn?.data).toMatchObject({
      consent: { accountId: other.accountId, documentType: 'marketing', status: 'CONSENT_STATUS_WITHDRAWN' },
      entry: { action: 'CONSENT_ACTION_WITHDRAWN', ipAddress: client.ipAddress },
    });
    const audits = events.filter((e) => e.topic === 'audit.event.v1').map((e) => e.data);
    expect(audits).toEqual([
      expect.objectContaining({
        service: 'legal-service',
        action: 'consent.grant',
        actorId: other.accountId,
      }),
      expect.objectContaining({
        action: 'consent.withdraw',
        result: 'AUDIT_RESULT_SUCCESS',
        ipAddress: client.ipAddress,
      }),
    ]);
  });
});
