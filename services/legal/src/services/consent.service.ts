import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ClientInfo } from '@girok/contracts/common/v1/common';
import type {
  CheckConsentsRequest,
  CheckConsentsResponseSchema,
  GetConsentHistoryRequest,
  GetConsentHistoryResponseSchema,
  GrantConsentRequest,
  GrantConsentResponseSchema,
  ListConsentsRequest,
  ListConsentsResponseSchema,
  WithdrawConsentRequest,
  WithdrawConsentResponseSchema,
} from '@girok/contracts/legal/v1/legal';
import { assertThat, DomainError, Violations } from '@girok/kit/errors';
import { uuidv7 } from '@girok/kit/ids';
import { appendEvents } from '@girok/kit/outbox';
import { accountOf, type Caller } from '@girok/kit/rpc';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { toConsent, toConsentGap, toHistoryEntry } from '../dtos/legal.dto.ts';
import { ConsentRepository } from '../repositories/consent.repository.ts';
import { DocumentRepository } from '../repositories/document.repository.ts';
import { IdentityRepository } from '../repositories/identity.repository.ts';
import type { LegalDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, DATABASE } from '../tokens.ts';
import { consentGap } from './consent-rules.ts';
import { canonicalLocale, checkCountry, checkDocumentType } from './document-rules.ts';
import { auditEvent, LegalEvents } from './legal-events.ts';
import { RequirementsService } from './requirements.service.ts';
import { afterIdFrom, checkId, pageOf, pageSize, requireIds } from './validation.ts';

const clientDetails = (client: ClientInfo | undefined) => ({
  ip_address: client?.ipAddress || null,
  user_agent: client?.userAgent || null,
});

/**
 * Consents: one current consent per account and document type, every grant and withdrawal kept in
 * the append-only history. A type required in the account's country cannot be withdrawn: leaving
 * the service means deleting the account (which erases consents through a DSR).
 */
@Injectable()
export class ConsentService {
  readonly #db: Kysely<LegalDatabase>;
  readonly #consents: ConsentRepository;
  readonly #documents: DocumentRepository;
  readonly #identity: IdentityRepository;
  readonly #requirements: RequirementsService;
  readonly #clock: Clock;

  constructor(
    @Inject(DATABASE) db: Kysely<LegalDatabase>,
    @Inject(ConsentRepository) consents: ConsentRepository,
    @Inject(DocumentRepository) documents: DocumentRepository,
    @Inject(IdentityRepository) identity: IdentityRepository,
    @Inject(RequirementsService) requirements: RequirementsService,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#db = db;
    this.#consents = consents;
    this.#documents = documents;
    this.#identity = identity;
    this.#requirements = requirements;
    this.#clock = clock;
  }

