// Part of `npm run generate`: fails the build when an RPC declares no access (or a broken one).
// Reads every service of the generated contracts, so a new service or RPC is checked unasked.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DescFile, DescService } from '@bufbuild/protobuf';
import { contractProblems } from '../src/access.ts';

const gen = join(import.meta.dirname, '..', 'gen');
const services: DescService[] = [];
for (const entry of readdirSync(gen, { recursive: true, encoding: 'utf8' })) {
  if (!entry.endsWith('_pb.js')) continue;
  const module = (await import(join(gen, entry))) as Record<string, unknown>;
  for (const value of Object.values(module)) {
    const file = value as DescFile;
    if (file?.kind === 'file') services.push(...file.services);
  }
}
const problems = contractProblems(services);
if (problems.length > 0) {
  console.error(
    `contracts: ${problems.length} problem(s) in the RPC declarations:\n  ${problems.join('\n  ')}`,
  );
  process.exit(1);
}
console.error(
  `contracts: ${services.length} services, ${services.reduce((n, s) => n + s.methods.length, 0)} RPCs, each declares who may call it`,
);
