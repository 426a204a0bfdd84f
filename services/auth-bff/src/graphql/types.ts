import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { Sanction } from '@girok/contracts/auth/v1/auth';
import { SanctionType } from '@girok/contracts/auth/v1/auth';
import {
  type Account,
  AccountMode,
  AccountStatus,
  type Device,
  type Session,
} from '@girok/contracts/identity/v1/identity';
import { Field, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { Caller, LoginOutcome, LoginStatus } from '../services/browser-session.service.ts';
import type { SignUpStatus } from '../services/sign-up.service.ts';
import { ConsentGapView } from './legal.types.ts';

// Code-first schema. Every field names its type explicitly: the packages are compiled without
// emitDecoratorMetadata (ADR 0006).

export const LoginStatusEnum = {
  AUTHENTICATED: 'AUTHENTICATED',
  MFA_REQUIRED: 'MFA_REQUIRED',
  MFA_ENROLLMENT_REQUIRED: 'MFA_ENROLLMENT_REQUIRED',
} as const;
registerEnumType(LoginStatusEnum, {
  name: 'LoginStatus',
  description:
    'AUTHENTICATED: signed in. MFA_REQUIRED: finish with verifyMfa. MFA_ENROLLMENT_REQUIRED: an admin or operator must enrol an authenticator first.',
});

export const SignUpStatusEnum = { SIGNED_UP: 'SIGNED_UP' } as const;
registerEnumType(SignUpStatusEnum, {
  name: 'SignUpStatus',
  description: 'SIGNED_UP: log in next with the same email and password.',
});

const date = (t: Timestamp | undefined): Date | null => (t === undefined ? null : timestampDate(t));
const enumName = (names: Record<number, string>, value: number) => names[value] ?? 'UNSPECIFIED';

@ObjectType()
export class AccountView {
  @Field(() => ID) id!: string;
  @Field(() => String) email!: string;
  @Field(() => String) username!: string;
  @Field(() => String, { description: 'ACTIVE, PENDING_DELETION' }) status!: string;
  @Field(() => String, { description: 'USER, ADMIN or OPERATOR' }) mode!: string;
  @Field(() => String) locale!: string;
  @Field(() => String) country!: string;
  @Field(() => Boolean) mfaEnabled!: boolean;
  @Field(() => Boolean) mfaEnrollmentRequired!: boolean;
  @Field(() => GraphQLISODateTime, { nullable: true }) createdAt!: Date | null;

  static of(account: Account): AccountView {
    return Object.assign(new AccountView(), {
      id: account.id,
      email: account.email,
      username: account.username,
      status: enumName(AccountStatus, account.status),
      mode: enumName(AccountMode, account.mode),
      locale: account.locale,
      country: account.country,
      mfaEnabled: account.mfaEnabled,
      mfaEnrollmentRequired: account.mfaEnrollmentRequired,
      createdAt: date(account.createdAt),
    });
  }
}

@ObjectType({ description: 'The signed-in caller' })
export class MeView {
  @Field(() => AccountView) account!: AccountView;
  @Field(() => ID) sessionId!: string;
  @Field(() => String, {
    nullable: true,
    description: 'USER_ACCESS, ADMIN_ACCESS or OPERATOR_ACCESS; null while restricted',
  })
  tokenType!: string | null;
  @Field(() => [String]) scope!: string[];
  @Field(() => Boolean, {
    description: 'True until an admin or operator has enrolled MFA and logged in again',
  })
  restricted!: boolean;
  @Field(() => String, { description: 'Echo it in the x-csrf-token header of every mutation' })
  csrfToken!: string;

  static of(caller: Caller, account: Account): MeView {
    return Object.assign(new MeView(), {
      account: AccountView.of(account),
      sessionId: caller.session.sessionId,
      tokenType: caller.session.tokenType ?? null,
      scope: [...caller.session.scope],
      restricted: caller.claims === undefined,
      csrfToken: caller.session.csrfToken,
    });
  }
}

@ObjectType({ description: 'A warning or feature restriction in force: the client shows it' })
export class NoticeView {
  @Field(() => String) type!: string;
  @Field(() => String) reason!: string;
  @Field(() => [String]) features!: string[];
  @Field(() => GraphQLISODateTime, { nullable: true }) endsAt!: Date | null;

  static of(sanction: Sanction): NoticeView {
    return Object.assign(new NoticeView(), {
      type: enumName(SanctionType, sanction.type),
      reason: sanction.reason,
      features: sanction.features,
      endsAt: date(sanction.endsAt),
    });
  }
}

@ObjectType()
export class LoginResult {
  @Field(() => LoginStatusEnum) status!: LoginStatus;
  @Field(() => ID, { nullable: true, description: 'Set when status is MFA_REQUIRED' }) challengeId!:
    | string
    | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) challengeExpiresAt!: Date | null;
  @Field(() => Int, { nullable: true }) attemptsLeft!: number | null;
  @Field(() => MeView, { nullable: true }) me!: MeView | null;
  @Field(() => [NoticeView]) notices!: NoticeView[];
  @Field(() => [ConsentGapView], {
    description: 'Documents to accept (again) before going on, e.g. after a major version',
  })
  consentGaps!: ConsentGapView[];
  @Field(() => Boolean, { description: 'True when the consent check could not run; ask consentGaps later' })
  consentCheckDegraded!: boolean;

  static of(outcome: LoginOutcome): LoginResult {
    return Object.assign(new LoginResult(), {
      status: outcome.status,
      challengeId: outcome.challenge?.id ?? null,
      challengeExpiresAt: outcome.challenge?.expiresAt ?? null,
      attemptsLeft: outcome.challenge?.attemptsLeft ?? null,
      me:
        outcome.caller === undefined || outcome.account === undefined
          ? null
          : MeView.of(outcome.caller, outcome.account),
      notices: outcome.notices.map((n) => NoticeView.of(n)),
      consentGaps: outcome.consentGaps.flatMap((g) => ConsentGapView.of(g) ?? []),
      consentCheckDegraded: outcome.consentCheckDegraded,
    });
  }
}

