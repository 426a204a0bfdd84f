// npm start: the platform on one machine with nothing to install — PGlite for PostgreSQL, an
// in-memory cache for Valkey, an in-process bus for Kafka, audit's embedded store for ClickHouse.
// Services arrive here as they land.

import { loadConfig as loadAuditConfig } from '@girok/audit/config';
import { startAuditService } from '@girok/audit/service';
import { loadConfig as loadAuthConfig } from '@girok/auth/config';
import { startAuthService } from '@girok/auth/service';
import { loadConfig as loadBffConfig } from '@girok/auth-bff/config';
import { startAuthBff } from '@girok/auth-bff/service';
import { loadConfig as loadIdentityConfig } from '@girok/identity/config';
import { startIdentityService } from '@girok/identity/service';
import { InProcessBus } from '@girok/kit/events';
import { createLogger } from '@girok/kit/logging';
import { LocalWorkloadIssuer } from '@girok/kit/workload';
import { loadConfig as loadLegalConfig } from '@girok/legal/config';
import { startLegalService } from '@girok/legal/service';
import { LOCAL_WORKLOAD_ISSUER, loadLocalPlatformConfig } from './local-config.ts';

const local = loadLocalPlatformConfig(process.env);
const logger = createLogger({ service: 'girok-local', level: local.logLevel });
const bus = new InProcessBus(logger);
// What the kubelet does in a cluster: each component gets short-lived tokens of its own identity.
const issuer = await LocalWorkloadIssuer.open(local.workloadIssuerDir, {
  issuer: LOCAL_WORKLOAD_ISSUER,
  namespace: 'local',
});
const as = (component: string) => ({ bus, workloadTokens: issuer.source(component) });

// In dependency order; closed in reverse.
const identity = await startIdentityService(loadIdentityConfig(local.identity), { bus });
const auth = await startAuthService(loadAuthConfig(local.auth), as('auth-service'));
const legal = await startLegalService(loadLegalConfig(local.legal), as('legal-service'));
const audit = await startAuditService(loadAuditConfig(local.audit), { bus });
const bff = await startAuthBff(loadBffConfig(local.bff), as('auth-bff'));
const bffUrl = bff.url.replace('127.0.0.1', 'localhost');

process.stdout.write(
  [
    '',
    'Girok is running on embedded defaults (PGlite, in-memory cache, in-process events, local audit store).',
    `  data           ${local.dataDir}`,
    `  GraphQL        ${bffUrl}/graphql  (explorer: ${bffUrl}/graphiql)`,
    `  REST (BFF)     ${bffUrl}/api/v1  (OpenAPI: ${bffUrl}/api/openapi.json)`,
    `  live sessions  ${bffUrl.replace('http', 'ws')}/ws/sessions`,
    `  identity REST  ${identity.httpUrl}  (OpenAPI: ${identity.httpUrl}/openapi.json)`,
    `  identity gRPC  ${identity.grpcAddress}  (girok.identity.v1.IdentityService, reflection on)`,
    `  auth REST      ${auth.httpUrl}  (OpenAPI: ${auth.httpUrl}/openapi.json, JWKS: ${auth.httpUrl}/.well-known/jwks.json)`,
    `  auth gRPC      ${auth.grpcAddress}  (girok.auth.v1.AuthService, reflection on)`,
    `  legal REST     ${legal.httpUrl}  (OpenAPI: ${legal.httpUrl}/openapi.json)`,
    `  legal gRPC     ${legal.grpcAddress}  (girok.legal.v1.LegalService, reflection on)`,
    `  audit REST     ${audit.httpUrl}  (OpenAPI: ${audit.httpUrl}/openapi.json)`,
    `  audit gRPC     ${audit.grpcAddress}  (girok.audit.v1.AuditService, reflection on)`,
    'Stop with Ctrl-C.',
    '',
  ].join('\n'),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    (async () => {
      await bff.close();
      await audit.close();
      await legal.close();
      await auth.close();
      await identity.close();
    })().then(
      () => logger.flush(() => process.exit(0)),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush(() => process.exit(1));
      },
    );
  });
}
