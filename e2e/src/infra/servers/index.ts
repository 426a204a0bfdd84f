import type { ServerDef } from '../server.ts';
import { clickhouse } from './clickhouse.ts';
import { coredns } from './coredns.ts';
import { helm } from './helm.ts';
import { kafka } from './kafka.ts';
import { etcd, kubeApiserver, kubeControllerManager, kubeScheduler, kwok } from './kube.ts';
import { lua } from './lua.ts';
import { containerd, kubelet, kubeProxy } from './node.ts';
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
  containerd,
  kubelet,
  kubeProxy,
  helm,
  lua,
];

/** Names that stand for several servers. */
export const aliases: Readonly<Record<string, readonly string[]>> = {
  kube: ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'],
  /** The real node (with the control plane it joins; kwok is not needed). */
  node: ['containerd', 'kubelet', 'kube-proxy'],
  all: servers.map((s) => s.name),
};
