import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ClientInfo, ClientInfoSchema } from '@girok/contracts/common/v1/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The browser's three cookies. `__Host-` pins each to this origin (Secure, Path=/, no Domain), so
 * no sibling subdomain can plant or read them.
 * - session: opaque, httpOnly; the key of the encrypted backend tokens in the store.
 * - csrf: readable by the page, echoed in `x-csrf-token` on every state-changing request.
 * - device: httpOnly, long-lived; identifies this browser to identity-service's device list.
 */
export const SESSION_COOKIE = '__Host-girok_session';
export const CSRF_COOKIE = '__Host-girok_csrf';
export const DEVICE_COOKIE = '__Host-girok_device';
export const CSRF_HEADER = 'x-csrf-token';

const DEVICE_MAX_AGE_SECONDS = 400 * 24 * 3600;
/** What randomToken mints. */
const DEVICE_ID = /^[A-Za-z0-9_-]{43}$/;

export const randomToken = (): string => randomBytes(32).toString('base64url');

/** What the store is keyed by: a hash, so a leaked store dump holds no usable cookie. */
export const sessionHandle = (cookie: string): string =>
  createHash('sha256').update(cookie).digest('base64url');

export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || a === '' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

const base = { path: '/', secure: true, sameSite: 'strict' } as const;

export function setSessionCookies(
  reply: FastifyReply,
  cookie: string,
  csrfToken: string,
  maxAgeSeconds: number,
): void {
  reply.setCookie(SESSION_COOKIE, cookie, { ...base, httpOnly: true, maxAge: maxAgeSeconds });
  reply.setCookie(CSRF_COOKIE, csrfToken, { ...base, httpOnly: false, maxAge: maxAgeSeconds });
}

export function setCsrfCookie(reply: FastifyReply, csrfToken: string): void {
  reply.setCookie(CSRF_COOKIE, csrfToken, { ...base, httpOnly: false });
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, base);
  reply.clearCookie(CSRF_COOKIE, base);
}

/** The browser's device id, minted on its first visit. */
export function deviceIdOf(request: FastifyRequest, reply: FastifyReply): string {
  const existing = request.cookies[DEVICE_COOKIE];
  if (existing !== undefined && DEVICE_ID.test(existing)) return existing;
  const minted = randomToken();
  reply.setCookie(DEVICE_COOKIE, minted, { ...base, httpOnly: true, maxAge: DEVICE_MAX_AGE_SECONDS });
  // Later reads in this request see it too.
  request.cookies[DEVICE_COOKIE] = minted;
  return minted;
}

/** What identity-service records about the caller's client: never the raw device cookie. */
export function clientInfo(
  request: FastifyRequest,
  reply: FastifyReply,
): MessageInitShape<typeof ClientInfoSchema> {
  return describeClient(request, deviceIdOf(request, reply));
}

/**
 * clientInfo for an answer that must set no cookie (sign-up: a cookie minted for one answer and
 * not the other would be a difference): the device only if the browser already has its id.
 */
export function clientInfoWithoutCookies(request: FastifyRequest): MessageInitShape<typeof ClientInfoSchema> {
  const existing = request.cookies[DEVICE_COOKIE];
  return describeClient(request, existing !== undefined && DEVICE_ID.test(existing) ? existing : undefined);
}

function describeClient(
  request: FastifyRequest,
  deviceId: string | undefined,
): MessageInitShape<typeof ClientInfoSchema> {
  const userAgent = String(request.headers['user-agent'] ?? '').slice(0, 512);
  return {
    ipAddress: request.clientAddress,
    userAgent,
    deviceFingerprint: deviceId === undefined ? '' : createHash('sha256').update(deviceId).digest('hex'),
    deviceName: deviceName(userAgent),
  };
}

function deviceName(userAgent: string): string {
  const browser = /(Firefox|Edg|Chrome|Safari)\/[\d.]+/.exec(userAgent)?.[1] ?? 'Browser';
  const os = /(Windows|Mac OS X|Android|iPhone|iPad|Linux)/.exec(userAgent)?.[1] ?? 'unknown OS';
  return `${browser === 'Edg' ? 'Edge' : browser} on ${os}`;
}

export type { ClientInfo };
