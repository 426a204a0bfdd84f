// npm run infra -- up [names...] | down [names...] | status [names...] | env [names...]
// Progress goes to stderr; `up` and `env` print `export NAME=value` lines on stdout, so
// `eval "$(npm run -s infra -- up postgres)"` points a shell at the servers.
import { loadInfraConfig } from './config.ts';
import { Infra } from './infra.ts';
import { stderrProgress } from './progress.ts';
import { aliases, servers } from './servers/index.ts';

const usage = `usage: npm run infra -- <command> [names...]
commands:
  up [names...]      install (cached) and start the servers and what they need; prints their settings
  down [names...]    stop the servers the harness started
  status [names...]  show what runs where
  env [names...]     print the settings of the running servers as export lines
names (none means all):
${servers.map((s) => `  ${s.name.padEnd(24)}${s.summary}`).join('\n')}
${Object.entries(aliases)
  .map(([alias, members]) => `  ${alias.padEnd(24)}= ${members.join(' ')}`)
  .join('\n')}`;

const exportLines = (env: Record<string, string>) =>
  Object.entries(env)
    .map(([k, v]) => `export ${k}='${v.replaceAll("'", `'\\''`)}'`)
    .join('\n');

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...named] = argv;
  const names = named.length === 0 ? ['all'] : named;
  const infra = new Infra(loadInfraConfig(), stderrProgress());
  switch (command) {
    case 'up': {
      const started = Date.now();
      const { env } = await infra.up(names);
      process.stderr.write(`[infra] up in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
      process.stdout.write(`${exportLines(env)}\n`);
      return 0;
    }
    case 'down':
      await infra.down(names);
      return 0;
    case 'status': {
      for (const row of await infra.status(names)) {
        const where = Object.values(row.env)[0] ?? '';
        process.stdout.write(
          `${row.name.padEnd(24)}${row.state.padEnd(11)}${(row.pid ?? '').toString().padEnd(8)}${where}\n`,
        );
      }
      return 0;
    }
    case 'env': {
      const env = Object.assign({}, ...(await infra.status(names)).map((row) => row.env));
      process.stdout.write(`${exportLines(env)}\n`);
      return 0;
    }
    default:
      process.stderr.write(`${usage}\n`);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[infra] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
