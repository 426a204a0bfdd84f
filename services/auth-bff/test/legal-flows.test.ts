import { ConsentStatus, LegalService } from '@girok/contracts/legal/v1/legal';
import { createGrpcClient, type GrpcClient } from '@girok/kit/grpc';
import { createPolicy } from '@girok/kit/resilience';
import { freePort } from '@girok/kit/testing';
import { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_FIELDS, SIGN_UP, signUpAndLogIn, startTestPlatform, type TestPlatform } from './support.ts';

const LOGIN_RESULT = `${LOGIN_FIELDS} consentGaps { reason acceptedVersion document { id type version } } consentCheckDegraded`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { ${LOGIN_RESULT} } }`;

interface Gap {
  reason: string;
  acceptedVersion?: string;
  document: { id: string; type: string; version: string };
}

describe('consents and data-subject requests through the BFF', () => {
  let platform: TestPlatform;
  let legal: GrpcClient<typeof LegalService>;
  let asAdmin: { metadata: Metadata };
  const published: Record<string, string> = {};

  const publish = async (type: string, version: string, required: boolean) => {
    const { document } = await legal.createDocument(
      {
        type,
        version,
        locale: 'en-US',
        country: 'KR',
        title: `${type} ${version}`,
        content: `The ${type}, version ${version}.`,
        required,
      },
      asAdmin,
    );
    await legal.publishDocument({ documentId: document?.id ?? '' }, asAdmin);
    published[`${type}@${version}`] = document?.id ?? '';
    return document?.id ?? '';
  };

  beforeAll(async () => {
    platform = await startTestPlatform({ replicas: 1 });
    legal = createGrpcClient(LegalService, platform.legal.grpcAddress, {
      deadlineMs: 10_000,
      policy: createPolicy({ name: 'legal-test', retry: { maxRetries: 0 } }),
    });
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${await platform.adminToken()}`);
    asAdmin = { metadata };
    await publish('terms', '1.0.0', true);
    await publish('privacy', '1.0.0', true);
    await publish('marketing', '1.0.0', false);
  });
  afterAll(async () => {
    legal?.close();
    await platform?.close();
  });

  it('sign-up shows what the country requires and refuses without it, creating nothing', async () => {
    const browser = await platform.browser().prepare();
    const required = await browser.graphql<{
      requiredConsents: { documents: { id: string; type: string }[]; laws: string[]; minimumAge: number };
    }>(
      'query { requiredConsents(country: "KR", locale: "en-US") { documents { id type } laws minimumAge } }',
    );
    expect(required.data?.requiredConsents.documents.map((d) => d.type).sort()).toEqual(['privacy', 'terms']);
    expect(required.data?.requiredConsents.laws).toContain('PIPA');
    expect(required.data?.requiredConsents.minimumAge).toBe(14);

    const user = platform.newUser({ consents: [published['terms@1.0.0']] });
    const refused = await browser.graphql(SIGN_UP, { input: user });
    expect(refused.status).toBe(400);
    expect(refused.errors[0]?.extensions.code).toBe('CONSENT_REQUIRED');
    expect(JSON.stringify(refused.errors[0])).toContain('privacy');
    const login = await browser.graphql(LOGIN, {
      input: { identifier: user.email, password: user.password },
    });
    expect(login.errors[0]?.extensions.code).toBe('INVALID_CREDENTIALS');
  });

  it('a user signs up with the required consents, sees them, withdraws an optional one but not a required one', async () => {
    const browser = await platform.browser().prepare();
    const user = platform.newUser({
      consents: [published['terms@1.0.0'], published['privacy@1.0.0'], published['marketing@1.0.0']],
    });
    const login = await signUpAndLogIn<{ status: string; consentGaps: Gap[] }>(browser, user, LOGIN_RESULT);
    expect(login.errors).toEqual([]);
    // Recorded by the first login, before its consent check.
    expect(login.data?.login).toMatchObject({ status: 'AUTHENTICATED', consentGaps: [] });
    const consents = await browser.graphql<{ consents: { documentType: string; status: string }[] }>(
      'query { consents { documentType status documentVersion } }',
    );
    expect(consents.data?.consents.map((c) => `${c.documentType}:${c.status}`).sort()).toEqual([
      'marketing:GRANTED',
      'privacy:GRANTED',
      'terms:GRANTED',
    ]);
    const withdrawn = await browser.graphql<{ withdrawConsent: { status: string } }>(
      'mutation { withdrawConsent(documentType: "marketing") { status } }',
    );
    expect(withdrawn.data?.withdrawConsent.status).toBe('WITHDRAWN');
    const refused = await browser.graphql('mutation { withdrawConsent(documentType: "terms") { status } }');
    expect(refused.errors[0]?.extensions.code).toBe('REQUIRED_CONSENT');
    const history = await browser.graphql<{ consentHistory: { action: string; documentType: string }[] }>(
      'query { consentHistory { action documentType } }',
    );
    expect(
      history.data?.consentHistory.filter((e) => e.documentType === 'marketing').map((e) => e.action),
    ).toEqual(['GRANTED', 'WITHDRAWN']);
  });

  it('login tells which documents need re-consent after a major version, not after a minor one', async () => {
    const browser = await platform.browser().prepare();
    const user = platform.newUser({ consents: [published['terms@1.0.0'], published['privacy@1.0.0']] });
    await signUpAndLogIn(browser, user);

    await publish('privacy', '1.1.0', true);
    const afterMinor = await (await platform.browser().prepare()).graphql<{ login: { consentGaps: Gap[] } }>(
      LOGIN,
      {
        input: { identifier: user.email, password: user.password },
      },
    );
    expect(afterMinor.data?.login.consentGaps).toEqual([]);

    const terms2 = await publish('terms', '2.0.0', true);
    const other = await platform.browser().prepare();
    const afterMajor = await other.graphql<{ login: { consentGaps: Gap[]; consentCheckDegraded: boolean } }>(
      LOGIN,
      {
        input: { identifier: user.email, password: user.password },
      },
    );
    expect(afterMajor.data?.login.consentCheckDegraded).toBe(false);
    expect(afterMajor.data?.login.consentGaps).toEqual([
      {
        reason: 'MAJOR_VERSION_CHANGED',
        acceptedVersion: '1.0.0',
        document: { id: terms2, type: 'terms', version: '2.0.0' },
      },
    ]);
    const accepted = await other.graphql('mutation($id: ID!) { grantConsent(documentId: $id) { status } }', {
      id: terms2,
    });
    expect(accepted.errors).toEqual([]);
    const gaps = await other.graphql<{ consentGaps: Gap[] }>('query { consentGaps { reason } }');
    expect(gaps.data?.consentGaps).toEqual([]);
  });

  it('a user files a data-subject request with the deadline of the strictest law', async () => {
    const browser = await platform.browser().prepare();
    await signUpAndLogIn(
      browser,
      platform.newUser({ consents: [published['terms@2.0.0'], published['privacy@1.1.0']] }),
    );
    const before = Date.now();
    const filed = await browser.graphql<{
      fileDsr: { id: string; type: string; status: string; deadlineAt: string };
    }>(
      'mutation { fileDsr(type: ACCESS, details: "everything you hold", country: "KR") { id type status deadlineAt } }',
    );
    expect(filed.errors).toEqual([]);
    expect(filed.data?.fileDsr).toMatchObject({ type: 'ACCESS', status: 'IN_PROGRESS' });
    const days = (Date.parse(filed.data?.fileDsr.deadlineAt ?? '') - before) / 86_400_000;
    expect(days).toBeGreaterThan(9.9); // PIPA: 10 days
    expect(days).toBeLessThan(10.1);
    const listed = await browser.graphql<{ dsrs: { id: string }[] }>(
      'query { dsrs { id status escalation } }',
    );
    expect(listed.data?.dsrs.map((d) => d.id)).toEqual([filed.data?.fileDsr.id]);
  });

  it('the consents given at sign-up are recorded on the first login; with legal unreachable that login fails and the next one records them', async () => {
    const documents = [published['terms@2.0.0'], published['privacy@1.1.0'], published['marketing@1.0.0']];
    const user = platform.newUser({ consents: documents });
    const signUp = await (await platform.browser().prepare()).graphql(SIGN_UP, { input: user });
    expect(signUp.data).toEqual({ signUp: { status: 'SIGNED_UP' } });

    // A replica of the same deployment (same store) whose legal-service does not answer.
    const cutOff = await platform.addReplica({ LEGAL_GRPC_ADDRESS: `127.0.0.1:${await freePort()}` });
    const first = await platform.browser(cutOff).prepare();
    const failed = await first.graphql(LOGIN, { input: { identifier: user.email, password: user.password } });
    expect(failed.status).toBe(503);
    expect(failed.errors[0]?.extensions.code).toBe('CONSENTS_NOT_RECORDED');
    expect(first.cookies.has('__Host-girok_session')).toBe(false);

    const retry = await platform.browser(0).prepare();
    const login = await retry.graphql<{
      login: { status: string; consentGaps: Gap[]; me: { sessionId: string; account: { id: string } } };
    }>(LOGIN, { input: { identifier: user.email, password: user.password } });
    expect(login.errors).toEqual([]);
    expect(login.data?.login).toMatchObject({ status: 'AUTHENTICATED', consentGaps: [] });
    const accountId = login.data?.login.me.account.id ?? '';
    const { consents } = await legal.listConsents({ accountId }, asAdmin);
    expect(consents.map((c) => `${c.documentId}:${c.status}`).sort()).toEqual(
      documents.map((id) => `${id}:${ConsentStatus.GRANTED}`).sort(),
    );
    // The failed login left no session behind: only the retry's is live.
    const sessions = await retry.graphql<{ sessions: { id: string }[] }>('query { sessions { id } }');
    expect(sessions.data?.sessions.map((s) => s.id)).toEqual([login.data?.login.me.sessionId]);
    // Recorded once: a later login has nothing left to record.
    const again = await (await platform.browser(cutOff).prepare()).graphql(LOGIN, {
      input: { identifier: user.email, password: user.password },
    });
    expect(again.errors).toEqual([]);
  });
});
