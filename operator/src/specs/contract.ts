import {
  Audience,
  accessOf,
  EDGE_WORKLOADS,
  httpOf,
  type MethodAccess,
  type MethodHttp,
  isPublished as publishedAccess,
} from '@girok/contracts/access';
import type { Component } from './catalogue.ts';

/** One RPC of a component as its contract declares it: the routes and the policies are built from these. */
export interface Operation {
  /** `girok.identity.v1.IdentityService` */
  readonly service: string;
  /** `GetAccount` */
  readonly method: string;
  readonly access: MethodAccess;
  readonly http: MethodHttp | undefined;
}

export function operationsOf(component: Pick<Component, 'grpcServices'>): Operation[] {
  return component.grpcServices.flatMap((service) =>
    service.methods.map((m) => ({
      service: service.typeName,
      method: m.name,
      access: accessOf(m),
      http: httpOf(m),
    })),
  );
}

/** What the Gateway may publish: everything not reserved to the platform's own workloads. */
export const isPublished = (op: Operation): boolean => publishedAccess(op.access);

/**
 * The workloads that may call a component: those the contract names anywhere on its RPCs, and the
 * edge components (the BFF) where it publishes anything, since they carry end users' tokens.
 */
export const callersOf = (component: Pick<Component, 'grpcServices'>): string[] => [
  ...new Set([
    ...operationsOf(component).flatMap((op) => op.access.workloads),
    ...(operationsOf(component).some(isPublished) ? EDGE_WORKLOADS : []),
  ]),
];

/**
 * The RPCs `workload` may call on `component`: those naming it, and the published ones, since a
 * caller may carry an end user's token and those are open to anyone through the Gateway anyway.
 */
export const operationsFor = (component: Pick<Component, 'grpcServices'>, workload: string): Operation[] =>
  operationsOf(component).filter((op) => isPublished(op) || op.access.workloads.includes(workload));

/** Whether a component checks end users' access tokens and so reads auth-service's JWKS. */
export const verifiesUserTokens = (component: Component): boolean =>
  component.verifiesUserTokens === true ||
  operationsOf(component).some(
    (op) => op.access.audience === Audience.USER || op.access.audience === Audience.PERMISSION,
  );

/** The gRPC path of an RPC on the wire (HTTP/2 `:path`). */
export const grpcPath = (op: Operation): string => `/${op.service}/${op.method}`;
