import { KubeConfig } from '@kubernetes/client-node';
import type { BenchSuite } from '../suite.ts';
import { rawApplyRate, rawProduceRate } from './limits.ts';

/** The servers' own rates: the limits the operator, identity, bff and events suites divide by. */
export const suite: BenchSuite = {
  needs: ['kube', 'kafka'],
  async run(env) {
    const kc = new KubeConfig();
    kc.loadFromFile(env.KUBECONFIG ?? '');
    return {
      apply_per_s: await rawApplyRate(kc),
      produce_per_s: await rawProduceRate((env.KAFKA_BROKERS ?? '').split(',')),
    };
  },
};
