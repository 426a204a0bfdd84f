import { readFile } from 'node:fs/promises';
import { get } from 'node:https';
import { fileURLToPath } from 'node:url';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  type FetchImplementation,
  type JWTVerifyGetKey,
} from 'jose';
import { DomainError } from '../errors/domain-error.ts';
import { FileTokenSource } from './file-token-source.ts';
import { WatchedFile } from './watched-file.ts';

/** How long a fetched key set is trusted before it is fetched again (and so how long a removed key is honoured). */
export const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;

export interface JwksSourceOptions {
  /** `https://…` or `file:///…`. */
  readonly jwks: string;
  readonly caFile?: string | undefined;
  readonly bearerTokenFile?: string | undefined;
}

/** A key set larger than this is not a key set. */
const MAX_JWKS_BYTES = 1024 * 1024;

/** Where the issuer's public keys come from: an https endpoint (cached, kid-aware) or a local file. */
export function jwksSource(options: JwksSourceOptions): JWTVerifyGetKey {
  const url = new URL(options.jwks);
  if (url.protocol === 'file:') return fileJwks(fileURLToPath(url));
  if (url.protocol !== 'https:') {
    // A key set over plain HTTP can be swapped by anyone on the path, and so can every identity.
    throw new TypeError(`the workload JWKS must be an https:// or file:// URL, got ${url.protocol}`);
  }
  return createRemoteJWKSet(url, {
    cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
    cooldownDuration: 30_000,
    timeoutDuration: 5_000,
    [customFetch]: httpsFetch(
      options.caFile,
      options.bearerTokenFile === undefined ? undefined : new FileTokenSource(options.bearerTokenFile),
    ),
  });
}

export const jwksUnavailable = (message: string, cause?: unknown) =>
  new DomainError('UNAVAILABLE', 'WORKLOAD_JWKS_UNAVAILABLE', message, { cause, retryAfterSeconds: 1 });

/** A JWKS file (local mode's issuer writes one), parsed again whenever it changes. */
function fileJwks(path: string): JWTVerifyGetKey {
  const file = new WatchedFile(path);
  let parsed: { text: string; keys: JWTVerifyGetKey } | undefined;
  return async (header, token) => {
    let text: string;
    try {
      text = await file.read();
      if (parsed?.text !== text) parsed = { text, keys: createLocalJWKSet(JSON.parse(text)) };
    } catch (error) {
      throw jwksUnavailable(`The workload issuer's key set ${path} cannot be read or is not a JWKS`, error);
    }
    return parsed.keys(header, token);
  };
}

/**
 * Fetch over node:https, because the API server's JWKS needs what global fetch cannot give: the
 * cluster CA and the caller's own (rotating) bearer token, re-read on every fetch.
 */
function httpsFetch(caFile: string | undefined, bearer: FileTokenSource | undefined): FetchImplementation {
  return async (url, init) => {
    const headers: Record<string, string> = Object.fromEntries(init.headers);
    if (bearer !== undefined) headers.authorization = `Bearer ${await bearer.token()}`;
    let ca: string | undefined;
    try {
      ca = caFile === undefined ? undefined : await readFile(caFile, 'utf8');
    } catch (error) {
      throw jwksUnavailable(`The CA bundle ${caFile} for the workload JWKS cannot be read`, error);
    }
    const body = await new Promise<Buffer>((resolve, reject) => {
      const request = get(
        url,
        { headers, signal: init.signal, ...(ca === undefined ? {} : { ca }) },
        (response) => {
          if (response.statusCode !== 200) {
            response.resume();
            reject(jwksUnavailable(`The workload JWKS ${url} answered HTTP ${response.statusCode}`));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_JWKS_BYTES) request.destroy(new Error('the key set is too large'));
            else chunks.push(chunk);
          });
          response.on('end', () => resolve(Buffer.concat(chunks)));
          response.on('error', (error) =>
            reject(jwksUnavailable(`The workload JWKS ${url} broke off`, error)),
          );
        },
      );
      request.on('error', (error) =>
        reject(jwksUnavailable(`The workload JWKS ${url} cannot be fetched`, error)),
      );
    });
    return new Response(new Uint8Array(body), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };
}
