import { LegalService } from '@girok/contracts/legal/v1/legal';
import type { ServiceHandlers } from '@girok/kit/grpc';
import { Inject, Injectable } from '@nestjs/common';
import { Authenticator, Permission } from '../services/authenticator.ts';
import { ConsentService } from '../services/consent.service.ts';
import { DocumentService } from '../services/document.service.ts';
import { DsrService } from '../services/dsr.service.ts';
import { LawService } from '../services/law.service.ts';

/**
 * `girok.legal.v1.LegalService` over gRPC: one line per RPC — who may call it, then the service.
 * Every RPC needs an access token in the `authorization` metadata except RequiredConsents.
 */
@Injectable()
export class LegalGrpcHandlers {
  readonly service = LegalService;
  // Required: a method of the contract without a handler is a compile error, never UNIMPLEMENTED.
  readonly handlers: Required<ServiceHandlers<typeof LegalService>>;

  constructor(
    @Inject(Authenticator) auth: Authenticator,
    @Inject(DocumentService) documents: DocumentService,
    @Inject(ConsentService) consents: ConsentService,
    @Inject(LawService) laws: LawService,
    @Inject(DsrService) dsrs: DsrService,
  ) {
    this.handlers = {
      createDocument: async (r, call) => documents.create(await auth.require(call, Permission.documents), r),
      getDocument: async (r, call) => documents.get(await auth.caller(call), r),
      listDocuments: async (r, call) => documents.list(await auth.caller(call), r),
      publishDocument: async (r, call) =>
        documents.publish(await auth.require(call, Permission.documents), r),
      archiveDocument: async (r, call) =>
        documents.archive(await auth.require(call, Permission.documents), r),
      // Public: sign-up asks before the account and its token exist; only ACTIVE documents come back.
      requiredConsents: (r) => documents.requiredConsents(r),
      grantConsent: async (r, call) => consents.grant(await auth.self(call, r.accountId), r),
      withdrawConsent: async (r, call) => consents.withdraw(await auth.self(call, r.accountId), r),
      listConsents: async (r, call) => {
        await auth.selfOr(call, r.accountId, Permission.accounts);
        return consents.list(r);
      },
      getConsentHistory: async (r, call) => {
        await auth.selfOr(call, r.accountId, Permission.accounts);
        return consents.history(r);
      },
      checkConsents: async (r, call) => {
        await auth.selfOr(call, r.accountId, Permission.accounts);
        return consents.check(r);
      },
      listLaws: async (r, call) => {
        await auth.caller(call);
        return laws.list(r);
      },
      getLaw: async (r, call) => {
        await auth.caller(call);
        return laws.get(r);
      },
      updateLaw: async (r, call) => laws.update(await auth.require(call, Permission.laws), r),
      fileDsr: async (r, call) => dsrs.file(await auth.selfOr(call, r.accountId, Permission.dsrs), r),
      getDsr: async (r, call) => dsrs.get(await auth.caller(call), r),
      listDsrs: async (r, call) => dsrs.list(await auth.caller(call), r),
      updateDsrStatus: async (r, call) => dsrs.updateStatus(await auth.require(call, Permission.dsrs), r),
      getDsrExport: async (r, call) => dsrs.export(await auth.caller(call), r),
    };
  }
}
