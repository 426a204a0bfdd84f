import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Appends everything the command prints to this file as well. */
  logFile?: string;
  uid?: number;
  gid?: number;
}

/** A command that failed, with what it ran and the last lines it printed. */
export class CommandError extends Error {
  readonly command: string;
  readonly exitCode: number | null;

  constructor(command: string, exitCode: number | null, lastLines: string) {
    super(`\`${command}\` exited with ${exitCode ?? 'a signal'}\n--- last lines ---\n${lastLines}`);
    this.command = command;
    this.exitCode = exitCode;
  }
}

const TAIL_LINES = 30;

/** Runs a command to completion; resolves with its stdout, rejects with a CommandError. */
export function exec(cmd: string, args: readonly string[], options: ExecOptions = {}): Promise<string> {
  const command = [cmd, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    const log = options.logFile ? fs.createWriteStream(options.logFile, { flags: 'a' }) : undefined;
    log?.write(`$ ${command}\n`);
    let stdout = '';
    let combined = '';
    const keep = (chunk: Buffer, isStdout: boolean) => {
      const text = chunk.toString();
      if (isStdout) stdout += text;
      combined = lastLines(combined + text, TAIL_LINES);
      log?.write(text);
    };
    child.stdout.on('data', (c: Buffer) => keep(c, true));
    child.stderr.on('data', (c: Buffer) => keep(c, false));
    child.on('error', (error) => {
      log?.end();
      reject(new CommandError(command, null, `could not start: ${error.message}`));
    });
    child.on('close', (code) => {
      log?.end();
      if (code === 0) resolve(stdout);
      else reject(new CommandError(command, code, combined));
    });
  });
}

export interface DaemonOptions extends ExecOptions {
  logFile: string;
  pidFile: string;
}

/** Starts a long-running server detached in its own process group, output to its log file; returns its pid. */
export function startDaemon(cmd: string, args: readonly string[], options: DaemonOptions): number {
  const out = fs.openSync(options.logFile, 'a');
  fs.writeSync(out, `$ ${[cmd, ...args].join(' ')}\n`);
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', out, out],
    detached: true,
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  fs.closeSync(out);
  if (child.pid === undefined) throw new CommandError(cmd, null, `could not start ${cmd}`);
  child.unref();
  fs.writeFileSync(options.pidFile, `${child.pid}\n`);
  return child.pid;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stops a daemon's whole process group: SIGTERM, then SIGKILL after the grace period. */
export async function stopProcessGroup(
  pid: number,
  graceMs = 10_000,
  stopSignal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal(stopSignal);
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    signal('SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

export function tailFile(file: string, lines = TAIL_LINES): string {
  try {
    return lastLines(fs.readFileSync(file, 'utf8'), lines);
  } catch {
    return '(no log written)';
  }
}

function lastLines(text: string, count: number): string {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-count).join('\n');
}

/** Polls a started server until it answers; fails early when its process exits. */
export async function waitForReady(
  pid: number,
  ready: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive(pid)) throw new Error(`the process (pid ${pid}) exited`);
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`it did not answer within ${timeoutMs / 1000}s`);
    await sleep(250);
  }
}

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True when something already listens on 127.0.0.1:port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
