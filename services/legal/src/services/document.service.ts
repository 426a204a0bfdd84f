import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  ArchiveDocumentRequest,
  ArchiveDocumentResponseSchema,
  CreateDocumentRequest,
  CreateDocumentResponseSchema,
  GetDocumentRequest,
  GetDocumentResponseSchema,
  ListDocumentsRequest,
  ListDocumentsResponseSchema,
  PublishDocumentRequest,
  PublishDocumentResponseSchema,
  RequiredConsentsRequest,
  RequiredConsentsResponseSchema,
} from '@girok/contracts/legal/v1/legal';
import { DocumentStatus } from '@girok/contracts/legal/v1/legal';
import { isUniqueViolation } from '@girok/kit/db';
import { assertThat, DomainError, Violations } from '@girok/kit/errors';
import { uuidv7 } from '@girok/kit/ids';
import { appendEvents } from '@girok/kit/outbox';
import { accountOf, type Caller, holds } from '@girok/kit/rpc';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { documentStatusFromProto, toDocument } from '../dtos/legal.dto.ts';
import { DocumentRepository, type DocumentRow } from '../repositories/document.repository.ts';
import type { DocumentStatusValue, LegalDatabase } from '../schema/database.ts';
import { CLOCK, type Clock, DATABASE } from '../tokens.ts';
import {
  canonicalLocale,
  checkCountry,
  checkDocumentType,
  checkVersion,
  contentHash,
  isNewerVersion,
  MAX_CONTENT,
  MAX_TITLE,
} from './document-rules.ts';
import { auditEvent } from './legal-events.ts';
import { RequirementsService } from './requirements.service.ts';
import { afterIdFrom, pageOf, pageSize, requireIds } from './validation.ts';

/** Who may draft, publish and archive, and see drafts. */
const MANAGE_DOCUMENTS = 'legal_document:manage';

const documentNotFound = () => new DomainError('NOT_FOUND', 'DOCUMENT_NOT_FOUND', 'No such document');

/**
 * Legal documents: drafted, published (the previous one of the same type, country and locale is
 * archived in the same transaction), archived. At most one is ACTIVE per key — the partial unique
 * index `documents_one_active` holds that whoever writes.
 */
@Injectable()
export class DocumentService {
  readonly #db: Kysely<LegalDatabase>;
  readonly #documents: DocumentRepository;
  readonly #requirements: RequirementsService;
  readonly #clock: Clock;

  constructor(
    @Inject(DATABASE) db: Kysely<LegalDatabase>,
    @Inject(DocumentRepository) documents: DocumentRepository,
    @Inject(RequirementsService) requirements: RequirementsService,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.#db = db;
    this.#documents = documents;
    this.#requirements = requirements;
    this.#clock = clock;
  }

