/**
 * smtp-probe as a dependency (issue 8, "The library as a dependency"): the tarball `npm pack`
 * makes, installed into a fresh project with only `typescript` and `@types/node` beside it (the
 * versions of our own devDependencies, from the npm registry), must type-check under a strict
 * consumer (`strict`, `skipLibCheck: false`, NodeNext) and run: the consumer starts the lab on
 * loopback and probes it with probeCaps and probeMx through the package's public entry.
 * Network: the npm registry (npm install) and loopback (the lab); nothing else.
 * Slow (an npm install and a full type check), hence the interop tier.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ours = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
};
const STEP_MS = 100_000;

let work: string;
let project: string;

interface Ran {
  code: number;
  stdout: string;
  /** out: stdout and stderr, for assertion messages. */
  out: string;
}

/** run: a command in `cwd`; its exit code and stdout+stderr, never a throw for a non-zero exit. */
function run(cmd: string, args: string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        cwd,
        timeout: STEP_MS,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: '1' },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        if (err && code === -1) reject(err);
        else resolve({ code, stdout, out: `${stdout}${stderr}` });
      },
    );
  });
}

// The consumer: every import comes from the package name, the types are used as a strict
// project would, and one line proves they are real types, not `any` from a missing declaration.
const CONSUMER = `import {
  probeCaps,
  probeMx,
  startLab,
  ProbeError,
  STATUSES,
  type CapsResult,
  type Lab,
  type MxOptions,
  type ProbeOutcome,
  type Status,
} from 'smtp-probe';

// @ts-expect-error: Status is a closed set; were the declarations unresolved, this would be any.
const bogus: Status = 'not-a-status';
void bogus;

const lab: Lab = await startLab({ port: 0, hosts: ['esmtp', 'mlfarm.test'] });
try {
  const esmtp = lab.host('esmtp');
  const caps: ProbeOutcome<CapsResult> = await probeCaps(\`\${esmtp.address}:\${lab.port}\`, {
    helo: 'consumer.test',
    census: false,
  });
  const size: number | undefined = caps.result.capabilities?.size;
  const options: MxOptions = {
    resolvers: [\`\${lab.dns.address}:\${lab.dns.port}\`],
    port: lab.port,
    helo: 'consumer.test',
  };
  const mx = await probeMx('mlfarm.test', options);
  const statuses: readonly string[] = STATUSES;
  console.log(
    JSON.stringify({
      caps: caps.status,
      banner: caps.result.banner?.hostname ?? null,
      size: size ?? null,
      mx: mx.status,
      hosts: mx.result.hosts.length,
      known: statuses.includes(caps.status),
      errorClass: typeof ProbeError,
    }),
  );
} finally {
  await lab.close();
}
`;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'smtp-probe-packed-'));
  project = join(work, 'consumer');
  // --ignore-scripts: "prepare" would rebuild dist/ under the running tests; test:interop built it.
  const packed = await run(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', work],
    ROOT,
  );
  assert.equal(packed.code, 0, packed.out);
  const [{ filename }] = JSON.parse(packed.stdout) as {
    filename: string;
  }[];
  const tarball = join(work, filename!);
  assert.ok(existsSync(tarball), tarball);

  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
      },
      files: ['consumer.ts'],
    }),
  );
  writeFileSync(join(project, 'consumer.ts'), CONSUMER);
  const installed = await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--no-package-lock',
      tarball,
      `typescript@${ours.devDependencies.typescript}`,
      `@types/node@${ours.devDependencies['@types/node']}`,
    ],
    project,
  );
  assert.equal(installed.code, 0, installed.out);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the install brings no @types package for one of our dependencies (nothing hides a missing declaration)', () => {
  const { dependencies } = JSON.parse(
    readFileSync(join(project, 'node_modules', 'smtp-probe', 'package.json'), 'utf8'),
  ) as { dependencies: Record<string, string> };
  const types = join(project, 'node_modules', '@types');
  const present = existsSync(types) ? readdirSync(types) : [];
  assert.ok(present.includes('node'), '@types/node, which the consumer asked for');
  assert.deepEqual(
    Object.keys(dependencies).filter((d) => present.includes(d)),
    [],
  );
});

test('a strict consumer (strict, skipLibCheck false, NodeNext) type-checks against the tarball', async () => {
  const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
  const checked = await run(process.execPath, [tsc, '--noEmit', '-p', '.'], project);
  assert.equal(checked.code, 0, `tsc --noEmit:\n${checked.out}`);
});

test('the consumer runs: probeCaps and probeMx from the package against the lab', async () => {
  // Type-checked above; here only transpiled (by the consumer's own TypeScript), to run it.
  const ts = createRequire(join(project, 'package.json'))(
    'typescript',
  ) as typeof import('typescript');
  const js = ts.transpileModule(CONSUMER, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022 },
    fileName: 'consumer.ts',
  }).outputText;
  writeFileSync(join(project, 'consumer.js'), js);
  const ran = await run(process.execPath, ['consumer.js'], project);
  assert.equal(ran.code, 0, ran.out);
  const line = JSON.parse(ran.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  assert.deepEqual(line, {
    caps: 'ok',
    banner: 'esmtp.lab.test',
    size: line.size,
    mx: 'ok',
    hosts: line.hosts,
    known: true,
    errorClass: 'function',
  });
  assert.equal(typeof line.size, 'number');
  assert.ok((line.hosts as number) > 0, 'the walk found MX hosts');
});
