import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig as loadAuthConfig } from '@girok/auth/config';
import { startAuthService } from '@girok/auth/service';
import { AuthService } from '@girok/contracts/auth/v1/auth';
import { AccountMode, IdentityService } from '@girok/contracts/identity/v1/identity';
import { APP_ORIGIN, Browser, type GraphqlResponse } from '@girok/e2e/browser';
import { ensureTopics } from '@girok/e2e/events';
import { infraEnv } from '@girok/e2e/infra';
import { loadConfig as loadIdentityConfig } from '@girok/identity/config';
import { startIdentityService } from '@girok/identity/service';
import { base32Decode, totpCode } from '@girok/identity/totp';
import { createGrpcClient } from '@girok/kit/grpc';
import { createLogger } from '@girok/kit/logging';
import { createPolicy } from '@girok/kit/resilience';
import { freePort, TestCallers } from '@girok/kit/testing';
import { loadConfig as loadLegalConfig } from '@girok/legal/config';
import { startLegalService } from '@girok/legal/service';
import { Metadata } from '@grpc/grpc-js';
import pg from 'pg';
import { type RunningAuthBff, startAuthBff } from '../src/auth-bff.ts';
import { loadConfig } from '../src/config.ts';

const TOPICS = [
  'identity.account.v1',
  'identity.session.v1',
  'identity.device.v1',
  'identity.profile.v1',
  'auth.role.v1',
  'auth.sanction.v1',
  'legal.consent.v1',
  'legal.dsr.v1',
  'audit.event.v1',
];

const key = () => `k1:${randomBytes(32).toString('base64')}`;
const silent = (service: string) => createLogger({ service, level: 'silent' });

/**
 * The platform behind the BFF on the real servers: identity-service and auth-service each on a
 * fresh database, and `replicas` BFFs sharing one Valkey namespace and one consumer group, all on
 * random ports. Each service is what production runs, in this process.
 */
