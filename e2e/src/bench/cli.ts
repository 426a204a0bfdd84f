// npm run bench -- [suite...]   (none means every suite)
// Each suite brings up the real servers it needs, measures its figures next to the raw limit of
// the same server in the same run, writes e2e/bench/results/<suite>.json and ends with one line
// `<suite>: name=value ...`.
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { loadInfraConfig } from '../infra/config.ts';
import { Infra } from '../infra/infra.ts';
import { stderrProgress } from '../infra/progress.ts';
import { rawApplyRate, rawProduceRate } from './limits.ts';

type Figures = Record<string, number>;
interface Suite {
  readonly needs: readonly string[];
  run(env: Record<string, string>): Promise<Figures>;
}

const round = (n: number) => Math.round(n * 10) / 10;

const suites: Record<string, Suite> = {
  /** The servers' own rates: the limits the operator, identity, bff and events suites divide by. */
  raw: {
    needs: ['kube', 'kafka'],
    async run(env) {
      const kc = new KubeConfig();
      kc.loadFromFile(env.KUBECONFIG ?? '');
      return {
        apply_per_s: round(await rawApplyRate(kc)),
        produce_per_s: round(await rawProduceRate((env.KAFKA_BROKERS ?? '').split(','))),
      };
    },
  },
};

async function main(names: readonly string[]): Promise<void> {
  const chosen = names.length === 0 ? Object.keys(suites) : names;
  const unknown = chosen.filter((n) => !(n in suites));
  if (unknown.length > 0)
    throw new Error(
      `unknown bench suite ${unknown.join(', ')}; choose from: ${Object.keys(suites).join(', ')}`,
    );
  const config = loadInfraConfig();
  const infra = new Infra(config, stderrProgress());
  const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  fs.mkdirSync(resultsDir, { recursive: true });
  for (const name of chosen) {
    const suite = suites[name] as Suite;
    const { env, started } = await infra.up(suite.needs);
    try {
      const figures = await suite.run(env);
      const record = { suite: name, at: new Date().toISOString(), cores: os.availableParallelism(), figures };
      fs.writeFileSync(`${resultsDir}${name}.json`, `${JSON.stringify(record, null, 2)}\n`);
      process.stdout.write(
        `${name}: ${Object.entries(figures)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}\n`,
      );
    } finally {
      if (!config.keepRunning) await infra.down(started);
    }
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`[bench] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
