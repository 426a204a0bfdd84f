import type { IdentityService } from '@girok/contracts/identity/v1/identity';
import type { GrpcClient } from '@girok/kit/grpc';
import type { Logger } from '@girok/kit/logging';
import { type DynamicModule, Module } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { LegalConfig } from './config.ts';
import { DsrEventsConsumer } from './consumers/dsr-events.consumer.ts';
import { LegalGrpcHandlers } from './grpc/legal.grpc.ts';
import { ConsentRepository } from './repositories/consent.repository.ts';
import { DocumentRepository } from './repositories/document.repository.ts';
import { DsrRepository } from './repositories/dsr.repository.ts';
import { IdentityRepository } from './repositories/identity.repository.ts';
import { LawRepository } from './repositories/law.repository.ts';
import type { LegalDatabase } from './schema/database.ts';
import { ConsentService } from './services/consent.service.ts';
import { DocumentService } from './services/document.service.ts';
import { DsrService } from './services/dsr.service.ts';
import { DsrEscalationService } from './services/dsr-escalation.service.ts';
import { DsrFulfilmentService } from './services/dsr-fulfilment.service.ts';
import { LawService } from './services/law.service.ts';
import { RequirementsService } from './services/requirements.service.ts';
import { CLOCK, type Clock, CONFIG, DATABASE, IDENTITY_CLIENT, LOGGER } from './tokens.ts';

/** What the module needs from outside: built once at start-up by `startLegalService`. */
export interface LegalModuleDeps {
  readonly config: LegalConfig;
  readonly db: Kysely<LegalDatabase>;
  readonly identity: GrpcClient<typeof IdentityService>;
  readonly logger: Logger;
  readonly clock: Clock;
}

@Module({})
export class LegalModule {}

/** The module with everything wired: one instance per process, built from explicit dependencies. */
export function legalModule(deps: LegalModuleDeps): DynamicModule {
  return {
    module: LegalModule,
    providers: [
      { provide: CONFIG, useValue: deps.config },
      { provide: DATABASE, useValue: deps.db },
      { provide: IDENTITY_CLIENT, useValue: deps.identity },
      { provide: LOGGER, useValue: deps.logger },
      { provide: CLOCK, useValue: deps.clock },
      ConsentRepository,
      DocumentRepository,
      DsrRepository,
      IdentityRepository,
      LawRepository,
      RequirementsService,
      DocumentService,
      ConsentService,
      LawService,
      DsrService,
      DsrFulfilmentService,
      DsrEscalationService,
      DsrEventsConsumer,
      LegalGrpcHandlers,
    ],
  };
}
