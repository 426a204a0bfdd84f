import type { DomainError } from '@girok/kit/errors';
import { PROBLEM_CONTENT_TYPE, toProblemDetails } from '@girok/kit/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ExecutionResult, GraphQLError, GraphQLSchema } from 'graphql';
import { domainErrorOf, flattenErrors } from '../graphql/graphql-errors.ts';
import { restOpenApi } from './rest-openapi.ts';

type Verb = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * One REST route: a named GraphQL operation whose `result` is the response body. REST is a face
 * of the same operations (same guards, CSRF, errors), not a second implementation.
 */
export interface RestRoute {
  readonly method: Verb;
  readonly path: string;
  readonly summary: string;
  /** A GraphQL document; the response is its `result` field. */
  readonly document: string;
  /** Variables from the request: the body becomes `input` unless mapped otherwise. */
  readonly variables?: (request: FastifyRequest) => Record<string, unknown>;
  /** Name of the GraphQL input type the JSON body is (for the OpenAPI document). */
  readonly bodyType?: string;
}

const ME = `sessionId tokenType scope restricted csrfToken
  account { id email username status mode locale country mfaEnabled mfaEnrollmentRequired createdAt }`;
const LOGIN = `status challengeId challengeExpiresAt attemptsLeft notices { type reason features endsAt } me { ${ME} }`;
const SESSION =
  'id deviceId current createdAt lastUsedAt idleExpiresAt expiresAt ipAddress userAgent mfaVerified';
const DEVICE = 'id name trusted firstSeenAt lastSeenAt lastIpAddress';

const body = (request: FastifyRequest) => ({ input: request.body ?? {} });
const id = (request: FastifyRequest) => ({ id: (request.params as { id: string }).id });
const field = (name: string) => (request: FastifyRequest) => ({
  [name]: (request.body as Record<string, unknown> | undefined)?.[name],
});

