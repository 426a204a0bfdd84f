import {
  type ArchiveDocumentRequest,
  type CreateDocumentRequest,
  type GetDocumentRequest,
  LegalService,
  type ListDocumentsRequest,
  type PublishDocumentRequest,
  type RequiredConsentsRequest,
} from '@girok/contracts/legal/v1/legal';
import { RestRpc, RpcRequest } from '@girok/kit/http';
import { Controller, Headers, Inject } from '@nestjs/common';
import { Authenticator, Permission } from '../services/authenticator.ts';
import { DocumentService } from '../services/document.service.ts';

const rpc = LegalService.method;

@Controller('v1')
export class DocumentsController {
  readonly #auth: Authenticator;
  readonly #documents: DocumentService;

  constructor(
    @Inject(Authenticator) auth: Authenticator,
    @Inject(DocumentService) documents: DocumentService,
  ) {
    this.#auth = auth;
    this.#documents = documents;
  }

  @RestRpc('POST', 'documents', rpc.createDocument, {
    status: 201,
    summary: 'Draft a legal document version',
  })
  async create(
    @Headers('authorization') token: string | undefined,
    @RpcRequest() request: CreateDocumentRequest,
  ) {
    return this.#documents.create(await this.#auth.require(token, Permission.documents), request);
  }

  @RestRpc('GET', 'documents', rpc.listDocuments, { summary: 'List documents (filters, keyset paged)' })
  async list(
    @Headers('authorization') token: string | undefined,
    @RpcRequest() request: ListDocumentsRequest,
  ) {
    return this.#documents.list(await this.#auth.caller(token), request);
  }

  @RestRpc('GET', 'documents/:documentId', rpc.getDocument, { summary: 'Get a document' })
  async get(@Headers('authorization') token: string | undefined, @RpcRequest() request: GetDocumentRequest) {
    return this.#documents.get(await this.#auth.caller(token), request);
  }

  @RestRpc('POST', 'documents/:documentId/publish', rpc.publishDocument, {
    summary: 'Put a draft in force; the one it replaces is archived',
  })
  async publish(
    @Headers('authorization') token: string | undefined,
    @RpcRequest() request: PublishDocumentRequest,
  ) {
    return this.#documents.publish(await this.#auth.require(token, Permission.documents), request);
  }

  @RestRpc('POST', 'documents/:documentId/archive', rpc.archiveDocument, { summary: 'Archive a document' })
  async archive(
    @Headers('authorization') token: string | undefined,
    @RpcRequest() request: ArchiveDocumentRequest,
  ) {
    return this.#documents.archive(await this.#auth.require(token, Permission.documents), request);
  }

  // Public: sign-up asks before the account and its token exist; only ACTIVE documents come back.
  @RestRpc('GET', 'required-consents', rpc.requiredConsents, {
    summary: 'What sign-up in a country must show (no token needed)',
  })
  requiredConsents(@RpcRequest() request: RequiredConsentsRequest) {
    return this.#documents.requiredConsents(request);
  }
}
