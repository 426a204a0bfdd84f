import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../config/config-reader.ts';
import { reportFatal } from './run-service.ts';

describe('a service that cannot start', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termination-'));
  afterEach(() => vi.restoreAllMocks());

  it('leaves one line in the termination log (the Pod’s) naming every bad variable', () => {
    vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    const log = path.join(dir, 'termination-log');
    fs.writeFileSync(log, '');
    reportFatal(
      'identity-service',
      new ConfigError(['IDENTITY_KEY_RING is required', 'DATABASE_URL is required']),
      log,
    );
    expect(fs.readFileSync(log, 'utf8')).toBe(
      'identity-service: ConfigError: Invalid configuration: - IDENTITY_KEY_RING is required - DATABASE_URL is required\n',
    );
  });

  it('writes nothing outside a Pod, where there is no termination log', () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    const log = path.join(dir, 'absent');
    reportFatal('auth-service', new Error('connect ECONNREFUSED 10.0.0.1:5432'), log);
    expect(fs.existsSync(log)).toBe(false);
    expect(stderr).toHaveBeenCalledWith('auth-service: Error: connect ECONNREFUSED 10.0.0.1:5432\n');
  });
});
