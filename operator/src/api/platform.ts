import type { KubernetesObject, V1Condition } from '@kubernetes/client-node';

export const GROUP = 'platform.girok.dev';
export const VERSION = 'v1alpha1';
export const KIND = 'GirokPlatform';
export const PLURAL = 'girokplatforms';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** The components of the platform, as the spec names them. */
export const componentKeys = ['identity', 'auth', 'legal', 'authBff', 'audit'] as const;
export type ComponentKey = (typeof componentKeys)[number];

export interface SecretKeyRef {
  name: string;
  key?: string;
}

export interface ComponentSpec {
  replicas?: number;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  /** Secret holding the component's database URL; default `<platform>-<component>-database`, key `url`. */
  database?: SecretKeyRef;
}

export interface TopicOverride {
  name: string;
  partitions?: number;
  retentionMs?: number;
  cleanupPolicy?: 'delete' | 'compact' | 'compact,delete';
}

export interface GirokPlatformSpec {
  environment: string;
  domain: string;
  version: string;
  imageRegistry: string;
  /** Pins components to image digests (`sha256:…`); a pinned one is pulled by digest, not by `version`. */
  imageDigests?: Partial<Record<ComponentKey, string>>;
  services?: Partial<Record<ComponentKey, ComponentSpec>>;
  gateway?: {
    enabled?: boolean;
    className?: string;
    tlsSecretName?: string;
    hosts?: { api?: string; bff?: string; grpc?: string };
    /**
     * The Gateway's addresses (CIDRs): the only peers whose X-Forwarded-For the BFF believes, so
     * per-IP limits see the browser's address, not the proxy's.
     */
    trustedProxies?: string[];
  };
  dns?: {
    enabled?: boolean;
    /** Where the cluster's CoreDNS imports extra config from. */
    corednsNamespace?: string;
    corednsConfigMap?: string;
  };
  events?: {
    brokers: string[];
    /** Secret with SASL `username` and `password` keys, when the brokers need them. */
    authSecretName?: string;
    saslMechanism?: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    /** Put before every topic and consumer group, with a dot; default the platform's name, "" for none. */
    topicPrefix?: string;
    topics?: TopicOverride[];
    /** Delete the platform's topics when the GirokPlatform is deleted. */
    deleteTopicsOnDelete?: boolean;
  };
  networkPolicy?: {
    enabled?: boolean;
    flavor?: 'kubernetes' | 'cilium';
    /** Where the Gateway's proxy runs; default: Cilium's `ingress` entity, or any source with `kubernetes`. */
    gateway?: PeerSelector;
    /** Who scrapes the metrics port; default: nobody. */
    monitoring?: PeerSelector;
  };
  keys?: {
    /** Owner references on the generated key Secrets (default false: they outlive the platform). */
    deleteWithPlatform?: boolean;
  };
  /** Secret with the Valkey URL; default `<platform>-valkey`, key `url`. */
  valkey?: SecretKeyRef;
  bff?: {
    allowedOrigins?: string[];
    graphqlExplorer?: boolean;
    signUpRateLimit?: { perIp?: number; windowMs?: number };
  };
  workloadIdentity?: {
    /** The cluster's service-account token issuer (`--service-account-issuer`). */
    issuer?: string;
  };
}

/** Pods by their namespace's labels and their own (both given: both must match). */
export interface PeerSelector {
  namespaceLabels?: Record<string, string>;
  podLabels?: Record<string, string>;
}

export interface ComponentStatus {
  image: string;
  replicas: number;
  readyReplicas: number;
}

export interface GirokPlatformStatus {
  observedGeneration?: number;
  conditions?: V1Condition[];
  services?: Partial<Record<ComponentKey, ComponentStatus>>;
  endpoints?: { grpc?: string; api?: string; bff?: string; dns?: string };
  topics?: { name: string; partitions: number }[];
}

export interface GirokPlatform extends KubernetesObject {
  spec: GirokPlatformSpec;
  status?: GirokPlatformStatus;
}

/** Annotation that stops every write the operator would make for this object. */
export const PAUSED_ANNOTATION = 'platform.girok.dev/paused';
export const FINALIZER = 'platform.girok.dev/cleanup';