  async grant(
    caller: Caller,
    request: GrantConsentRequest,
  ): Promise<MessageInitShape<typeof GrantConsentResponseSchema>> {
    requireIds({ account_id: request.accountId, document_id: request.documentId });
    return this.#db.transaction().execute(async (tx) => {
      // Shared lock: the document cannot be archived between this check and the commit.
      const document = await this.#documents.findByIdForShare(request.documentId, tx);
      if (document === undefined || document.status === 'DRAFT') {
        throw new DomainError('NOT_FOUND', 'DOCUMENT_NOT_FOUND', 'No such document');
      }
      assertThat(
        document.status === 'ACTIVE',
        'FAILED_PRECONDITION',
        'DOCUMENT_NOT_ACTIVE',
        `${document.type} ${document.version} is no longer in force; accept the current version`,
      );
      const current = await this.#consents.findForUpdate(request.accountId, document.type, tx);
      if (current?.status === 'GRANTED' && current.document_id === document.id) {
        return { consent: toConsent(current) }; // already given: one grant, one history entry
      }
      const now = this.#clock.now();
      const consent = await this.#consents.upsert(
        {
          account_id: request.accountId,
          document_type: document.type,
          document_id: document.id,
          document_version: document.version,
          document_country: document.country,
          document_locale: document.locale,
          status: 'GRANTED',
          granted_at: now,
          withdrawn_at: null,
          updated_at: now,
        },
        tx,
      );
      const entry = await this.#consents.appendHistory(
        {
          id: uuidv7(),
          account_id: request.accountId,
          action: 'GRANTED',
          document_type: document.type,
          document_id: document.id,
          document_version: document.version,
          document_country: document.country,
          document_locale: document.locale,
          content_hash: document.content_hash,
          ...clientDetails(request.client),
          occurred_at: now,
        },
        tx,
      );
      await appendEvents(tx, [
        LegalEvents.consent('granted', consent, entry),
        this.#audit('consent.grant', caller, request.accountId, request.client, now, 'SUCCESS', {
          document_type: document.type,
          document_id: document.id,
          version: document.version,
        }),
      ]);
      return { consent: toConsent(consent) };
    });
  }

  async withdraw(
    caller: Caller,
    request: WithdrawConsentRequest,
  ): Promise<MessageInitShape<typeof WithdrawConsentResponseSchema>> {
    const v = new Violations();
    checkId(v, 'account_id', request.accountId);
    checkDocumentType(v, 'document_type', request.documentType);
    v.throwIfAny();
    const country = await this.#identity.countryOf(request.accountId);
    const required = await this.#requirements.for(country, '');
    if (required.types.includes(request.documentType)) {
      const now = this.#clock.now();
      await appendEvents(this.#db, [
        this.#audit(
          'consent.withdraw',
          caller,
          request.accountId,
          request.client,
          now,
          'DENIED',
          {
            document_type: request.documentType,
            country,
          },
          'REQUIRED_CONSENT',
        ),
      ]);
      throw new DomainError(
        'FAILED_PRECONDITION',
        'REQUIRED_CONSENT',
        `${request.documentType} is required to use the service in ${country || 'every country'}` +
          (required.rules.laws.length > 0 ? ` (${required.rules.laws.join(', ')})` : '') +
          '; to withdraw it, delete the account',
      );
    }
    return this.#db.transaction().execute(async (tx) => {
      const current = await this.#consents.findForUpdate(request.accountId, request.documentType, tx);
      assertThat(
        current,
        'NOT_FOUND',
        'CONSENT_NOT_FOUND',
        `No consent for ${request.documentType} was given`,
      );
      if (current.status === 'WITHDRAWN') return { consent: toConsent(current) };
      const document = await this.#documents.findById(current.document_id, tx);
      const now = this.#clock.now();
      const consent = await this.#consents.withdraw(request.accountId, request.documentType, now, tx);
      const entry = await this.#consents.appendHistory(
        {
          id: uuidv7(),
          account_id: request.accountId,
          action: 'WITHDRAWN',
          document_type: current.document_type,
          document_id: current.document_id,
          document_version: current.document_version,
          document_country: current.document_country,
          document_locale: current.document_locale,
          content_hash: document?.content_hash ?? '',
          ...clientDetails(request.client),
          occurred_at: now,
        },
        tx,
      );
      await appendEvents(tx, [
        LegalEvents.consent('withdrawn', consent, entry),
        this.#audit('consent.withdraw', caller, request.accountId, request.client, now, 'SUCCESS', {
          document_type: current.document_type,
          document_id: current.document_id,
        }),
      ]);
      return { consent: toConsent(consent) };
    });
  }

  async list(request: ListConsentsRequest): Promise<MessageInitShape<typeof ListConsentsResponseSchema>> {
    requireIds({ account_id: request.accountId });
    return { consents: (await this.#consents.listForAccount(request.accountId)).map(toConsent) };
  }

  async history(
    request: GetConsentHistoryRequest,
  ): Promise<MessageInitShape<typeof GetConsentHistoryResponseSchema>> {
    const v = new Violations();
    checkId(v, 'account_id', request.accountId);
    const afterId = afterIdFrom(v, request.page?.pageToken ?? '');
    v.throwIfAny();
    const limit = pageSize(request.page?.pageSize);
    const rows = await this.#consents.history(request.accountId, {
      limit: limit + 1,
      ...(afterId === undefined ? {} : { afterId }),
    });
    const { page, next } = pageOf(rows, limit);
    return { entries: page.map(toHistoryEntry), page: { nextPageToken: next } };
  }

  /** The required documents the account lacks in the country (identity's, when none is given). */
  async check(request: CheckConsentsRequest): Promise<MessageInitShape<typeof CheckConsentsResponseSchema>> {
    const v = new Violations();
    checkId(v, 'account_id', request.accountId);
    if (request.country !== '') checkCountry(v, 'country', request.country);
    const locale = request.locale === '' ? '' : canonicalLocale(v, 'locale', request.locale);
    v.throwIfAny();
    const country =
      request.country !== '' ? request.country : await this.#identity.countryOf(request.accountId);
    const required = await this.#requirements.for(country, locale ?? '');
    const consents = new Map(
      (await this.#consents.listForAccount(request.accountId)).map((consent) => [
        consent.document_type,
        consent,
      ]),
    );
    const gaps = required.documents.flatMap((document) => {
      const consent = consents.get(document.type);
      const reason = consentGap(
        consent === undefined
          ? undefined
          : {
              status: consent.status,
              documentId: consent.document_id,
              version: consent.document_version,
              country: consent.document_country,
            },
        document,
      );
      return reason === undefined ? [] : [toConsentGap(document, reason, consent?.document_version ?? '')];
    });
    return {
      gaps,
      rules: {
        country: required.rules.country,
        laws: required.rules.laws,
        minimumAge: required.rules.minimumAge,
        parentalConsentAge: required.rules.parentalConsentAge,
        missingDocumentTypes: required.missing,
      },
    };
  }

  #audit(
    action: string,
    caller: Caller,
    accountId: string,
    client: ClientInfo | undefined,
    now: Date,
    result: 'SUCCESS' | 'DENIED',
    metadata: Record<string, string>,
    reason?: string,
  ) {
    return auditEvent({
      action,
      actorId: accountOf(caller) ?? '',
      targetType: 'account',
      targetId: accountId,
      result,
      now,
      client,
      metadata,
      ...(reason === undefined ? {} : { reason }),
    });
  }
}
