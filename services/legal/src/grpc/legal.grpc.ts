import { LegalService } from '@girok/contracts/legal/v1/legal';
import type { ServiceHandlers } from '@girok/kit/grpc';
import { Inject, Injectable } from '@nestjs/common';
import { ConsentService } from '../services/consent.service.ts';
import { DocumentService } from '../services/document.service.ts';
import { DsrService } from '../services/dsr.service.ts';
import { LawService } from '../services/law.service.ts';

/**
 * `girok.legal.v1.LegalService`: one line per RPC, served by the kit on gRPC and REST alike behind
 * each RPC's access declaration (proto), so a handler only runs for a verified caller. What depends
 * on the row read (drafts, another account's DSR) the services decide from `call.caller`.
 */
@Injectable()
export class LegalGrpcHandlers {
  readonly service = LegalService;
  // Required: a method of the contract without a handler is a compile error, never UNIMPLEMENTED.
  readonly handlers: Required<ServiceHandlers<typeof LegalService>>;

  constructor(
    @Inject(DocumentService) documents: DocumentService,
    @Inject(ConsentService) consents: ConsentService,
    @Inject(LawService) laws: LawService,
    @Inject(DsrService) dsrs: DsrService,
  ) {
    this.handlers = {
      createDocument: (r, call) => documents.create(call.caller, r),
      getDocument: (r, call) => documents.get(call.caller, r),
      listDocuments: (r, call) => documents.list(call.caller, r),
      publishDocument: (r, call) => documents.publish(call.caller, r),
      archiveDocument: (r, call) => documents.archive(call.caller, r),
      requiredConsents: (r) => documents.requiredConsents(r),
      grantConsent: (r, call) => consents.grant(call.caller, r),
      withdrawConsent: (r, call) => consents.withdraw(call.caller, r),
      listConsents: (r) => consents.list(r),
      getConsentHistory: (r) => consents.history(r),
      checkConsents: (r) => consents.check(r),
      listLaws: (r) => laws.list(r),
      getLaw: (r) => laws.get(r),
      updateLaw: (r, call) => laws.update(call.caller, r),
      fileDsr: (r, call) => dsrs.file(call.caller, r),
      getDsr: (r, call) => dsrs.get(call.caller, r),
      listDsrs: (r, call) => dsrs.list(call.caller, r),
      updateDsrStatus: (r, call) => dsrs.updateStatus(call.caller, r),
      getDsrExport: (r, call) => dsrs.export(call.caller, r),
    };
  }
}
