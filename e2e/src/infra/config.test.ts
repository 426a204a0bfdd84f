import { describe, expect, it } from 'vitest';
import { loadInfraConfig } from './config.ts';

describe('loadInfraConfig', () => {
  it('takes a set connection variable as an external server and ignores blank ones', () => {
    const config = loadInfraConfig({
      DATABASE_URL: 'postgres://db.example:5432/app',
      KUBECONFIG: '  ',
      HOME: '/home/dev',
    });
    expect(config.external).toEqual({ DATABASE_URL: 'postgres://db.example:5432/app' });
  });

  it('caches under XDG_CACHE_HOME, or GIROK_CACHE_DIR when set', () => {
    expect(loadInfraConfig({ XDG_CACHE_HOME: '/c' }).cacheDir).toBe('/c/girok');
    expect(loadInfraConfig({ XDG_CACHE_HOME: '/c', GIROK_CACHE_DIR: '/opt/girok' }).cacheDir).toBe(
      '/opt/girok',
    );
  });

  it('fails start-up naming a malformed GIROK_INFRA_KEEP', () => {
    expect(loadInfraConfig({ GIROK_INFRA_KEEP: '1' }).keepRunning).toBe(true);
    expect(() => loadInfraConfig({ GIROK_INFRA_KEEP: 'yes' })).toThrow(
      'GIROK_INFRA_KEEP must be 1/true or 0/false, got "yes"',
    );
  });

  it('moves every port by GIROK_INFRA_PORT_OFFSET and names a malformed one', () => {
    expect(loadInfraConfig({}).ports.postgres).toBe(15432);
    expect(loadInfraConfig({ GIROK_INFRA_PORT_OFFSET: '100' }).ports).toMatchObject({
      postgres: 15532,
      kubeApiserver: 16543,
    });
    expect(() => loadInfraConfig({ GIROK_INFRA_PORT_OFFSET: '-5' })).toThrow(
      'GIROK_INFRA_PORT_OFFSET must be a whole number from 0 to 20000, got "-5"',
    );
  });
});
