import { DsrOutcome, DsrType } from '@girok/contracts/legal/v1/dsr';
import { type Dsr, DsrStatus } from '@girok/contracts/legal/v1/legal';
import { Browser } from '@girok/e2e/browser';
import type { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Platform, startPlatform } from './platform.ts';

const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { status } }';
const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { status me { account { id } } } }';

describe('data-subject requests fulfilled across identity, auth, legal and audit', () => {
  let platform: Platform;
  let admin: { metadata: Metadata };
  const consents: string[] = [];

  beforeAll(async () => {
    platform = await startPlatform();
    admin = await platform.asAdmin();
    for (const type of ['terms', 'privacy']) {
      const { document } = await platform.legalGrpc.createDocument(
        {
          type,
          version: '1.0.0',
          locale: 'en-US',
          country: 'KR',
          title: type,
          content: `The ${type}.`,
          required: true,
        },
        admin,
      );
      await platform.legalGrpc.publishDocument({ documentId: document?.id ?? '' }, admin);
      consents.push(document?.id ?? '');
    }
  });
  afterAll(async () => {
    await platform?.close();
  });

  const signedUp = async () => {
    const user = platform.newUser();
    const b = new Browser(platform.bff.url);
    await b.prepare();
    const signUp = await b.graphql(SIGN_UP, { input: { ...user, consents } });
    expect(signUp.errors).toEqual([]);
    // Sign-up signs nobody in: the first login does, and records the consents.
    const login = await b.graphql<{ login: { status: string; me: { account: { id: string } } } }>(LOGIN, {
      input: { identifier: user.email, password: user.password },
    });
    expect(login.errors).toEqual([]);
    return { b, user, accountId: login.data?.login.me.account.id ?? '' };
  };

  const completed = async (dsrId: string): Promise<Dsr> => {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const { dsr } = await platform.legalGrpc.getDsr({ dsrId }, admin);
      if (dsr?.status === DsrStatus.COMPLETED) return dsr;
      if (Date.now() > deadline)
        throw new Error(
          `DSR still ${dsr?.status} with parts ${JSON.stringify(dsr?.parts.map((p) => p.service))}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  it('erasure completes only once every service confirmed, and the account is gone everywhere', async () => {
    const { b, user, accountId } = await signedUp();
    const filed = await b.graphql<{ fileDsr: { id: string; status: string } }>(
      'mutation { fileDsr(type: ERASURE, details: "forget me", country: "KR") { id status } }',
    );
    expect(filed.errors).toEqual([]);
    expect(filed.data?.fileDsr.status).toBe('IN_PROGRESS');
    const dsr = await completed(filed.data?.fileDsr.id ?? '');
    expect(dsr.type).toBe(DsrType.ERASURE);
    const outcomes = Object.fromEntries(dsr.parts.map((p) => [p.service, p.outcome]));
    expect(outcomes).toEqual({
      'identity-service': DsrOutcome.ERASED,
      'auth-service': DsrOutcome.NOTHING_HELD,
      'legal-service': DsrOutcome.ANONYMISED,
      'audit-service': DsrOutcome.RETAINED,
    });
    expect(dsr.parts.find((p) => p.service === 'audit-service')?.note).not.toBe('');

    // identity erased the account: no login, its sessions ended; legal kept no current consent.
    const again = new Browser(platform.bff.url);
    await again.prepare();
    const login = await again.graphql('mutation($input: LoginInput!) { login(input: $input) { status } }', {
      input: { identifier: user.email, password: user.password },
    });
    expect(login.errors[0]?.extensions.code).toBe('INVALID_CREDENTIALS');
    expect((await b.graphql('query { me { sessionId } }')).status).toBe(401);
    const { consents: left } = await platform.legalGrpc.listConsents({ accountId }, admin);
    expect(left).toEqual([]);
  });

  it('an access request yields one machine-readable export with every service’s data and the audit trail', async () => {
    const { b, user, accountId } = await signedUp();
    // The export holds the trail audit-service has stored: wait until the first login is in it
    // (the user reads their own login history through the BFF).
    const deadline = Date.now() + 20_000;
    for (;;) {
      const history = await b.graphql<{ loginHistory: { events: { action: string }[]; degraded: boolean } }>(
        'query($id: ID!) { loginHistory(accountId: $id) { events { action } degraded } }',
        { id: accountId },
      );
      expect(history.errors).toEqual([]);
      if ((history.data?.loginHistory.events.length ?? 0) > 0) break;
      if (Date.now() > deadline) throw new Error('the login never reached audit-service');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const filed = await b.graphql<{ fileDsr: { id: string } }>(
      'mutation { fileDsr(type: ACCESS, country: "KR") { id } }',
    );
    const dsr = await completed(filed.data?.fileDsr.id ?? '');
    expect(dsr.exportReady).toBe(true);
    const exported = await b.graphql<{ dsrExport: string }>('query($id: ID!) { dsrExport(id: $id) }', {
      id: dsr.id,
    });
    expect(exported.errors).toEqual([]);
    const document = JSON.parse(exported.data?.dsrExport ?? '{}') as Record<string, unknown>;
    expect(Object.keys(document).sort()).toEqual([
      'audit-service',
      'auth-service',
      'identity-service',
      'legal-service',
    ]);
    const text = JSON.stringify(document);
    expect(JSON.stringify(document['identity-service'])).toContain(user.email);
    expect(JSON.stringify(document['legal-service'])).toContain('terms');
    expect(JSON.stringify(document['audit-service'])).toContain('account.login');
    expect(JSON.stringify(document['audit-service'])).toContain(accountId);
    for (const secret of ['password_hash', 'refresh_token', 'totp_secret', '"secret"'])
      expect(text).not.toContain(secret);
  });
});
