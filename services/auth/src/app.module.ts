import type { IdentityService } from '@girok/contracts/identity/v1/identity';
import type { GrpcClient } from '@girok/kit/grpc';
import type { Logger } from '@girok/kit/logging';
import { type DynamicModule, Module } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { AuthConfig } from './config.ts';
import { WellKnownController } from './controllers/well-known.controller.ts';
import { AuthGrpcHandlers } from './grpc/auth.grpc.ts';
import { AccessRepository } from './repositories/access.repository.ts';
import { IdentityRepository } from './repositories/identity.repository.ts';
import { OperatorAssignmentRepository } from './repositories/operator-assignment.repository.ts';
import { RoleRepository } from './repositories/role.repository.ts';
import { RoleAssignmentRepository } from './repositories/role-assignment.repository.ts';
import { SanctionRepository } from './repositories/sanction.repository.ts';
import { SigningKeyRepository } from './repositories/signing-key.repository.ts';
import type { AuthDatabase } from './schema/database.ts';
import { DataSubjectService } from './services/data-subject.service.ts';
import { OperatorAssignmentService } from './services/operator-assignment.service.ts';
import { PermissionCheckService } from './services/permission-check.service.ts';
import { RoleService } from './services/role.service.ts';
import { SanctionService } from './services/sanction.service.ts';
import { SigningKeyService } from './services/signing-key.service.ts';
import { TokenService } from './services/token.service.ts';
import { CLOCK, type Clock, CONFIG, DATABASE, IDENTITY_CLIENT, LOGGER, METRICS } from './tokens.ts';

/** What the module needs from outside: built once at start-up by `startAuthService`. */
export interface AuthModuleDeps {
  readonly config: AuthConfig;
  readonly db: Kysely<AuthDatabase>;
  readonly identity: GrpcClient<typeof IdentityService>;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock: Clock;
}

@Module({})
export class AuthModule {}

/** The module with everything wired: one instance per process, built from explicit dependencies. */
export function authModule(deps: AuthModuleDeps): DynamicModule {
  return {
    module: AuthModule,
    controllers: [WellKnownController],
    providers: [
      { provide: CONFIG, useValue: deps.config },
      { provide: DATABASE, useValue: deps.db },
      { provide: IDENTITY_CLIENT, useValue: deps.identity },
      { provide: LOGGER, useValue: deps.logger },
      { provide: METRICS, useValue: deps.registry },
      { provide: CLOCK, useValue: deps.clock },
      AccessRepository,
      IdentityRepository,
      OperatorAssignmentRepository,
      RoleRepository,
      RoleAssignmentRepository,
      SanctionRepository,
      SigningKeyRepository,
      DataSubjectService,
      OperatorAssignmentService,
      PermissionCheckService,
      RoleService,
      SanctionService,
      SigningKeyService,
      TokenService,
      AuthGrpcHandlers,
    ],
  };
}
