import { randomBytes } from 'node:crypto';
import { ConfigError } from '@girok/kit/config';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const pepper = randomBytes(32).toString('base64');
const minimal = {
  DATABASE_URL: 'postgres://localhost/legal_db',
  LEGAL_ERASURE_PEPPER: pepper,
  WORKLOAD_ISSUER: 'https://kubernetes.default.svc',
  WORKLOAD_JWKS_URL: 'https://kubernetes.default.svc/openid/v1/jwks',
  WORKLOAD_NAMESPACE: 'girok',
  WORKLOAD_TOKEN_FILE: '/var/run/secrets/girok/workload/token',
};

describe('legal config', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(minimal);
    expect(config).toMatchObject({
      httpPort: 3005,
      grpcPort: 50053,
      kafka: { brokers: [], topicPrefix: '' },
      identityGrpcAddress: '127.0.0.1:50051',
      callers: {
        accessTokens: {
          jwksUrl: 'http://127.0.0.1:3001/.well-known/jwks.json',
          issuer: 'girok-auth',
          audience: 'girok',
          jwksCacheMaxAgeMs: 300_000,
        },
        workload: { tokenFile: '/var/run/secrets/girok/workload/token' },
        metricsPort: 9466,
      },
      documents: { defaultLocale: 'en' },
      dsr: {
        participants: ['identity-service', 'auth-service', 'legal-service', 'audit-service'],
        defaultDeadlineDays: 30,
        escalationIntervalMs: 900_000,
        consumerGroup: 'legal-service',
        consumerFromBeginning: true,
      },
    });
    expect(config.dsr.erasurePepper.equals(Buffer.from(pepper, 'base64'))).toBe(true);
  });

  it('names every missing or bad variable at once, never echoing the pepper', () => {
    try {
      loadConfig({
        LEGAL_ERASURE_PEPPER: 'c2hvcnQ=',
        DSR_PARTICIPANTS: 'identity-service,Bad Name,identity-service',
        DSR_DEFAULT_DEADLINE_DAYS: '365',
        LEGAL_DEFAULT_LOCALE: 'en_US',
        AUTH_JWKS_URL: 'not a url',
        GRPC_PORT: 'x',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const text = (error as ConfigError).problems.join('\n');
      for (const name of [
        'DATABASE_URL',
        'LEGAL_ERASURE_PEPPER',
        'DSR_PARTICIPANTS',
        'DSR_DEFAULT_DEADLINE_DAYS',
        'LEGAL_DEFAULT_LOCALE',
        'AUTH_JWKS_URL',
        'GRPC_PORT',
      ]) {
        expect(text).toContain(name);
      }
      expect(text).not.toContain('c2hvcnQ=');
    }
  });
});
