import { randomBytes } from 'node:crypto';
import { ConfigError } from '@girok/kit/config';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { startLegalService } from './legal-service.ts';

describe('startLegalService', () => {
  it('refuses to start without a workload token to call identity-service with, naming WORKLOAD_TOKEN_FILE', async () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://127.0.0.1:1/legal_never_opened',
      LEGAL_ERASURE_PEPPER: randomBytes(32).toString('base64'),
      WORKLOAD_ISSUER: 'https://kubernetes.default.svc',
      WORKLOAD_JWKS_URL: 'https://kubernetes.default.svc/openid/v1/jwks',
      WORKLOAD_NAMESPACE: 'girok',
    });
    const start = startLegalService(config);
    await expect(start).rejects.toBeInstanceOf(ConfigError);
    await expect(start).rejects.toThrow(/WORKLOAD_TOKEN_FILE/);
  });
});
