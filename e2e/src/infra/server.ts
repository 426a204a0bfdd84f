import path from 'node:path';
import type { ConnectionVar, InfraConfig } from './config.ts';
import type { Progress } from './progress.ts';

export interface ServerContext {
  readonly config: InfraConfig;
  readonly progress: Progress;
}

/**
 * One real backing server (or tool) the harness can provide. Install is cached and idempotent;
 * start spawns it on 127.0.0.1 with fresh data; ready asks it a real question.
 */
export interface ServerDef {
  readonly name: string;
  readonly summary: string;
  /** Servers that must be up before this one starts. */
  readonly needs: readonly string[];
  /** When this variable is set, it names an existing server: nothing is installed or started. */
  readonly externalVar?: ConnectionVar;
  /** Loopback ports it listens on; each must be free before it starts. */
  ports(ctx: ServerContext): readonly number[];
  install(ctx: ServerContext): Promise<void>;
  /** Spawns the server and returns the pid to track; tools (helm) have none. */
  start?(ctx: ServerContext): Promise<number>;
  /** True once the server answers a real request. */
  ready?(ctx: ServerContext): Promise<boolean>;
  /**
   * Undoes what the server leaves behind outside its process (mounts, network links, iptables
   * chains, containers): run after it stops, and before it starts in case a crash left them.
   */
  cleanup?(ctx: ServerContext): Promise<void>;
  /** The signal that stops it promptly and cleanly (default SIGTERM; PostgreSQL's fast shutdown is SIGINT). */
  readonly stopSignal?: NodeJS.Signals;
  /** How long a cold start may take before it is a failure. */
  readonly startTimeoutMs?: number;
  /** The connection settings clients use. */
  env(ctx: ServerContext): Record<string, string>;
}

export const serverDir = (ctx: ServerContext, name: string) => path.join(ctx.config.runDir, name);
export const logFile = (ctx: ServerContext, name: string) => path.join(serverDir(ctx, name), `${name}.log`);
export const pidFile = (ctx: ServerContext, name: string) => path.join(serverDir(ctx, name), `${name}.pid`);
/** Where built or downloaded binaries live, one folder per tool and version. */
export const toolDir = (ctx: ServerContext, tool: string, version: string) =>
  path.join(ctx.config.cacheDir, 'tools', `${tool}-${version}`);
