import fs from 'node:fs';
import path from 'node:path';
import { exec } from '../proc.ts';
import type { Progress } from '../progress.ts';

const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

/**
 * Copies the runtime classpath of a pom of ours into libDir, once (a `.complete` marker records a
 * finished copy, so an interrupted one is redone).
 */
export async function ensureMavenClasspath(
  progress: Progress,
  spec: { what: string; pom: string; properties: Record<string, string>; libDir: string },
): Promise<void> {
  const marker = path.join(spec.libDir, '.complete');
  if (fs.existsSync(marker)) return;
  try {
    await exec('mvn', ['--version']);
  } catch {
    throw new Error(
      `fetching ${spec.what} needs Maven (apt-get install maven) and Java 17 (openjdk-17-jre-headless)`,
    );
  }
  fs.rmSync(spec.libDir, { recursive: true, force: true });
  fs.mkdirSync(spec.libDir, { recursive: true });
  const props = Object.entries(spec.properties).map(([k, v]) => `-D${k}=${v}`);
  await progress.step(`fetching ${spec.what} from Maven Central`, () =>
    exec(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        spec.pom,
        ...props,
        `${DEPENDENCY_PLUGIN}:copy-dependencies`,
        `-DoutputDirectory=${spec.libDir}`,
        '-DincludeScope=runtime',
      ],
      { logFile: path.join(path.dirname(spec.libDir), 'fetch.log') },
    ),
  );
  fs.writeFileSync(marker, new Date().toISOString());
}
