import type { TestProject } from 'vitest/node';
import { loadInfraConfig } from './config.ts';
import { Infra } from './infra.ts';
import { stderrProgress } from './progress.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection settings of the real servers: DATABASE_URL, KUBECONFIG, ... */
    infraEnv: Record<string, string>;
  }
}

/**
 * A Vitest global setup that brings up the named servers (installing and building what is not
 * cached), provides their settings to the tests through `inject('infraEnv')`, and afterwards stops
 * only what it started (`GIROK_INFRA_KEEP=1` leaves them running).
 */
export function infraGlobalSetup(names: readonly string[]) {
  return async function setup(project: TestProject) {
    const config = loadInfraConfig();
    const infra = new Infra(config, stderrProgress());
    const { env, started } = await infra.up(names);
    project.provide('infraEnv', env);
    return async () => {
      if (!config.keepRunning) await infra.down(started);
    };
  };
}
