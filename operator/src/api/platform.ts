import type { KubernetesObject } from '@kubernetes/client-node';
import type { platformSpecSchema, platformStatusSchema } from './crd.ts';
import type { FromSchema } from './from-schema.ts';

export const GROUP = 'platform.girok.dev';
export const VERSION = 'v1alpha1';
export const KIND = 'GirokPlatform';
export const PLURAL = 'girokplatforms';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** The components of the platform, as the spec names them. */
const componentKeys = ['identity', 'auth', 'legal', 'authBff', 'audit'] as const;
export type ComponentKey = (typeof componentKeys)[number];

/** What a user writes under `spec`: derived from the CRD schema, never written twice. */
export type GirokPlatformSpec = FromSchema<typeof platformSpecSchema>;
/** One component's settings; every component but the BFF also names its database Secret. */
export type ComponentSpec = NonNullable<NonNullable<GirokPlatformSpec['services']>['identity']>;
export type TopicOverride = NonNullable<NonNullable<GirokPlatformSpec['events']>['topics']>[number];
/** Pods by their namespace's labels and their own (both given: both must match). */
export type PeerSelector = NonNullable<NonNullable<GirokPlatformSpec['networkPolicy']>['gateway']>;

export type GirokPlatformStatus = FromSchema<typeof platformStatusSchema>;
export type PlatformCondition = NonNullable<GirokPlatformStatus['conditions']>[number];
export type ComponentStatus = NonNullable<GirokPlatformStatus['services']>[string];

export interface GirokPlatform extends KubernetesObject {
  spec: GirokPlatformSpec;
  status?: GirokPlatformStatus;
}

/** Annotation that stops every write the operator would make for this object. */
export const PAUSED_ANNOTATION = 'platform.girok.dev/paused';
export const FINALIZER = 'platform.girok.dev/cleanup';
