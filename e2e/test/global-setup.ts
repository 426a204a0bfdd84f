import type { TestProject } from 'vitest/node';
import { loadInfraConfig } from '../src/infra/config.ts';
import { Infra } from '../src/infra/infra.ts';
import { stderrProgress } from '../src/infra/progress.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection settings of the real servers: DATABASE_URL, KUBECONFIG, ... */
    infraEnv: Record<string, string>;
  }
}

/** Every server the smoke suites speak to. */
const NEEDED = ['postgres', 'valkey', 'clickhouse', 'kafka', 'kube', 'coredns', 'helm'];

export default async function setup(project: TestProject) {
  const config = loadInfraConfig();
  const infra = new Infra(config, stderrProgress());
  const { env, started } = await infra.up(NEEDED);
  project.provide('infraEnv', env);
  return async () => {
    // Stop only what this run started; servers found running (or external) stay as they were.
    if (!config.keepRunning) await infra.down(started);
  };
}