export async function startTestPlatform(
  options: { replicas?: number; bff?: Record<string, string>; identity?: Record<string, string> } = {},
) {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
  // Every service trusts this workload issuer; user tokens are the real auth-service's, whose JWKS
  // port is chosen up front so identity (started first) can verify the tokens the BFF forwards.
  const callers = await TestCallers.start();
  const authHttpPort = await freePort();
  const jwksUrl = `http://127.0.0.1:${authHttpPort}/.well-known/jwks.json`;
  const brokers = infraEnv('KAFKA_BROKERS');
  await ensureTopics(brokers, TOPICS);
  const database = (name: string) => {
    const url = new URL(infraEnv('DATABASE_URL'));
    url.pathname = `/${name}_${suffix}`;
    return url.toString();
  };
  const common = {
    ...callers.workloadEnv(),
    AUTH_JWKS_URL: jwksUrl,
    VALKEY_URL: infraEnv('VALKEY_URL'),
    KAFKA_BROKERS: brokers,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
  };
  const identity = await startIdentityService(
    loadIdentityConfig({
      ...common,
      DATABASE_URL: database('identity_bff'),
      IDENTITY_KEY_RING: key(),
      IDENTITY_BACKUP_CODE_PEPPER: randomBytes(32).toString('base64'),
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      LOGIN_RATE_LIMIT_PER_IP: '100000',
      LOGIN_RATE_LIMIT_PER_ACCOUNT: '100000',
      SHUTDOWN_GRACE_MS: '1000',
      ...options.identity,
    }),
    // No DSR participant: these suites file no fulfilment requests, and a shared consumer group
    // would answer other suites' requests.
    { logger: silent('identity'), dsr: false },
  );
  const auth = await startAuthService(
    loadAuthConfig({
      ...common,
      DATABASE_URL: database('auth_bff'),
      IDENTITY_GRPC_ADDRESS: identity.grpcAddress,
      AUTH_KEY_RING: key(),
      HTTP_PORT: String(authHttpPort),
      GRPC_PORT: '0',
      SHUTDOWN_GRACE_MS: '1000',
    }),
    { logger: silent('auth'), dsr: false, workloadTokens: callers.workload('auth-service') },
  );
  const legal = await startLegalService(
    loadLegalConfig({
      ...common,
      DATABASE_URL: database('legal_bff'),
      LEGAL_ERASURE_PEPPER: randomBytes(32).toString('base64'),
      IDENTITY_GRPC_ADDRESS: identity.grpcAddress,
      LEGAL_CONSUMER_GROUP: `legal-${suffix}`,
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      SHUTDOWN_GRACE_MS: '1000',
    }),
    { logger: silent('legal'), workloadTokens: callers.workload('legal-service') },
  );
  const bffEnv = {
    ...common,
    IDENTITY_GRPC_ADDRESS: identity.grpcAddress,
    AUTH_GRPC_ADDRESS: auth.grpcAddress,
    LEGAL_GRPC_ADDRESS: legal.grpcAddress,
    BFF_KEY_RING: key(),
    BFF_ALLOWED_ORIGINS: APP_ORIGIN,
    BFF_CONSUMER_GROUP: `auth-bff-${suffix}`,
    BFF_VALKEY_PREFIX: `bff-${suffix}:`,
    HTTP_PORT: '0',
    SHUTDOWN_GRACE_MS: '1000',
    // Every browser of a suite signs up from 127.0.0.1; the limit is proven on its own replica.
    BFF_SIGNUP_RATE_LIMIT_PER_IP: '100000',
    ...options.bff,
  };
  const bffs: RunningAuthBff[] = [];
  /** One more replica of the same deployment; returns its index. */
  const addReplica = async (overrides: Record<string, string> = {}) => {
    bffs.push(
      await startAuthBff(loadConfig({ ...bffEnv, ...overrides }), {
        logger: silent(`bff-${bffs.length}`),
        workloadTokens: callers.workload('auth-bff'),
      }),
    );
    return bffs.length - 1;
  };
  for (let i = 0; i < (options.replicas ?? 2); i += 1) await addReplica();
  // The suite's own calls stand in for the BFF (sign-up, logins, tokens); admin calls carry an
  // admin's real token (adminToken).
  const grpc = {
    deadlineMs: 10_000,
    policy: createPolicy({ name: 'test', retry: { maxRetries: 0 } }),
    workload: callers.workload('auth-bff'),
  };
  const identityGrpc = createGrpcClient(IdentityService, identity.grpcAddress, grpc);
  const authGrpc = createGrpcClient(AuthService, auth.grpcAddress, grpc);
  let counter = 0;
  /** An MFA-verified admin holding super_admin, and an access token to call services with. */
  const adminToken = async () => {
    counter += 1;
    const name = `s${suffix.slice(0, 6)}${counter}`;
    const password = 'admin correct horse battery staple';
    const { account } = await identityGrpc.createAccount({
      email: `${name}@example.com`,
      username: name,
      password,
      mode: AccountMode.ADMIN,
      country: 'KR',
      locale: 'en-US',
    });
    const accountId = account?.id ?? '';
    const { secret } = await identityGrpc.beginTotpEnrollment({ accountId });
    const code = authenticator(secret);
    await identityGrpc.confirmTotpEnrollment({ accountId, code: code() });
    const login = await identityGrpc.authenticate({
      identifier: name,
      password,
      client: { ipAddress: '203.0.113.7' },
    });
    if (login.result.case !== 'mfaChallenge')
      throw new Error(`expected an MFA challenge, got ${login.result.case}`);
    const { session } = await identityGrpc.verifyMfaChallenge({
      challengeId: login.result.value.challengeId,
      code: { case: 'totpCode', value: code(1) },
    });
    // No API grants the first super_admin (that needs role:manage): it is written as a bootstrap would.
    await grantSuperAdmin(database('auth_bff'), accountId);
    const { accessToken } = await authGrpc.issueAccessToken({ sessionId: session?.session?.id ?? '' });
    return accessToken;
  };
  return {
    identity,
    auth,
    legal,
    bffs,
    addReplica,
    identityGrpc,
    authGrpc,
    /** A new browser talking to replica `replica`. */
    browser: (replica = 0, userAgent?: string) => new Browser(bffs[replica]?.url ?? '', userAgent),
    /** Unique sign-up input. */
    newUser: (overrides: Record<string, unknown> = {}) => {
      counter += 1;
      const name = `u${suffix.slice(0, 6)}${counter}`;
      return {
        email: `${name}@example.com`,
        username: name,
        password: 'correct horse battery staple',
        country: 'KR',
        ...overrides,
      };
    },
    /** An admin account made directly at identity-service (admins do not sign up). */
    newAdmin: async () => {
      counter += 1;
      const name = `a${suffix.slice(0, 6)}${counter}`;
      const password = 'admin correct horse battery staple';
      const { account } = await identityGrpc.createAccount({
        email: `${name}@example.com`,
        username: name,
        password,
        mode: AccountMode.ADMIN,
        country: 'KR',
        locale: 'en-US',
      });
      return { id: account?.id ?? '', email: `${name}@example.com`, password };
    },
    adminToken,
    /** Call options carrying a fresh super_admin's access token (for calls only an admin may make). */
    asAdmin: async () => {
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${await adminToken()}`);
      return { metadata };
    },
    close: async () => {
      identityGrpc.close();
      authGrpc.close();
      for (const bff of bffs) await bff.close();
      await legal.close();
      await auth.close();
      await identity.close();
      await callers.close();
      const admin = new pg.Client({ connectionString: infraEnv('DATABASE_URL') });
      await admin.connect();
      for (const name of ['identity_bff', 'auth_bff', 'legal_bff'])
        await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(`${name}_${suffix}`)} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export type TestPlatform = Awaited<ReturnType<typeof startTestPlatform>>;

/** auth-service's seeded super_admin role. */
export const SUPER_ADMIN_ROLE_ID = '00000000-0000-7000-8000-000000000001';

/** Grants super_admin in auth-service's database, as a platform bootstrap does. */
export async function grantSuperAdmin(authDatabaseUrl: string, accountId: string): Promise<void> {
  const db = new pg.Client({ connectionString: authDatabaseUrl });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO role_assignments (id, account_id, role_id, service, created_at) VALUES ($1, $2, $3, '', now())`,
      [randomUUID(), accountId, SUPER_ADMIN_ROLE_ID],
    );
  } finally {
    await db.end();
  }
}

/** The authenticator app: the code for now, or `steps` periods away (each step is usable once). */
export function authenticator(secret: string) {
  const key = base32Decode(secret);
  return (steps = 0) => totpCode(key, Date.now() + steps * 30_000);
}

export const LOGIN_FIELDS = `status challengeId notices { type reason } me { sessionId tokenType scope restricted csrfToken account { id email mode mfaEnabled } }`;

export const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { status } }';

/**
 * Signs up, then logs in as a client does next (sign-up signs nobody in); the login's answer with
 * `fields` of LoginResult.
 */
export async function signUpAndLogIn<T = Record<string, unknown>>(
  browser: Browser,
  user: { email: string; password: string },
  fields = LOGIN_FIELDS,
): Promise<GraphqlResponse<{ login: T }>> {
  const signUp = await browser.graphql<{ signUp: { status: string } }>(SIGN_UP, { input: user });
  if (signUp.data?.signUp.status !== 'SIGNED_UP')
    throw new Error(`sign-up answered ${signUp.status}: ${JSON.stringify(signUp.errors)}`);
  return browser.graphql<{ login: T }>(
    `mutation($input: LoginInput!) { login(input: $input) { ${fields} } }`,
    {
      input: { identifier: user.email, password: user.password },
    },
  );
}
