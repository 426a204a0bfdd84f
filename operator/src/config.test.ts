import { describe, expect, it } from 'vitest';
import { loadOperatorConfig } from './config.ts';

describe('loadOperatorConfig', () => {
  it('has working defaults', () => {
    const config = loadOperatorConfig({}, 'host');
    expect(config).toMatchObject({
      clusterDomain: 'cluster.local',
      dryRun: false,
      resyncMs: 300_000,
      concurrency: 4,
      leaseName: 'girok-operator',
    });
  });

  it('stops start-up naming the variable that is wrong', () => {
    expect(() => loadOperatorConfig({ GIROK_CONCURRENCY: '0' })).toThrow(
      'GIROK_CONCURRENCY must be an integer from 1 to 64, got "0"',
    );
    expect(() => loadOperatorConfig({ GIROK_DRY_RUN: 'yes' })).toThrow(
      'GIROK_DRY_RUN must be true or false, got "yes"',
    );
  });
});
