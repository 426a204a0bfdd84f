import type { Logger } from '@girok/kit/logging';
import type { ResiliencePolicy } from '@girok/kit/resilience';
import { type DynamicModule, Module } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { AuditConfig } from './config.ts';
import { AuditGrpcHandlers } from './grpc/audit.grpc.ts';
import type { AuditStore } from './repositories/audit-store.ts';
import { AuditQueryService } from './services/audit-query.service.ts';
import { RetentionService } from './services/retention.service.ts';
import { AUDIT_STORE, CLOCK, type Clock, CONFIG, LOGGER, METRICS, STORE_POLICY } from './tokens.ts';

/** What the module needs from outside: built once at start-up by `startAuditService`. */
export interface AuditModuleDeps {
  readonly config: AuditConfig;
  readonly store: AuditStore;
  readonly policy: ResiliencePolicy;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock: Clock;
}

@Module({})
export class AuditModule {}

/** The module with everything wired: one instance per process, built from explicit dependencies. */
export function auditModule(deps: AuditModuleDeps): DynamicModule {
  return {
    module: AuditModule,
    providers: [
      { provide: CONFIG, useValue: deps.config },
      { provide: AUDIT_STORE, useValue: deps.store },
      { provide: STORE_POLICY, useValue: deps.policy },
      { provide: LOGGER, useValue: deps.logger },
      { provide: METRICS, useValue: deps.registry },
      { provide: CLOCK, useValue: deps.clock },
      AuditQueryService,
      RetentionService,
      AuditGrpcHandlers,
    ],
  };
}
