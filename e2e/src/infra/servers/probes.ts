import { Resolver } from 'node:dns/promises';
import https from 'node:https';
import net from 'node:net';

/** Sends PING over RESP and expects +PONG. */
export function respPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** GETs a URL and returns the status and body, or undefined when nothing answers. */
export async function httpGet(url: string, headers: Record<string, string> = {}) {
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(3000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

/** GETs an https URL of a local server with a self-signed certificate (the Kubernetes components). */
export function httpsGetInsecure(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string } | undefined>((resolve) => {
    const request = https.get(url, { headers, rejectUnauthorized: false, timeout: 3000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

/** Resolves an A record through the DNS server at 127.0.0.1:port. */
export async function resolveA(port: number, name: string): Promise<string[]> {
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  try {
    return await resolver.resolve4(name);
  } catch {
    return [];
  }
}