  async create(
    caller: Caller,
    request: CreateDocumentRequest,
  ): Promise<MessageInitShape<typeof CreateDocumentResponseSchema>> {
    const v = new Violations();
    checkDocumentType(v, 'type', request.type);
    checkVersion(v, 'version', request.version);
    const locale = canonicalLocale(v, 'locale', request.locale);
    checkCountry(v, 'country', request.country, true);
    v.check(
      request.title.trim() !== '' && request.title.length <= MAX_TITLE,
      'title',
      `must be 1-${MAX_TITLE} characters`,
    );
    v.check(
      request.content.trim() !== '' && request.content.length <= MAX_CONTENT,
      'content',
      `must be 1-${MAX_CONTENT} characters`,
    );
    v.throwIfAny();
    const now = this.#clock.now();
    try {
      return await this.#db.transaction().execute(async (tx) => {
        const document = await this.#documents.insert(
          {
            id: uuidv7(),
            type: request.type,
            version: request.version,
            locale: locale ?? request.locale,
            country: request.country,
            title: request.title,
            content: request.content,
            content_hash: contentHash(request.content),
            required: request.required,
            status: 'DRAFT',
            created_by: accountOf(caller) ?? null,
            created_at: now,
          },
          tx,
        );
        await appendEvents(tx, [this.#audit('legal_document.create', document, caller, now)]);
        return { document: toDocument(document) };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'documents_version_key')) {
        throw new DomainError(
          'CONFLICT',
          'DOCUMENT_VERSION_EXISTS',
          `${request.type} ${request.version} already exists for ${request.country} ${locale}`,
          {
            fieldViolations: [
              { field: 'version', description: 'already exists for this type, country and locale' },
            ],
          },
        );
      }
      throw error;
    }
  }

  /** Drafts are visible to document managers only: to anyone else they do not exist. */
  async get(
    caller: Caller,
    request: GetDocumentRequest,
  ): Promise<MessageInitShape<typeof GetDocumentResponseSchema>> {
    requireIds({ document_id: request.documentId });
    const document = await this.#documents.findById(request.documentId);
    if (document === undefined || (document.status === 'DRAFT' && !holds(caller, MANAGE_DOCUMENTS))) {
      throw documentNotFound();
    }
    return { document: toDocument(document) };
  }

  async list(
    caller: Caller,
    request: ListDocumentsRequest,
  ): Promise<MessageInitShape<typeof ListDocumentsResponseSchema>> {
    const v = new Violations();
    if (request.type !== '') checkDocumentType(v, 'type', request.type);
    if (request.country !== '') checkCountry(v, 'country', request.country, true);
    const locale = request.locale === '' ? undefined : canonicalLocale(v, 'locale', request.locale);
    const status = documentStatusFromProto(request.status);
    v.check(
      request.status === DocumentStatus.UNSPECIFIED || status !== undefined,
      'status',
      'is not a document status',
    );
    const afterId = afterIdFrom(v, request.page?.pageToken ?? '');
    v.throwIfAny();
    const manager = holds(caller, MANAGE_DOCUMENTS);
    assertThat(
      status !== 'DRAFT' || manager,
      'PERMISSION_DENIED',
      'PERMISSION_DENIED',
      `Drafts need the ${MANAGE_DOCUMENTS} permission`,
    );
    const statuses: DocumentStatusValue[] =
      status !== undefined ? [status] : manager ? ['DRAFT', 'ACTIVE', 'ARCHIVED'] : ['ACTIVE', 'ARCHIVED'];
    const limit = pageSize(request.page?.pageSize);
    const rows = await this.#documents.list({
      statuses,
      limit: limit + 1,
      ...(request.type === '' ? {} : { type: request.type }),
      ...(request.country === '' ? {} : { country: request.country }),
      ...(locale === undefined ? {} : { locale }),
      ...(afterId === undefined ? {} : { afterId }),
    });
    const { page, next } = pageOf(rows, limit);
    return { documents: page.map(toDocument), page: { nextPageToken: next } };
  }

  async publish(
    caller: Caller,
    request: PublishDocumentRequest,
  ): Promise<MessageInitShape<typeof PublishDocumentResponseSchema>> {
    requireIds({ document_id: request.documentId });
    try {
      return await this.#db.transaction().execute(async (tx) => {
        const draft = await this.#documents.findByIdForUpdate(request.documentId, tx);
        if (draft === undefined) throw documentNotFound();
        assertThat(
          draft.status === 'DRAFT',
          'FAILED_PRECONDITION',
          'DOCUMENT_NOT_DRAFT',
          `Only a draft can be published; this document is ${draft.status}`,
        );
        await this.#documents.lockKey(draft, tx);
        const active = await this.#documents.findActiveForUpdate(draft, tx);
        assertThat(
          active === undefined || isNewerVersion(draft.version, active.version),
          'FAILED_PRECONDITION',
          'VERSION_NOT_NEWER',
          `${draft.version} does not follow the version in force (${active?.version})`,
        );
        const now = this.#clock.now();
        const archived =
          active === undefined
            ? undefined
            : await this.#documents.update(active.id, { status: 'ARCHIVED', archived_at: now }, tx);
        const published = await this.#documents.update(draft.id, { status: 'ACTIVE', published_at: now }, tx);
        await appendEvents(tx, [
          this.#audit('legal_document.publish', published, caller, now, {
            ...(archived === undefined
              ? {}
              : { archived_id: archived.id, archived_version: archived.version }),
          }),
        ]);
        return {
          document: toDocument(published),
          ...(archived === undefined ? {} : { archived: toDocument(archived) }),
        };
      });
    } catch (error) {
      // The advisory lock serialises publications; the index is the backstop.
      if (isUniqueViolation(error, 'documents_one_active')) {
        throw new DomainError(
          'CONFLICT',
          'DOCUMENT_ALREADY_ACTIVE',
          'Another version was published at the same moment',
        );
      }
      throw error;
    }
  }

  async archive(
    caller: Caller,
    request: ArchiveDocumentRequest,
  ): Promise<MessageInitShape<typeof ArchiveDocumentResponseSchema>> {
    requireIds({ document_id: request.documentId });
    return this.#db.transaction().execute(async (tx) => {
      const document = await this.#documents.findByIdForUpdate(request.documentId, tx);
      if (document === undefined) throw documentNotFound();
      if (document.status === 'ARCHIVED') return { document: toDocument(document) };
      const now = this.#clock.now();
      const archived = await this.#documents.update(
        document.id,
        { status: 'ARCHIVED', archived_at: now },
        tx,
      );
      await appendEvents(tx, [
        this.#audit('legal_document.archive', archived, caller, now, { previous_status: document.status }),
      ]);
      return { document: toDocument(archived) };
    });
  }

  /** Sign-up's question, asked before the account (and its token) exists. */
  async requiredConsents(
    request: RequiredConsentsRequest,
  ): Promise<MessageInitShape<typeof RequiredConsentsResponseSchema>> {
    const v = new Violations();
    checkCountry(v, 'country', request.country);
    const locale = request.locale === '' ? '' : canonicalLocale(v, 'locale', request.locale);
    v.throwIfAny();
    const required = await this.#requirements.for(request.country, locale ?? '');
    return {
      documents: required.documents.map(toDocument),
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
    document: DocumentRow,
    caller: Caller,
    now: Date,
    metadata: Record<string, string> = {},
  ) {
    return auditEvent({
      action,
      actorId: accountOf(caller) ?? '',
      targetType: 'legal_document',
      targetId: document.id,
      result: 'SUCCESS',
      now,
      metadata: {
        type: document.type,
        version: document.version,
        country: document.country,
        locale: document.locale,
        ...metadata,
      },
    });
  }
}
