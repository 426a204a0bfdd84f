import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig as loadAuditConfig } from '@girok/audit/config';
import { type RunningAuditService, startAuditService } from '@girok/audit/service';
import { loadConfig as loadAuthConfig } from '@girok/auth/config';
import { startAuthService } from '@girok/auth/service';
import { loadConfig as loadBffConfig } from '@girok/auth-bff/config';
import { type RunningAuthBff, startAuthBff } from '@girok/auth-bff/service';
import { AuthService } from '@girok/contracts/auth/v1/auth';
import { AccountMode, IdentityService } from '@girok/contracts/identity/v1/identity';
import { LegalService } from '@girok/contracts/legal/v1/legal';
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

export const TOPICS = [
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
/** The suites' own calls stand in for the BFF; admin calls carry an admin's real token (asAdmin). */
const grpcOptions = (callers: TestCallers) => ({
  deadlineMs: 10_000,
  policy: createPolicy({ name: 'platform-test', retry: { maxRetries: 0 } }),
  workload: callers.workload('auth-bff'),
});

/**
 * The whole platform, in this process, on the real servers: identity, auth, legal and audit each on
 * a fresh database (audit on its own ClickHouse database) with their own consumer groups, and one
 * BFF. Every service runs as production runs it: relays to Kafka, DSR participants, audit ingest.
 */
export async function startPlatform() {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
  // Every service trusts this workload issuer; user tokens are the real auth-service's, whose JWKS
  // port is chosen up front so identity (started first) can verify the tokens the BFF forwards.
  const callers = await TestCallers.start();
  const authHttpPort = await freePort();
  const jwksUrl = `http://127.0.0.1:${authHttpPort}/.well-known/jwks.json`;
  await ensureTopics(infraEnv('KAFKA_BROKERS'), TOPICS);
  const database = (name: string) => {
    const url = new URL(infraEnv('DATABASE_URL'));
    url.pathname = `/${name}_${suffix}`;
    return url.toString();
  };
  const common = {
    ...callers.workloadEnv(),
    AUTH_JWKS_URL: jwksUrl,
    VALKEY_URL: infraEnv('VALKEY_URL'),
    KAFKA_BROKERS: infraEnv('KAFKA_BROKERS'),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    SHUTDOWN_GRACE_MS: '1000',
  };
  const identity = await startIdentityService(
    loadIdentityConfig({
      ...common,
      DATABASE_URL: database('platform_identity'),
      IDENTITY_KEY_RING: key(),
      IDENTITY_BACKUP_CODE_PEPPER: randomBytes(32).toString('base64'),
      LOGIN_RATE_LIMIT_PER_IP: '100000',
      LOGIN_RATE_LIMIT_PER_ACCOUNT: '100000',
      DSR_CONSUMER_GROUP: `identity-${suffix}`,
    }),
    { logger: silent('identity') },
  );
  const auth = await startAuthService(
    loadAuthConfig({
      ...common,
      DATABASE_URL: database('platform_auth'),
      IDENTITY_GRPC_ADDRESS: identity.grpcAddress,
      AUTH_KEY_RING: key(),
      DSR_CONSUMER_GROUP: `auth-${suffix}`,
      HTTP_PORT: String(authHttpPort),
    }),
    { logger: silent('auth'), workloadTokens: callers.workload('auth-service') },
  );
  const legal = await startLegalService(
    loadLegalConfig({
      ...common,
      DATABASE_URL: database('platform_legal'),
      LEGAL_ERASURE_PEPPER: randomBytes(32).toString('base64'),
      IDENTITY_GRPC_ADDRESS: identity.grpcAddress,
      LEGAL_CONSUMER_GROUP: `legal-${suffix}`,
    }),
    { logger: silent('legal'), workloadTokens: callers.workload('legal-service') },
  );
  const audit: RunningAuditService = await startAuditService(
    loadAuditConfig({
      ...common,
      CLICKHOUSE_URL: infraEnv('CLICKHOUSE_URL'),
      CLICKHOUSE_DATABASE: `platform_audit_${suffix}`,
      AUDIT_CONSUMER_GROUP: `audit-${suffix}`,
      DSR_CONSUMER_GROUP: `audit-dsr-${suffix}`,
    }),
    { logger: silent('audit') },
  );
  const bff: RunningAuthBff = await startAuthBff(
    loadBffConfig({
      ...common,
      IDENTITY_GRPC_ADDRESS: identity.grpcAddress,
      AUTH_GRPC_ADDRESS: auth.grpcAddress,
      LEGAL_GRPC_ADDRESS: legal.grpcAddress,
      AUDIT_GRPC_ADDRESS: audit.grpcAddress,
      BFF_KEY_RING: key(),
      BFF_ALLOWED_ORIGINS: 'https://app.girok.test',
      BFF_CONSUMER_GROUP: `bff-${suffix}`,
      BFF_VALKEY_PREFIX: `bff-${suffix}:`,
    }),
    { logger: silent('bff'), workloadTokens: callers.workload('auth-bff') },
  );
  const identityGrpc = createGrpcClient(IdentityService, identity.grpcAddress, grpcOptions(callers));
  const authGrpc = createGrpcClient(AuthService, auth.grpcAddress, grpcOptions(callers));
  const legalGrpc = createGrpcClient(LegalService, legal.grpcAddress, grpcOptions(callers));
  let counter = 0;

  return {
    suffix,
    identity,
    auth,
    legal,
    audit,
    bff,
    identityGrpc,
    authGrpc,
    legalGrpc,
    databaseUrl: database,
    /** An MFA-verified super_admin's access token as gRPC call options. */
    asAdmin: async () => {
      counter += 1;
      const name = `pa${suffix.slice(0, 6)}${counter}`;
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
      const secret = base32Decode((await identityGrpc.beginTotpEnrollment({ accountId })).secret);
      await identityGrpc.confirmTotpEnrollment({ accountId, code: totpCode(secret, Date.now()) });
      const login = await identityGrpc.authenticate({
        identifier: name,
        password,
        client: { ipAddress: '203.0.113.7' },
      });
      if (login.result.case !== 'mfaChallenge')
        throw new Error(`expected an MFA challenge, got ${login.result.case}`);
      const { session } = await identityGrpc.verifyMfaChallenge({
        challengeId: login.result.value.challengeId,
        code: { case: 'totpCode', value: totpCode(secret, Date.now() + 30_000) },
      });
      // No API grants the first super_admin (that needs role:manage): it is written as a bootstrap would.
      await grantSuperAdmin(database('platform_auth'), accountId);
      const { accessToken } = await authGrpc.issueAccessToken({ sessionId: session?.session?.id ?? '' });
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${accessToken}`);
      return { metadata, accessToken };
    },
    newUser: () => {
      counter += 1;
      const name = `pu${suffix.slice(0, 6)}${counter}`;
      return {
        email: `${name}@example.com`,
        username: name,
        password: 'correct horse battery staple',
        country: 'KR',
      };
    },
    close: async () => {
      for (const client of [identityGrpc, authGrpc, legalGrpc]) client.close();
      await bff.close();
      await audit.close();
      await legal.close();
      await auth.close();
      await identity.close();
      await callers.close();
      const admin = new pg.Client({ connectionString: infraEnv('DATABASE_URL') });
      await admin.connect();
      for (const name of ['platform_identity', 'platform_auth', 'platform_legal'])
        await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(`${name}_${suffix}`)} WITH (FORCE)`);
      await admin.end();
      await fetch(
        `${infraEnv('CLICKHOUSE_URL')}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS platform_audit_${suffix}`)}`,
        { method: 'POST' },
      );
    },
  };
}

export type Platform = Awaited<ReturnType<typeof startPlatform>>;

/** auth-service's seeded super_admin role. */
const SUPER_ADMIN_ROLE_ID = '00000000-0000-7000-8000-000000000001';

/** Grants super_admin in auth-service's database, as a platform bootstrap does. */
async function grantSuperAdmin(authDatabaseUrl: string, accountId: string): Promise<void> {
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
