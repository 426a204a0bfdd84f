import { AuditCategory } from '@girok/contracts/audit/v1/audit';

/** How a category is stored in ClickHouse (part of the partition key, so never renamed). */
export type CategoryName = 'access' | 'consent' | 'admin' | 'other';

export const CATEGORY_NAMES: readonly CategoryName[] = ['access', 'consent', 'admin', 'other'];

const TO_PROTO: Record<CategoryName, AuditCategory> = {
  access: AuditCategory.ACCESS,
  consent: AuditCategory.CONSENT,
  admin: AuditCategory.ADMIN,
  other: AuditCategory.OTHER,
};

export const categoryToProto = (name: CategoryName): AuditCategory => TO_PROTO[name];

export function isCategoryName(value: string): value is CategoryName {
  return (CATEGORY_NAMES as readonly string[]).includes(value);
}

// By the first segment of the dotted action name (`role.assign` → `role`). Admin actions first:
// they change what others may do. Checked in this order; anything unlisted is `other`.
const ADMIN = new Set([
  'role',
  'permission',
  'sanction',
  'operator_assignment',
  'signing_key',
  'legal_document',
  'document',
  'law',
  'admin',
]);
const CONSENT = new Set(['consent', 'dsr']);
const ACCESS = new Set(['account', 'session', 'mfa', 'device', 'token', 'credential', 'password']);

/**
 * The retention class of an audit event. Login and other access history and consent history are
 * kept five years (docs/architecture.md §3); admin actions as long, since they explain the access that followed;
 * the rest less (the policy is configuration, see the README).
 */
export function categoryOf(service: string, action: string): CategoryName {
  const head = action.split('.', 1)[0] ?? '';
  if (ADMIN.has(head)) return 'admin';
  if (CONSENT.has(head) || service === 'legal-service') return 'consent';
  if (ACCESS.has(head)) return 'access';
  return 'other';
}
