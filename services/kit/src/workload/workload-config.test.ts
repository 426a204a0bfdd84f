import { WORKLOAD_NAMES } from '@girok/contracts/access';
import { describe, expect, it } from 'vitest';
import { ConfigError, ConfigReader } from '../config/config-reader.ts';
import { readWorkloadConfig } from './workload-config.ts';

const read = (env: Record<string, string>) => {
  const reader = new ConfigReader(env);
  const config = readWorkloadConfig(reader);
  reader.done();
  return config;
};

const problems = (env: Record<string, string>) => {
  try {
    read(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('readWorkloadConfig', () => {
  it("reads a Pod's settings, with the contract's components", () => {
    expect(
      read({
        WORKLOAD_ISSUER: 'https://kubernetes.default.svc.cluster.local',
        WORKLOAD_JWKS_URL: 'https://kubernetes.default.svc/openid/v1/jwks',
        WORKLOAD_JWKS_CA_FILE: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
        WORKLOAD_JWKS_TOKEN_FILE: '/var/run/secrets/kubernetes.io/serviceaccount/token',
        WORKLOAD_NAMESPACE: 'girok',
        WORKLOAD_SERVICE_ACCOUNT_PREFIX: 'girok-dev-',
        WORKLOAD_TOKEN_FILE: '/var/run/secrets/girok/workload/token',
      }),
    ).toEqual({
      issuer: 'https://kubernetes.default.svc.cluster.local',
      audience: 'girok',
      jwks: 'https://kubernetes.default.svc/openid/v1/jwks',
      caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
      bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      namespace: 'girok',
      serviceAccountPrefix: 'girok-dev-',
      components: WORKLOAD_NAMES,
      tokenFile: '/var/run/secrets/girok/workload/token',
    });
    expect(WORKLOAD_NAMES).toContain('auth-bff');
  });

  it('leaves the optional files out and defaults the audience and prefix', () => {
    expect(
      read({
        WORKLOAD_ISSUER: 'https://girok.local/workload-issuer',
        WORKLOAD_JWKS_URL: 'file:///data/workload/workload-issuer.jwks.json',
        WORKLOAD_NAMESPACE: 'local',
      }),
    ).toEqual({
      issuer: 'https://girok.local/workload-issuer',
      audience: 'girok',
      jwks: 'file:///data/workload/workload-issuer.jwks.json',
      namespace: 'local',
      serviceAccountPrefix: '',
      components: WORKLOAD_NAMES,
    });
  });

  it('names every missing or bad variable', () => {
    expect(problems({})).toEqual([
      'WORKLOAD_ISSUER is required',
      'WORKLOAD_JWKS_URL is required',
      'WORKLOAD_NAMESPACE is required',
    ]);
    expect(
      problems({
        WORKLOAD_ISSUER: 'https://issuer',
        WORKLOAD_JWKS_URL: 'http://issuer/jwks',
        WORKLOAD_NAMESPACE: 'Girok_Dev',
        WORKLOAD_SERVICE_ACCOUNT_PREFIX: 'Girok/',
      }),
    ).toEqual([
      'WORKLOAD_JWKS_URL must be an https:// or file:// URL',
      'WORKLOAD_NAMESPACE must be a Kubernetes namespace name (a-z 0-9 -)',
      'WORKLOAD_SERVICE_ACCOUNT_PREFIX must be the start of a ServiceAccount name (a-z 0-9 - .)',
    ]);
  });
});
