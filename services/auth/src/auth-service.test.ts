import { randomBytes } from 'node:crypto';
import { ConfigError } from '@girok/kit/config';
import { describe, expect, it } from 'vitest';
import { startAuthService } from './auth-service.ts';
import { loadConfig } from './config.ts';

describe('startAuthService', () => {
  it('without a workload token (no WORKLOAD_TOKEN_FILE, no source) fails start naming the variable', async () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://127.0.0.1:1/auth_db',
      IDENTITY_GRPC_ADDRESS: '127.0.0.1:1',
      AUTH_KEY_RING: `k1:${randomBytes(32).toString('base64')}`,
      WORKLOAD_ISSUER: 'https://kubernetes.default.svc',
      WORKLOAD_JWKS_URL: 'https://kubernetes.default.svc/openid/v1/jwks',
      WORKLOAD_NAMESPACE: 'girok',
    });
    const failure = await startAuthService(config).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).problems.join('\n')).toMatch(/WORKLOAD_TOKEN_FILE/);
  });
});
