import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ClientInfoSchema } from '@girok/contracts/common/v1/common';
import type { DsrType } from '@girok/contracts/legal/v1/dsr';
import type {
  Consent,
  ConsentGap,
  ConsentHistoryEntry,
  Document,
  Dsr,
  RequiredConsentsResponse,
} from '@girok/contracts/legal/v1/legal';
import { DomainError, type ErrorKind } from '@girok/kit/errors';
import type { Logger } from '@girok/kit/logging';
import { Metadata } from '@grpc/grpc-js';
import { Inject, Injectable } from '@nestjs/common';
import { ParkedConsentRepository } from '../repositories/parked-consent.repository.ts';
import { LEGAL, type LegalClient, LOGGER } from '../tokens.ts';
import type { Caller } from './browser-session.service.ts';

/** The caller's access token as gRPC metadata: legal and audit authorise every call themselves. */
export function bearer(caller: Caller): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${caller.session.accessToken ?? ''}`);
  return metadata;
}

/** legal-service's answers that another try cannot change (an unknown or archived document). */
const PERMANENT: ReadonlySet<ErrorKind> = new Set(['NOT_FOUND', 'FAILED_PRECONDITION', 'INVALID_ARGUMENT']);

/**
 * What a user agreed to and what they ask of the platform's data about them: the consents sign-up
 * collects, the documents to re-accept after a major version, withdrawing optional consents, and
 * data-subject requests. Always for the caller's own account, with the caller's own token.
 */
@Injectable()
export class LegalFlowsService {
  readonly #legal: LegalClient;
  readonly #logger: Logger;
  readonly #parked: ParkedConsentRepository;

  constructor(
    @Inject(LEGAL) legal: LegalClient,
    @Inject(LOGGER) logger: Logger,
    @Inject(ParkedConsentRepository) parked: ParkedConsentRepository,
  ) {
    this.#legal = legal;
    this.#logger = logger;
    this.#parked = parked;
  }

  /** Public: what a new account in this country must accept, and the age rules. */
  requiredConsents(country: string, locale: string): Promise<RequiredConsentsResponse> {
    return this.#legal.requiredConsents({ country, locale });
  }

  /**
   * Refuses a sign-up that does not accept every required document of its country, naming them,
   * before anything is created.
   */
  async assertAccepted(country: string, locale: string, accepted: readonly string[]): Promise<void> {
    const { documents } = await this.requiredConsents(country, locale);
    const missing = documents.filter((d) => !accepted.includes(d.id));
    if (missing.length === 0) return;
    throw new DomainError(
      'INVALID_ARGUMENT',
      'CONSENT_REQUIRED',
      'Accept the required documents to sign up',
      {
        fieldViolations: missing.map((d) => ({
          field: 'consents',
          description: `must include ${d.type} ${d.version} (${d.id})`,
        })),
      },
    );
  }

  /**
   * Keeps what the sign-up form accepted until the account's first login: sign-up does not sign in
   * (its answer must not tell whether the email already had an account), and legal-service records
   * a consent only with the account's own token.
   */
  async park(
    accountId: string,
    documentIds: readonly string[],
    client: MessageInitShape<typeof ClientInfoSchema>,
  ): Promise<void> {
    await this.#parked.park(accountId, { documentIds, client });
  }

  /**
   * Records the consents parked at sign-up, on the account's first login, with the sign-up's client
   * details. A document no longer in force (or never one) is left out: the login's consent check
   * then asks for the current version. Anything else fails the login, and the consents stay parked
   * for the next try.
   */
  async recordParked(caller: Caller): Promise<void> {
    const parked = await this.#parked.find(caller.session.accountId);
    if (parked === undefined) return;
    for (const documentId of parked.documentIds) {
      try {
        await this.#legal.grantConsent(
          { accountId: caller.session.accountId, documentId, client: parked.client },
          { metadata: bearer(caller) },
        );
      } catch (error) {
        if (!(error instanceof DomainError && PERMANENT.has(error.kind))) {
          throw new DomainError(
            'UNAVAILABLE',
            'CONSENTS_NOT_RECORDED',
            'The consents given at sign-up could not be recorded yet; log in again shortly',
            { cause: error, retryAfterSeconds: 1 },
          );
        }
        this.#logger.info({ code: error.code, documentId }, 'a consent given at sign-up is not recordable');
      }
    }
    await this.#parked.delete(caller.session.accountId);
  }

  /**
   * The documents to (re-)accept. A login must not fail because legal-service is down: the answer
   * is then empty and marked degraded, and the client asks again later.
   */
  async gaps(caller: Caller, country = ''): Promise<{ gaps: ConsentGap[]; degraded: boolean }> {
    try {
      // The country when the caller knows it (a login has the account): legal need not ask identity.
      const { gaps } = await this.#legal.checkConsents(
        { accountId: caller.session.accountId, country },
        { metadata: bearer(caller) },
      );
      return { gaps, degraded: false };
    } catch (error) {
      if (!(error instanceof DomainError && error.kind === 'UNAVAILABLE')) throw error;
      this.#logger.warn({ err: error }, 'consent check unavailable; login goes on without it');
      return { gaps: [], degraded: true };
    }
  }

  async consents(caller: Caller): Promise<Consent[]> {
    const { consents } = await this.#legal.listConsents(
      { accountId: caller.session.accountId },
      { metadata: bearer(caller) },
    );
    return consents;
  }

  async history(caller: Caller): Promise<ConsentHistoryEntry[]> {
    const { entries } = await this.#legal.getConsentHistory(
      { accountId: caller.session.accountId, page: { pageSize: 100 } },
      { metadata: bearer(caller) },
    );
    return entries;
  }

  async grant(
    caller: Caller,
    documentId: string,
    client: MessageInitShape<typeof ClientInfoSchema>,
  ): Promise<Consent> {
    const { consent } = await this.#legal.grantConsent(
      { accountId: caller.session.accountId, documentId, client },
      { metadata: bearer(caller) },
    );
    if (consent === undefined) throw new DomainError('INTERNAL', 'CONSENT_MISSING', 'No consent returned');
    return consent;
  }

  async withdraw(
    caller: Caller,
    documentType: string,
    client: MessageInitShape<typeof ClientInfoSchema>,
  ): Promise<Consent> {
    const { consent } = await this.#legal.withdrawConsent(
      { accountId: caller.session.accountId, documentType, client },
      { metadata: bearer(caller) },
    );
    if (consent === undefined) throw new DomainError('INTERNAL', 'CONSENT_MISSING', 'No consent returned');
    return consent;
  }

  async fileDsr(caller: Caller, type: DsrType, details: string, country: string): Promise<Dsr> {
    const { dsr } = await this.#legal.fileDsr(
      { accountId: caller.session.accountId, type, details, country },
      { metadata: bearer(caller) },
    );
    if (dsr === undefined) throw new DomainError('INTERNAL', 'DSR_MISSING', 'No request returned');
    return dsr;
  }

  async dsrs(caller: Caller): Promise<Dsr[]> {
    const { dsrs } = await this.#legal.listDsrs(
      { accountId: caller.session.accountId, page: { pageSize: 100 } },
      { metadata: bearer(caller) },
    );
    return dsrs;
  }

  async dsrExport(caller: Caller, dsrId: string): Promise<string> {
    const { exportJson } = await this.#legal.getDsrExport({ dsrId }, { metadata: bearer(caller) });
    return exportJson;
  }
}

export type { Document };