@ObjectType({
  description:
    'The same for every accepted sign-up, whether or not the email already had an account (its owner is told): no session, no account id',
})
export class SignUpResult {
  @Field(() => SignUpStatusEnum) status!: SignUpStatus;

  static of(status: SignUpStatus): SignUpResult {
    return Object.assign(new SignUpResult(), { status });
  }
}

@ObjectType()
export class SessionView {
  @Field(() => ID) id!: string;
  @Field(() => ID) deviceId!: string;
  @Field(() => Boolean, { description: 'The session of this request' }) current!: boolean;
  @Field(() => GraphQLISODateTime, { nullable: true }) createdAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) lastUsedAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) idleExpiresAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) expiresAt!: Date | null;
  @Field(() => String) ipAddress!: string;
  @Field(() => String) userAgent!: string;
  @Field(() => Boolean) mfaVerified!: boolean;

  static of(session: Session, currentSessionId: string): SessionView {
    return Object.assign(new SessionView(), {
      id: session.id,
      deviceId: session.deviceId,
      current: session.id === currentSessionId,
      createdAt: date(session.createdAt),
      lastUsedAt: date(session.lastUsedAt),
      idleExpiresAt: date(session.idleExpiresAt),
      expiresAt: date(session.expiresAt),
      ipAddress: session.ipAddress,
      userAgent: session.userAgent,
      mfaVerified: session.mfaVerified,
    });
  }
}

@ObjectType()
export class DeviceView {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => Boolean) trusted!: boolean;
  @Field(() => GraphQLISODateTime, { nullable: true }) firstSeenAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) lastSeenAt!: Date | null;
  @Field(() => String) lastIpAddress!: string;

  static of(device: Device): DeviceView {
    return Object.assign(new DeviceView(), {
      id: device.id,
      name: device.name,
      trusted: device.trusted,
      firstSeenAt: date(device.firstSeenAt),
      lastSeenAt: date(device.lastSeenAt),
      lastIpAddress: device.lastIpAddress,
    });
  }
}

@ObjectType()
export class TotpEnrollmentView {
  @Field(() => String, { description: 'Base32, for manual entry' }) secret!: string;
  @Field(() => String, { description: 'otpauth:// URI for a QR code' }) provisioningUri!: string;
}

@ObjectType({ description: 'A change to sessions or devices, pushed live' })
export class SessionChangeView {
  @Field(() => String, {
    description: 'e.g. session.created, session.revoked, device.revoked, session.expiring',
  })
  type!: string;
  @Field(() => ID) accountId!: string;
  @Field(() => ID, { nullable: true }) sessionId!: string | null;
  @Field(() => ID, { nullable: true }) deviceId!: string | null;
  @Field(() => GraphQLISODateTime) occurredAt!: Date;
  @Field(() => Boolean, { description: "The subscriber's own session" }) current!: boolean;
}

@InputType()
export class SignUpInput {
  @Field(() => String) email!: string;
  @Field(() => String) username!: string;
  @Field(() => String) password!: string;
  @Field(() => String, { defaultValue: 'en-US' }) locale!: string;
  @Field(() => String, { description: 'ISO 3166-1 alpha-2' }) country!: string;
  @Field(() => String, { defaultValue: '' }) displayName!: string;
  @Field(() => [ID], {
    defaultValue: [],
    description: 'Documents accepted on the form: every required one (requiredConsents)',
  })
  consents!: string[];
}

@InputType()
export class LoginInput {
  @Field(() => String, { description: 'Email or username' }) identifier!: string;
  @Field(() => String) password!: string;
}

@InputType()
export class MfaInput {
  @Field(() => ID) challengeId!: string;
  @Field(() => String, { nullable: true }) totpCode?: string;
  @Field(() => String, { nullable: true }) backupCode?: string;
}

@InputType()
export class ChangePasswordInput {
  @Field(() => String) currentPassword!: string;
  @Field(() => String) newPassword!: string;
}