export const REST_ROUTES: readonly RestRoute[] = [
  {
    method: 'GET',
    path: '/api/v1/csrf',
    summary: 'The CSRF token (sets the __Host-girok_csrf cookie)',
    document: 'query { result: csrfToken }',
  },
  {
    method: 'POST',
    path: '/api/v1/auth/sign-up',
    summary: 'Create an account, then log in (the answer is the same whether or not the email is taken)',
    document: 'mutation($input: SignUpInput!) { result: signUp(input: $input) { status } }',
    variables: body,
    bodyType: 'SignUpInput',
  },
  {
    method: 'POST',
    path: '/api/v1/auth/login',
    summary: 'Log in with a password',
    document: `mutation($input: LoginInput!) { result: login(input: $input) { ${LOGIN} } }`,
    variables: body,
    bodyType: 'LoginInput',
  },
  {
    method: 'POST',
    path: '/api/v1/auth/admin-login',
    summary: 'Admin console login',
    document: `mutation($input: LoginInput!) { result: adminLogin(input: $input) { ${LOGIN} } }`,
    variables: body,
    bodyType: 'LoginInput',
  },
  {
    method: 'POST',
    path: '/api/v1/auth/mfa',
    summary: 'Finish a login with a TOTP or backup code',
    document: `mutation($input: MfaInput!) { result: verifyMfa(input: $input) { ${LOGIN} } }`,
    variables: body,
    bodyType: 'MfaInput',
  },
  {
    method: 'POST',
    path: '/api/v1/auth/refresh',
    summary: 'A fresh access token now',
    document: `mutation { result: refreshSession { ${ME} } }`,
  },
  {
    method: 'POST',
    path: '/api/v1/auth/logout',
    summary: 'Log out (revokes the identity session)',
    document: 'mutation { result: logout }',
  },
  {
    method: 'GET',
    path: '/api/v1/me',
    summary: 'The signed-in caller',
    document: `query { result: me { ${ME} } }`,
  },
  {
    method: 'GET',
    path: '/api/v1/sessions',
    summary: 'Your sessions',
    document: `query { result: sessions { ${SESSION} } }`,
  },
  {
    method: 'DELETE',
    path: '/api/v1/sessions/:id',
    summary: 'End one of your sessions',
    document: 'mutation($id: ID!) { result: revokeSession(id: $id) }',
    variables: id,
  },
  {
    method: 'POST',
    path: '/api/v1/sessions/revoke-others',
    summary: 'End every other session',
    document: 'mutation { result: revokeOtherSessions }',
  },
  {
    method: 'GET',
    path: '/api/v1/devices',
    summary: 'Your devices',
    document: `query { result: devices { ${DEVICE} } }`,
  },
  {
    method: 'PATCH',
    path: '/api/v1/devices/:id',
    summary: 'Trust or untrust a device',
    document: `mutation($id: ID!, $trusted: Boolean!) { result: trustDevice(id: $id, trusted: $trusted) { ${DEVICE} } }`,
    variables: (r) => ({ ...id(r), ...field('trusted')(r) }),
  },
  {
    method: 'DELETE',
    path: '/api/v1/devices/:id',
    summary: 'Forget a device and end its sessions',
    document: 'mutation($id: ID!) { result: revokeDevice(id: $id) }',
    variables: id,
  },
  {
    method: 'POST',
    path: '/api/v1/password',
    summary: 'Change your password',
    document: 'mutation($input: ChangePasswordInput!) { result: changePassword(input: $input) }',
    variables: body,
    bodyType: 'ChangePasswordInput',
  },
  {
    method: 'POST',
    path: '/api/v1/mfa/totp',
    summary: 'Begin authenticator enrolment',
    document: 'mutation { result: beginTotpEnrollment { secret provisioningUri } }',
  },
  {
    method: 'POST',
    path: '/api/v1/mfa/totp/confirm',
    summary: 'Confirm the authenticator; returns backup codes',
    document: 'mutation($code: String!) { result: confirmTotpEnrollment(code: $code) }',
    variables: field('code'),
  },
  {
    method: 'POST',
    path: '/api/v1/mfa/backup-codes',
    summary: 'Replace the backup codes',
    document: 'mutation($code: String!) { result: regenerateBackupCodes(code: $code) }',
    variables: field('code'),
  },
  {
    method: 'DELETE',
    path: '/api/v1/mfa',
    summary: 'Turn MFA off (needs a code)',
    document: 'mutation($code: String!) { result: disableMfa(code: $code) }',
    variables: field('code'),
  },
];

type GraphqlRunner = (
  source: string,
  context: object,
  variables: Record<string, unknown>,
) => Promise<ExecutionResult>;

/**
 * Registers the REST face and its OpenAPI document (`/api/openapi.json`) on the BFF's Fastify
 * instance. The GraphQL schema and runner exist once Nest has started; routes look them up then.
 */
export function registerRestRoutes(fastify: FastifyInstance, schema: () => GraphQLSchema): void {
  let document: unknown;
  fastify.get('/api/openapi.json', async () => {
    document ??= restOpenApi(schema(), REST_ROUTES);
    return document;
  });
  for (const route of REST_ROUTES) {
    fastify.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        const run = (fastify as unknown as { graphql: GraphqlRunner }).graphql;
        let result: ExecutionResult;
        try {
          result = await run(route.document, { req: request, reply }, route.variables?.(request) ?? {});
        } catch (error) {
          // Parsing and validation failures come as an error carrying GraphQL errors.
          const errors = (error as { errors?: GraphQLError[] }).errors;
          const first = errors === undefined ? undefined : flattenErrors(errors)[0];
          if (first === undefined) throw error;
          return problem(request, reply, domainErrorOf(first));
        }
        const first = result.errors?.[0];
        if (first !== undefined) return problem(request, reply, domainErrorOf(first));
        return (result.data as { result: unknown }).result;
      },
    });
  }
}

function problem(request: FastifyRequest, reply: FastifyReply, error: DomainError): FastifyReply {
  const body = toProblemDetails(error, request.url.split('?')[0] ?? request.url, String(request.id));
  if (error.retryAfterSeconds > 0) reply.header('retry-after', String(error.retryAfterSeconds));
  return reply.status(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}
