// npm run bench -- [suite...]   (none means every suite)
// Each suite brings up the real servers it needs, measures its figures next to the raw limit of
// the same server in the same run, writes e2e/bench/results/<suite>.json and ends with one line
// `<suite>: name=value ...`.
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadInfraConfig } from '../infra/config.ts';
import { Infra } from '../infra/infra.ts';
import { stderrProgress } from '../infra/progress.ts';
import type { BenchSuite } from './suite.ts';

/** Suites live beside the code they measure; each module exports `suite`. */
const suites: Record<string, URL> = {
  raw: new URL('./suites/raw.bench.ts', import.meta.url),
  operator: new URL('../../../operator/bench/operator.bench.ts', import.meta.url),
  identity: new URL('../../../services/identity/bench/identity.bench.ts', import.meta.url),
  bff: new URL('../../../services/auth-bff/bench/bff.bench.ts', import.meta.url),
  events: new URL('../../../services/audit/bench/events.bench.ts', import.meta.url),
};

const round = (n: number) => (Number.isInteger(n) ? n : Math.round(n * 100) / 100);

async function main(names: readonly string[]): Promise<void> {
  const chosen = names.length === 0 ? Object.keys(suites) : names;
  const unknown = chosen.filter((n) => !(n in suites));
  if (unknown.length > 0) {
    throw new Error(
      `unknown bench suite ${unknown.join(', ')}; choose from: ${Object.keys(suites).join(', ')}`,
    );
  }
  const config = loadInfraConfig();
  const infra = new Infra(config, stderrProgress());
  const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  fs.mkdirSync(resultsDir, { recursive: true });
  for (const name of chosen) {
    const { suite } = (await import(String(suites[name]))) as { suite: BenchSuite };
    const { env, started } = await infra.up(suite.needs);
    try {
      const raw = await suite.run(env, (message) => process.stderr.write(`[bench:${name}] ${message}\n`));
      const figures = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, round(v)]));
      const record = { suite: name, at: new Date().toISOString(), cores: os.availableParallelism(), figures };
      fs.writeFileSync(`${resultsDir}${name}.json`, `${JSON.stringify(record, null, 2)}\n`);
      const line = Object.entries(figures)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      process.stdout.write(`${name}: ${line}\n`);
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
