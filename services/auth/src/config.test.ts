import { randomBytes } from 'node:crypto';
import { ConfigError } from '@girok/kit/config';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const ring = `k1:${randomBytes(32).toString('base64')}`;
const minimal = {
  DATABASE_URL: 'postgres://localhost/auth_db',
  IDENTITY_GRPC_ADDRESS: '127.0.0.1:50051',
  AUTH_KEY_RING: ring,
  WORKLOAD_ISSUER: 'https://kubernetes.default.svc',
  WORKLOAD_JWKS_URL: 'https://kubernetes.default.svc/openid/v1/jwks',
  WORKLOAD_NAMESPACE: 'girok',
};

describe('auth config', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(minimal);
    expect(config).toMatchObject({
      httpPort: 3001,
      grpcPort: 50052,
      kafka: { brokers: [], topicPrefix: '' },
      identityGrpcAddress: '127.0.0.1:50051',
      token: { issuer: 'girok-auth', audience: 'girok', accessTokenTtlSeconds: 900 },
      signingKeys: { rotationMs: 720 * 3_600_000, cacheMs: 10_000 },
    });
    expect(config.keyRing.activeKeyId).toBe('k1');
  });

  it('names every missing or bad variable at once, never echoing the key ring', () => {
    try {
      loadConfig({
        AUTH_KEY_RING: 'k1:not-32-bytes',
        AUTH_ACCESS_TOKEN_TTL_SECONDS: '5',
        HTTP_PORT: 'x',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const text = (error as ConfigError).problems.join('\n');
      for (const name of [
        'DATABASE_URL',
        'IDENTITY_GRPC_ADDRESS',
        'AUTH_KEY_RING',
        'AUTH_ACCESS_TOKEN_TTL_SECONDS',
        'HTTP_PORT',
      ]) {
        expect(text).toContain(name);
      }
      expect(text).not.toContain('not-32-bytes');
    }
  });

  it('verifies the tokens it issues against its own JWKS unless AUTH_JWKS_URL names another authority', () => {
    const own = loadConfig(minimal);
    expect(own.verifiesOwnTokens).toBe(true);
    expect(own.callers.metricsPort).toBe(9465);
    const other = loadConfig({
      ...minimal,
      AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
      AUTH_TOKEN_ISSUER: 'elsewhere',
    });
    expect(other.verifiesOwnTokens).toBe(false);
    // What it signs with is what it verifies: one AUTH_TOKEN_ISSUER for both.
    expect(other.token.issuer).toBe('elsewhere');
    expect(other.callers.accessTokens.issuer).toBe('elsewhere');
  });

  it('a replica never trusts its key cache for more than 10 seconds', () => {
    expect(() => loadConfig({ ...minimal, AUTH_SIGNING_KEY_CACHE_MS: '60000' })).toThrow(
      /AUTH_SIGNING_KEY_CACHE_MS/,
    );
  });
});
