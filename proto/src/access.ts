import { type DescMethod, type DescService, getOption, hasOption } from '@bufbuild/protobuf';
import {
  type Access,
  Audience,
  access as accessOption,
  edge as edgeOption,
  type HttpRule,
  http as httpOption,
  Workload,
  WorkloadSchema,
} from '../gen/girok/common/v1/options_pb.js';

export { Audience, Workload };

/** An RPC's access declaration, read from its `(girok.common.v1.access)` option. */
export interface MethodAccess {
  readonly audience: Audience;
  /** PERMISSION: the permission needed; USER: the one that reaches other accounts ('' = none). */
  readonly permission: string;
  /** Component names (`auth-bff`, `auth-service`, ...). */
  readonly workloads: readonly string[];
  /** USER: the request's proto field naming the account acted on ('' = none). */
  readonly accountField: string;
  /** The request's proto field naming who acts ('' = none). */
  readonly actorField: string;
}

/** An RPC's REST face, read from its `(girok.common.v1.http)` option. */
export interface MethodHttp {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** `/v1/accounts/{account_id}` */
  readonly path: string;
  readonly status: number;
  readonly summary: string;
  /** Proto field names of the path parameters, in order. */
  readonly pathParams: readonly string[];
}

const VERBS = new Set(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']);

/** `WORKLOAD_AUTH_BFF` → `auth-bff`: the component name a workload identity carries. */
export function workloadName(workload: Workload): string {
  return (Workload[workload] ?? 'UNKNOWN')
    .replace(/^WORKLOAD_/, '')
    .toLowerCase()
    .replaceAll('_', '-');
}

/** Every component that has a workload identity. */
export const WORKLOAD_NAMES: readonly string[] = Object.values(Workload)
  .filter((value): value is Workload => typeof value === 'number' && value !== Workload.UNSPECIFIED)
  .map(workloadName);

/**
 * The edge components (`(girok.common.v1.edge)` on their Workload value): they carry end users'
 * tokens to any RPC not reserved to workloads, so the network admits them wherever the Gateway is.
 */
export const EDGE_WORKLOADS: readonly string[] = WorkloadSchema.values
  .filter((value) => hasOption(value, edgeOption) && getOption(value, edgeOption))
  .map((value) => workloadName(value.number as Workload));

/** The declaration of `method`; throws when it has none (the contract check makes that a build error). */
export function accessOf(method: DescMethod): MethodAccess {
  if (!hasOption(method, accessOption)) {
    throw new Error(`${method.parent.typeName}.${method.name} declares no (girok.common.v1.access)`);
  }
  const access: Access = getOption(method, accessOption);
  return {
    audience: access.audience,
    permission: access.permission,
    workloads: access.workloads.map(workloadName),
    accountField: access.accountField,
    actorField: access.actorField,
  };
}

/**
 * Whether outsiders may call it (through the Gateway): everything but what only the platform's own
 * workloads may call. One rule for the routes, the network policies and gRPC reflection.
 */
export const isPublished = (access: Pick<MethodAccess, 'audience'>): boolean =>
  access.audience !== Audience.WORKLOADS;

/** The REST face of `method`, or undefined when it has none. */
export function httpOf(method: DescMethod): MethodHttp | undefined {
  if (!hasOption(method, httpOption)) return undefined;
  const rule: HttpRule = getOption(method, httpOption);
  return {
    method: rule.method as MethodHttp['method'],
    path: rule.path,
    status: rule.status === 0 ? 200 : rule.status,
    summary: rule.summary === '' ? method.name : rule.summary,
    pathParams: [...rule.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? ''),
  };
}

const fieldNamed = (method: DescMethod, name: string) => method.input.fields.find((f) => f.name === name);

/**
 * What is wrong with the declarations of these services: every RPC needs an access audience,
 * PERMISSION a permission, WORKLOADS at least one workload, named request fields must exist
 * (strings), and an HTTP rule a verb, a `/`-path whose parameters are request fields.
 */
export function contractProblems(services: readonly DescService[]): string[] {
  const problems: string[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      const where = `${service.typeName}.${method.name}`;
      if (method.methodKind !== 'unary') problems.push(`${where}: only unary RPCs are served`);
      if (!hasOption(method, accessOption)) {
        problems.push(`${where}: no (girok.common.v1.access) option; declare who may call it`);
        continue;
      }
      const access = accessOf(method);
      if (access.audience === Audience.UNSPECIFIED) problems.push(`${where}: access.audience is unset`);
      if (access.audience === Audience.PERMISSION && access.permission === '')
        problems.push(`${where}: AUDIENCE_PERMISSION needs access.permission`);
      if (access.audience === Audience.WORKLOADS && access.workloads.length === 0)
        problems.push(`${where}: AUDIENCE_WORKLOADS needs at least one workload`);
      if (access.audience === Audience.PUBLIC && (access.permission !== '' || access.workloads.length > 0))
        problems.push(`${where}: AUDIENCE_PUBLIC takes no permission or workloads`);
      if (access.workloads.includes('unspecified')) problems.push(`${where}: WORKLOAD_UNSPECIFIED listed`);
      for (const [label, name] of [
        ['account_field', access.accountField],
        ['actor_field', access.actorField],
      ] as const) {
        if (name === '') continue;
        const field = fieldNamed(method, name);
        if (field?.fieldKind !== 'scalar')
          problems.push(`${where}: access.${label} ${name} is not a request field`);
      }
      if (access.accountField !== '' && access.audience !== Audience.USER)
        problems.push(`${where}: access.account_field is for AUDIENCE_USER`);
      const http = httpOf(method);
      if (http === undefined) continue;
      if (!VERBS.has(http.method)) problems.push(`${where}: http.method ${http.method} is not a verb`);
      if (!http.path.startsWith('/')) problems.push(`${where}: http.path must start with /`);
      for (const param of http.pathParams) {
        if (fieldNamed(method, param) === undefined)
          problems.push(`${where}: path parameter {${param}} is not a request field`);
      }
    }
  }
  return problems;
}
