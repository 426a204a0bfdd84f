import { type Timestamp, timestampDate } from '@bufbuild/protobuf/wkt';
import { type AuditEvent, AuditResult } from '@girok/contracts/common/v1/common';
import { DsrType } from '@girok/contracts/legal/v1/dsr';
import {
  type ApplicableRules,
  type Consent,
  ConsentAction,
  type ConsentGap,
  ConsentGapReason,
  type ConsentHistoryEntry,
  ConsentStatus,
  type Document,
  type Dsr,
  DsrEscalation,
  DsrStatus,
} from '@girok/contracts/legal/v1/legal';
import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { AuditPage } from '../services/admin-audit.service.ts';

// The legal and audit parts of the schema; names follow the contracts, enums as their short names.

const date = (t: Timestamp | undefined): Date | null => (t === undefined ? null : timestampDate(t));
const name = (names: Record<number, string>, value: number) => names[value] ?? 'UNSPECIFIED';

export const DsrTypeEnum = {
  ACCESS: DsrType.ACCESS,
  RECTIFICATION: DsrType.RECTIFICATION,
  ERASURE: DsrType.ERASURE,
  RESTRICTION: DsrType.RESTRICTION,
  PORTABILITY: DsrType.PORTABILITY,
  OBJECTION: DsrType.OBJECTION,
} as const;
registerEnumType(DsrTypeEnum, { name: 'DsrType', description: 'What a data-subject request asks for' });

@ObjectType({ description: 'One version of a legal text' })
export class DocumentView {
  @Field(() => ID) id!: string;
  @Field(() => String) type!: string;
  @Field(() => String) version!: string;
  @Field(() => String) locale!: string;
  @Field(() => String) country!: string;
  @Field(() => String) title!: string;
  @Field(() => String) content!: string;
  @Field(() => String) contentHash!: string;
  @Field(() => Boolean) required!: boolean;

  static of(d: Document): DocumentView {
    return Object.assign(new DocumentView(), {
      id: d.id,
      type: d.type,
      version: d.version,
      locale: d.locale,
      country: d.country,
      title: d.title,
      content: d.content,
      contentHash: d.contentHash,
      required: d.required,
    });
  }
}

@ObjectType({ description: 'What sign-up in a country must collect' })
export class RequiredConsentsView {
  @Field(() => [DocumentView]) documents!: DocumentView[];
  @Field(() => [String]) laws!: string[];
  @Field(() => Int) minimumAge!: number;
  @Field(() => Int) parentalConsentAge!: number;

  static of(documents: Document[], rules: ApplicableRules | undefined): RequiredConsentsView {
    return Object.assign(new RequiredConsentsView(), {
      documents: documents.map((d) => DocumentView.of(d)),
      laws: rules?.laws ?? [],
      minimumAge: rules?.minimumAge ?? 0,
      parentalConsentAge: rules?.parentalConsentAge ?? 0,
    });
  }
}

@ObjectType({ description: 'A document to (re-)accept' })
export class ConsentGapView {
  @Field(() => DocumentView) document!: DocumentView;
  @Field(() => String, { description: 'NEVER_ACCEPTED, MAJOR_VERSION_CHANGED or WITHDRAWN' }) reason!: string;
  @Field(() => String) acceptedVersion!: string;

  static of(gap: ConsentGap): ConsentGapView | undefined {
    if (gap.document === undefined) return undefined;
    return Object.assign(new ConsentGapView(), {
      document: DocumentView.of(gap.document),
      reason: name(ConsentGapReason, gap.reason),
      acceptedVersion: gap.acceptedVersion,
    });
  }
}

