import { AccountMode } from '@girok/contracts/identity/v1/identity';
import { Browser } from '@girok/e2e/browser';
import { base32Decode, totpCode } from '@girok/identity/totp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Platform, startPlatform } from './platform.ts';

describe('the audit trail for admins through the BFF', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform();
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('an MFA-verified admin with audit:read sees an account’s trail and the admin actions; a user does not', async () => {
    // Someone whose trail there is to see.
    const user = platform.newUser();
    const userBrowser = new Browser(platform.bff.url);
    await userBrowser.prepare();
    const signUp = await userBrowser.graphql<{ signUp: { status: string } }>(
      'mutation($input: SignUpInput!) { signUp(input: $input) { status } }',
      { input: user },
    );
    expect(signUp.data?.signUp.status).toBe('SIGNED_UP');
    const login = await userBrowser.graphql<{ login: { me: { account: { id: string } } } }>(
      'mutation($input: LoginInput!) { login(input: $input) { me { account { id } } } }',
      { input: { identifier: user.email, password: user.password } },
    );
    const userId = login.data?.login.me.account.id ?? '';

    // An admin with TOTP and super_admin, signing in through the admin console.
    const name = `adm${platform.suffix.slice(0, 6)}`;
    const password = 'admin correct horse battery staple';
    const { account } = await platform.identityGrpc.createAccount({
      email: `${name}@example.com`,
      username: name,
      password,
      mode: AccountMode.ADMIN,
      country: 'KR',
      locale: 'en-US',
    });
    const adminId = account?.id ?? '';
    const secret = base32Decode(
      (await platform.identityGrpc.beginTotpEnrollment({ accountId: adminId })).secret,
    );
    await platform.identityGrpc.confirmTotpEnrollment({
      accountId: adminId,
      code: totpCode(secret, Date.now()),
    });
    const { metadata: root } = await platform.asAdmin();
    const { roles } = await platform.authGrpc.listRoles({}, { metadata: root });
    await platform.authGrpc.assignRole(
      { accountId: adminId, roleId: roles.find((r) => r.name === 'security_admin')?.id ?? '' },
      { metadata: root },
    );
    const admin = new Browser(platform.bff.url);
    await admin.prepare();
    const challenged = await admin.graphql<{ adminLogin: { status: string; challengeId: string } }>(
      'mutation($input: LoginInput!) { adminLogin(input: $input) { status challengeId } }',
      { input: { identifier: name, password } },
    );
    expect(challenged.data?.adminLogin.status).toBe('MFA_REQUIRED');
    const verified = await admin.graphql<{ verifyMfa: { me: { tokenType: string } } }>(
      'mutation($input: MfaInput!) { verifyMfa(input: $input) { me { tokenType } } }',
      {
        input: {
          challengeId: challenged.data?.adminLogin.challengeId,
          totpCode: totpCode(secret, Date.now() + 30_000),
        },
      },
    );
    expect(verified.data?.verifyMfa.me.tokenType).toBe('ADMIN_ACCESS');

    const trail = async () =>
      admin.graphql<{ accountTrail: { events: { action: string; result: string }[]; degraded: boolean } }>(
        'query($id: ID!) { accountTrail(accountId: $id) { events { action result } degraded nextPageToken } }',
        { id: userId },
      );
    await expect
      .poll(async () => (await trail()).data?.accountTrail.events.map((e) => e.action) ?? [], {
        timeout: 20_000,
        interval: 250,
      })
      .toEqual(expect.arrayContaining(['account.create', 'account.login']));
    expect((await trail()).data?.accountTrail.degraded).toBe(false);

    // The role assignment is an admin action (by the platform, here with no actor); audit:read sees the list.
    const actions = await admin.graphql<{ adminActions: { degraded: boolean } }>(
      'query { adminActions { degraded events { action } } }',
    );
    expect(actions.errors).toEqual([]);

    // A user may read their own login history, not someone else's trail.
    const refused = await userBrowser.graphql(
      'query($id: ID!) { accountTrail(accountId: $id) { degraded } }',
      { id: adminId },
    );
    expect(refused.status).toBe(403);
    expect(refused.errors[0]?.extensions.code).toBe('PERMISSION_DENIED');
  });
});
