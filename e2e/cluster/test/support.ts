import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, infraEnv } from '@girok/e2e/infra';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
export const repoPath = (...parts: string[]) => path.join(repoRoot, ...parts);

/** kubectl against the harness's API server, as a platform engineer runs it. */
export const kubectl = (...args: string[]) =>
  exec(infraEnv('KUBECTL'), ['--kubeconfig', infraEnv('KUBECONFIG'), ...args]);

export const helm = (...args: string[]) =>
  exec(infraEnv('HELM'), ['--kubeconfig', infraEnv('KUBECONFIG'), ...args]);

export const kubectlJson = async <T>(...args: string[]): Promise<T> =>
  JSON.parse(await kubectl(...args, '-o', 'json')) as T;

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes; the error names `what`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  describe?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const state = describe === undefined ? '' : `\n${await describe().catch(String)}`;
      throw new Error(
        `${what}: not within ${timeoutMs / 1000} s${last ? ` (last error: ${String(last)})` : ''}${state}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface PlatformObject {
  metadata: { generation: number };
  status?: { observedGeneration?: number; conditions?: Condition[] };
}

export interface DeploymentObject {
  metadata: { name: string; generation: number };
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
  status: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
}

export interface PodObject {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: { image: string }[] };
  status: { phase: string; podIP?: string; conditions?: Condition[] };
}

export const isReady = (pod: PodObject) =>
  pod.status.phase === 'Running' &&
  pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** Deployments whose every replica runs the current template and is ready. */
export const rolledOut = (d: DeploymentObject) =>
  d.status.observedGeneration === d.metadata.generation &&
  d.status.updatedReplicas === d.spec.replicas &&
  d.status.readyReplicas === d.spec.replicas &&
  d.status.replicas === d.spec.replicas;

export const readText = (file: string) => fs.readFileSync(file, 'utf8');
