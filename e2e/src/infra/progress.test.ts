import { describe, expect, it } from 'vitest';
import { formatElapsed, streamProgress } from './progress.ts';

describe('formatElapsed', () => {
  it('shows seconds with a decimal below a minute and minutes with seconds above', () => {
    expect(formatElapsed(1234)).toBe('1.2s');
    expect(formatElapsed(59_900)).toBe('59.9s');
    expect(formatElapsed(125_000)).toBe('2m05s');
  });
});

describe('streamProgress', () => {
  it('announces a step, reports its result and its failure', async () => {
    const lines: string[] = [];
    const progress = streamProgress((line) => lines.push(line));
    expect(await progress.step('building etcd', async () => 42)).toBe(42);
    await expect(
      progress.step('starting kafka', async () => Promise.reject(new Error('port taken'))),
    ).rejects.toThrow('port taken');
    expect(lines[0]).toBe('[infra] building etcd ...');
    expect(lines[1]).toMatch(/^\[infra\] building etcd: done in \d+\.\ds$/);
    expect(lines[3]).toMatch(/^\[infra\] starting kafka: FAILED after \d+\.\ds$/);
  });

  it('ticks with the elapsed time while a step runs', async () => {
    const lines: string[] = [];
    const progress = streamProgress((line) => lines.push(line), 20);
    await progress.step('building kubernetes', () => new Promise((r) => setTimeout(r, 70)));
    expect(
      lines.filter((l) => l.startsWith('[infra]   still building kubernetes (')).length,
    ).toBeGreaterThanOrEqual(2);
  });
});
