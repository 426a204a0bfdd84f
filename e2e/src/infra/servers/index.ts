import type { ServerDef } from '../server.ts';
import { clickhouse } from './clickhouse.ts';
import { coredns } from './coredns.ts';
import { gateway } from './gateway.ts';
import { helm } from './helm.ts';
import { kafka } from './kafka.ts';
import { etcd, kubeApiserver, kubeControllerManager, kubeScheduler, kwok } from './kube.ts';
import { lua } from './lua.ts';
import { postgres } from './postgres.ts';
import { valkey } from './valkey.ts';

export const servers: readonly ServerDef[] = [
  postgres,
  valkey,
  clickhouse,
  kafka,
  etcd,
  kubeApiserver,
  kubeControllerManager,
  kubeScheduler,
  kwok,
  coredns,
  gateway,
  helm,
  lua,
];

/** Names that stand for several servers. */
export const aliases: Readonly<Record<string, readonly string[]>> = {
  kube: ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'],
  all: servers.map((s) => s.name),
};