@ObjectType()
export class ConsentView {
  @Field(() => String) documentType!: string;
  @Field(() => ID) documentId!: string;
  @Field(() => String) documentVersion!: string;
  @Field(() => String, { description: 'GRANTED or WITHDRAWN' }) status!: string;
  @Field(() => GraphQLISODateTime, { nullable: true }) grantedAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) withdrawnAt!: Date | null;

  static of(c: Consent): ConsentView {
    return Object.assign(new ConsentView(), {
      documentType: c.documentType,
      documentId: c.documentId,
      documentVersion: c.documentVersion,
      status: name(ConsentStatus, c.status),
      grantedAt: date(c.grantedAt),
      withdrawnAt: date(c.withdrawnAt),
    });
  }
}

@ObjectType()
export class ConsentHistoryView {
  @Field(() => String, { description: 'GRANTED or WITHDRAWN' }) action!: string;
  @Field(() => String) documentType!: string;
  @Field(() => String) documentVersion!: string;
  @Field(() => String) contentHash!: string;
  @Field(() => GraphQLISODateTime, { nullable: true }) occurredAt!: Date | null;

  static of(e: ConsentHistoryEntry): ConsentHistoryView {
    return Object.assign(new ConsentHistoryView(), {
      action: name(ConsentAction, e.action),
      documentType: e.documentType,
      documentVersion: e.documentVersion,
      contentHash: e.contentHash,
      occurredAt: date(e.occurredAt),
    });
  }
}

@ObjectType({ description: 'A data-subject request' })
export class DsrView {
  @Field(() => ID) id!: string;
  @Field(() => String) type!: string;
  @Field(() => String, { description: 'RECEIVED, IN_PROGRESS, COMPLETED or REJECTED' }) status!: string;
  @Field(() => String) details!: string;
  @Field(() => GraphQLISODateTime, { nullable: true }) deadlineAt!: Date | null;
  @Field(() => String, { description: 'NONE, WARNING, CRITICAL or OVERDUE' }) escalation!: string;
  @Field(() => Boolean) exportReady!: boolean;
  @Field(() => GraphQLISODateTime, { nullable: true }) createdAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) completedAt!: Date | null;

  static of(d: Dsr): DsrView {
    return Object.assign(new DsrView(), {
      id: d.id,
      type: name(DsrType, d.type),
      status: name(DsrStatus, d.status),
      details: d.details,
      deadlineAt: date(d.deadlineAt),
      escalation: name(DsrEscalation, d.escalation),
      exportReady: d.exportReady,
      createdAt: date(d.createdAt),
      completedAt: date(d.completedAt),
    });
  }
}

@ObjectType()
export class AuditEventView {
  @Field(() => ID) id!: string;
  @Field(() => GraphQLISODateTime, { nullable: true }) occurredAt!: Date | null;
  @Field(() => String) service!: string;
  @Field(() => String) action!: string;
  @Field(() => String) actorId!: string;
  @Field(() => String) targetType!: string;
  @Field(() => String) targetId!: string;
  @Field(() => String, { description: 'SUCCESS, FAILURE or DENIED' }) result!: string;
  @Field(() => String) reason!: string;
  @Field(() => String) ipAddress!: string;

  static of(e: AuditEvent): AuditEventView {
    return Object.assign(new AuditEventView(), {
      id: e.id,
      occurredAt: date(e.occurredAt),
      service: e.service,
      action: e.action,
      actorId: e.actorId,
      targetType: e.targetType,
      targetId: e.targetId,
      result: name(AuditResult, e.result),
      reason: e.reason,
      ipAddress: e.ipAddress,
    });
  }
}

@ObjectType()
export class AuditPageView {
  @Field(() => [AuditEventView]) events!: AuditEventView[];
  @Field(() => String, { description: 'Empty on the last page' }) nextPageToken!: string;
  @Field(() => Boolean, {
    description: 'True when the audit store is unavailable and this is the empty safe default',
  })
  degraded!: boolean;

  static of(page: AuditPage): AuditPageView {
    return Object.assign(new AuditPageView(), {
      events: page.events.map((e) => AuditEventView.of(e)),
      nextPageToken: page.nextPageToken,
      degraded: page.degraded,
    });
  }
}
