import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig as loadAuthConfig } from '@girok/auth/config';
import { startAuthService } from '@girok/auth/service';
import { AuthService } from '@girok/contracts/auth/v1/auth';
import { AccountMode, IdentityService } from '@girok/contracts/identity/v1/identity';
import { ensureTopics } from '@girok/e2e/events';
import { infraEnv } from '@girok/e2e/infra';
import { loadConfig as loadIdentityConfig } from '@girok/identity/config';
import { startIdentityService } from '@girok/identity/service';
import { base32Decode, totpCode } from '@girok/identity/totp';
import { createGrpcClient } from '@girok/kit/grpc';
import { createLogger } from '@girok/kit/logging';
import { createPolicy } from '@girok/kit/resilience';
import { loadConfig as loadLegalConfig } from '@girok/legal/config';
import { startLegalService } from '@girok/legal/service';
import pg from 'pg';
import { type RunningAuthBff, startAuthBff } from '../src/auth-bff.ts';
import { loadConfig } from '../src/config.ts';
import { APP_ORIGIN, Browser } from './browser.ts';

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
  const brokers = infraEnv('KAFKA_BROKERS');
  await ensureTopics(brokers, TOPICS);
  const database = (name: string) => {
    const url = new URL(infraEnv('DATABASE_URL'));
    url.pathname = `/${name}_${suffix}`;
    return url.toString();
  };
  const common = {
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
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      SHUTDOWN_GRACE_MS: '1000',
    }),
    { logger: silent('auth'), dsr: false },
  );
  const legal = await startLegalService(
    loadLegalConfig({
      ...common,
      DATABASE_URL: database('legal_bff'),
      LEGAL_ERASURE_PEPPER: randomBytes(32).toString('base64'),
      IDENTITY_GRPC_ADDRESS: identity.grpcAddress,
      AUTH_JWKS_URL: `${auth.httpUrl}/.well-known/jwks.json`,
      LEGAL_CONSUMER_GROUP: `legal-${suffix}`,
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      SHUTDOWN_GRACE_MS: '1000',
    }),
    { logger: silent('legal') },
  );
  const bffEnv = {
    ...common,
    IDENTITY_GRPC_ADDRESS: identity.grpcAddress,
    AUTH_GRPC_ADDRESS: auth.grpcAddress,
    LEGAL_GRPC_ADDRESS: legal.grpcAddress,
    AUTH_JWKS_URL: `${auth.httpUrl}/.well-known/jwks.json`,
    BFF_KEY_RING: key(),
    BFF_ALLOWED_ORIGINS: APP_ORIGIN,
    BFF_CONSUMER_GROUP: `auth-bff-${suffix}`,
    BFF_VALKEY_PREFIX: `bff-${suffix}:`,
    HTTP_PORT: '0',
    SHUTDOWN_GRACE_MS: '1000',
    ...options.bff,
  };
  const bffs: RunningAuthBff[] = [];
  /** One more replica of the same deployment; returns its index. */
  const addReplica = async (overrides: Record<string, string> = {}) => {
    bffs.push(
      await startAuthBff(loadConfig({ ...bffEnv, ...overrides }), { logger: silent(`bff-${bffs.length}`) }),
    );
    return bffs.length - 1;
  };
  for (let i = 0; i < (options.replicas ?? 2); i += 1) await addReplica();
  const grpc = { deadlineMs: 10_000, policy: createPolicy({ name: 'test', retry: { maxRetries: 0 } }) };
  const identityGrpc = createGrpcClient(IdentityService, identity.grpcAddress, grpc);
  const authGrpc = createGrpcClient(AuthService, auth.grpcAddress, grpc);
  let counter = 0;
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
    /** An MFA-verified admin holding super_admin, and an access token to call services with. */
    adminToken: async () => {
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
      const { roles } = await authGrpc.listRoles({});
      await authGrpc.assignRole({ accountId, roleId: roles.find((r) => r.name === 'super_admin')?.id ?? '' });
      const { accessToken } = await authGrpc.issueAccessToken({ sessionId: session?.session?.id ?? '' });
      return accessToken;
    },
    close: async () => {
      identityGrpc.close();
      authGrpc.close();
      for (const bff of bffs) await bff.close();
      await legal.close();
      await auth.close();
      await identity.close();
      const admin = new pg.Client({ connectionString: infraEnv('DATABASE_URL') });
      await admin.connect();
      for (const name of ['identity_bff', 'auth_bff', 'legal_bff'])
        await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(`${name}_${suffix}`)} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export type TestPlatform = Awaited<ReturnType<typeof startTestPlatform>>;

/** The authenticator app: the code for now, or `steps` periods away (each step is usable once). */
export function authenticator(secret: string) {
  const key = base32Decode(secret);
  return (steps = 0) => totpCode(key, Date.now() + steps * 30_000);
}

export const LOGIN_FIELDS = `status challengeId notices { type reason } me { sessionId tokenType scope restricted csrfToken account { id email mode mfaEnabled } }`;
