import type { KeyValueStore } from '@girok/kit/cache';
import type { Logger } from '@girok/kit/logging';
import { type DynamicModule, Module } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { IdentityConfig } from './config.ts';
import { BackupCodeHasher } from './crypto/opaque-secrets.ts';
import { PasswordHasher } from './crypto/password-hasher.ts';
import { PasswordPolicy } from './crypto/password-policy.ts';
import { IdentityGrpcHandlers } from './grpc/identity.grpc.ts';
import { AccountRepository } from './repositories/account.repository.ts';
import { CredentialRepository } from './repositories/credential.repository.ts';
import { DeviceRepository } from './repositories/device.repository.ts';
import { MfaRepository } from './repositories/mfa.repository.ts';
import { ProfileRepository } from './repositories/profile.repository.ts';
import { SessionRepository } from './repositories/session.repository.ts';
import type { IdentityDatabase } from './schema/database.ts';
import { AccountService } from './services/account.service.ts';
import { AuthenticationService } from './services/authentication.service.ts';
import { DataSubjectService } from './services/data-subject.service.ts';
import { DeviceService } from './services/device.service.ts';
import { MfaService } from './services/mfa.service.ts';
import { ProfileService } from './services/profile.service.ts';
import { SessionService } from './services/session.service.ts';
import { CLOCK, type Clock, CONFIG, DATABASE, KV_STORE, LOGGER, METRICS } from './tokens.ts';

/** What the module needs from outside: built once at start-up by `startIdentityService`. */
export interface IdentityModuleDeps {
  readonly config: IdentityConfig;
  readonly db: Kysely<IdentityDatabase>;
  readonly store: KeyValueStore;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly passwordHasher?: PasswordHasher;
}

@Module({})
export class IdentityModule {}

/** The module with everything wired: one instance per process, built from explicit dependencies. */
export function identityModule(deps: IdentityModuleDeps): DynamicModule {
  return {
    module: IdentityModule,
    providers: [
      { provide: CONFIG, useValue: deps.config },
      { provide: DATABASE, useValue: deps.db },
      { provide: KV_STORE, useValue: deps.store },
      { provide: LOGGER, useValue: deps.logger },
      { provide: METRICS, useValue: deps.registry },
      { provide: CLOCK, useValue: deps.clock },
      { provide: PasswordHasher, useValue: deps.passwordHasher ?? new PasswordHasher() },
      { provide: PasswordPolicy, useValue: new PasswordPolicy() },
      {
        provide: BackupCodeHasher,
        useValue: new BackupCodeHasher(Buffer.from(deps.config.backupCodePepper, 'base64')),
      },
      AccountRepository,
      CredentialRepository,
      DeviceRepository,
      MfaRepository,
      ProfileRepository,
      SessionRepository,
      AccountService,
      AuthenticationService,
      DataSubjectService,
      DeviceService,
      MfaService,
      ProfileService,
      SessionService,
      IdentityGrpcHandlers,
    ],
  };
}
