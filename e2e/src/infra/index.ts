// What other packages' test suites use of the harness.

export { hostAddress, loadInfraConfig } from './config.ts';
export { Infra } from './infra.ts';
export { infraEnv } from './infra-env.ts';
export { goModuleDir } from './install/go.ts';
export { exec, freePort } from './proc.ts';
export { stderrProgress } from './progress.ts';
export { startCoreDns } from './servers/coredns.ts';
export { kwokNamespaceAnnotations } from './servers/kube.ts';
export { resolveA } from './servers/probes.ts';
export { versions } from './versions.ts';
export { infraGlobalSetup } from './vitest-setup.ts';
