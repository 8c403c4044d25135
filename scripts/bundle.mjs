/**
 * The bundled executable: esbuild turns commands/cli.ts and everything it imports (yargs, zod,
 * cli-table3, …) into dist/smtp-probe.mjs plus chunks in dist/chunks/. Node then reads about twenty
 * files for `caps` instead of ~200, the largest part of start-up (issue 7, item 9; see
 * bench/startup.ts).
 *
 * Code splitting keeps every `await import()` its own chunk, so a command loads its probe and its
 * renderer, and only `lab`/`demo` load the lab and selfsigned. package.json "bin" points here; the
 * tsc output (dist/commands/cli.js) stays for the library and the tests, and
 * test/behaviour/bundle.ts checks that both answer alike.
 *
 * Only `smtp-probe schema` and audit's --resume and merge need the full zod; src/schema/full-zod.ts
 * is built on its own first (see fullZodApart).
 *
 * Run by `npm run build` after tsc. Also writes dist/smtp-probe.meta.json (esbuild's metafile of
 * both builds: which sources went into which file) for that test and for
 * `esbuild --analyze`-style reading.
 */
import { chmod, cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = `${root}dist/`;
const { version } = JSON.parse(await readFile(`${root}package.json`, 'utf8'));

/**
 * lazyStringWidth: yargs, cliui and wrap-ansi each import their own ESM string-width, and each
 * copy builds an Intl.Segmenter and Unicode property regexes (\p{RGI_Emoji}, …) when it loads,
 * ~25 ms in all. Only help and usage text measure widths, so each import is routed through a
 * stub that loads the real module (bundled, initialised on first call) when a width is first
 * asked for. The output is the same; only when the cost is paid moves.
 */
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.kind !== 'import-statement' || args.pluginData?.real) return undefined;
      const real = await b.resolve(args.path, {
        importer: args.importer,
        resolveDir: args.resolveDir,
        kind: args.kind,
        pluginData: { real: true },
      });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy-string-width' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, (args) => ({
      // esbuild bundles a require()d ES module behind an initialiser that runs on that first call.
      contents: [
        'let real;',
        'export default function stringWidth(text, options) {',
        `  real ??= require(${JSON.stringify(args.path)}).default;`,
        '  return real(text, options);',
        '}',
      ].join('\n'),
      loader: 'js',
      resolveDir: root,
    }));
  },
};

/**
 * cjsNamedExports: `const { generate } = await import('selfsigned')` works in Node because Node
 * finds a CommonJS module's named exports; an esbuild chunk for a dynamically imported CommonJS
 * module exports only `default`. So a dynamic import of a CommonJS package goes through a
 * facade that re-exports its keys by name (read by loading the package here, at build time). An
 * ES module (zod, even though it also ships CommonJS) is left to esbuild.
 */
/** isCommonJs: how Node would load `file`: by its extension, else by its package's "type". */
async function isCommonJs(file) {
  if (file.endsWith('.cjs')) return true;
  if (file.endsWith('.mjs')) return false;
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
    if (pkg !== undefined) return JSON.parse(pkg).type !== 'module';
  }
  return true;
}

const cjsNamedExports = {
  name: 'cjs-named-exports',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const real = await b.resolve(args.path, {
        importer: args.importer,
        resolveDir: args.resolveDir,
        kind: 'import-statement',
      });
      if (real.errors.length > 0) return { errors: real.errors };
      if (real.external || !(await isCommonJs(real.path))) return undefined;
      const keys = Object.keys(createRequire(real.path)(real.path));
      const names = keys.filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
      return { path: real.path, namespace: 'cjs-named-exports', pluginData: { names } };
    });
    b.onLoad({ filter: /.*/, namespace: 'cjs-named-exports' }, (args) => ({
      contents: [
        `import cjs from ${JSON.stringify(args.path)};`,
        'export default cjs;',
        `export const { ${args.pluginData.names.join(', ')} } = cjs;`,
      ].join('\n'),
      loader: 'js',
      resolveDir: root,
    }));
  },
};

// yargs finds its translations at ../../../locales from its own file; in a chunk that path leads
// nowhere and every language would fall back to English. Point it at a copy beside the chunks.
const YARGS_SHIM = /yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/;
const YARGS_LOCALES = "resolve(__dirname, '../../../locales')";
let yargsLocalesDir;
const yargsLocales = {
  name: 'yargs-locales',
  setup(b) {
    b.onLoad({ filter: YARGS_SHIM }, async (args) => {
      yargsLocalesDir = join(dirname(args.path), '../../locales');
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(YARGS_LOCALES))
        throw new Error(`${args.path} no longer says ${YARGS_LOCALES}; update scripts/bundle.mjs`);
      const contents = text.replace(
        YARGS_LOCALES,
        "fileURLToPath(new URL('./yargs-locales/', import.meta.url))",
      );
      return { contents, loader: 'js' };
    });
  },
};

/** common: what both builds share. */
const common = {
  absWorkingDir: root,
  outdir: dist,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS dependencies (cli-table3, dns-packet, selfsigned) require() node built-ins, and an
  // ES module has no `require` of its own: give every output file one.
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      'const require = __createRequire(import.meta.url);',
    ].join('\n'),
  },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
};

/**
 * fullZodApart: the flags of every command are read with zod/mini, while `schema` prints JSON
 * Schema from src/schema, written with the full zod, and audit checks the lines it reads back
 * with the same schemas. Both sit on zod's core files, and in one
 * split build a file shared by two paths is one chunk holding every statement either path keeps:
 * the full `z` keeps all of zod core, so each start-up compiled ~290 KB of it (~27 ms for
 * `caps`) where zod/mini's parsing needs ~25 KB. So src/schema/full-zod.ts (the only module
 * the CLI loads src/schema and the full zod through) is its own build, one file in chunks/ with
 * its own zod, and the executable's build imports that file by path, as something external.
 */
const schemaBuild = await build({
  ...common,
  entryPoints: { 'full-zod': 'src/schema/full-zod.ts' },
  entryNames: 'chunks/[name]-[hash]',
});
const schemaFile = Object.keys(schemaBuild.metafile.outputs).find((f) => f.endsWith('.mjs'));
const SCHEMA_IMPORT = `./${basename(schemaFile)}`;
const fullZodApart = {
  name: 'full-zod-apart',
  setup(b) {
    b.onResolve({ filter: /full-zod\.js$/ }, (args) =>
      join(args.resolveDir, args.path) === join(root, 'src/schema/full-zod.js')
        ? { path: SCHEMA_IMPORT, external: true }
        : undefined,
    );
  },
};

const result = await build({
  ...common,
  entryPoints: { 'smtp-probe': 'commands/cli.ts' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  // The bundle is not two folders below package.json, so the version is written in (see cli.ts).
  define: { SMTP_PROBE_VERSION: JSON.stringify(version) },
  plugins: [lazyStringWidth, cjsNamedExports, yargsLocales, fullZodApart],
});

// SCHEMA_IMPORT resolves from chunks/ only; were commands/schema.ts or the audit's line reader ever bundled
// into the entry itself, `schema` would fail at run time, so the build fails now.
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  const apart = out.imports.some((i) => i.external && i.path === SCHEMA_IMPORT);
  if (apart && dirname(file) !== 'dist/chunks')
    throw new Error(`${file} imports ${SCHEMA_IMPORT}, which only resolves from dist/chunks/`);
}

// Chunk names carry a content hash, so old ones would pile up across builds. They go only now,
// after the new entry is written, so a CLI started from the old entry a moment ago still finds its chunks.
const outputs = { ...schemaBuild.metafile.outputs, ...result.metafile.outputs };
const fresh = new Set(Object.keys(outputs).map((f) => basename(f)));
for (const f of await readdir(`${dist}chunks`))
  if (f !== 'yargs-locales' && !fresh.has(f)) await rm(`${dist}chunks/${f}`);

if (!yargsLocalesDir) throw new Error('yargs was not bundled from its ES module shim');
await cp(yargsLocalesDir, `${dist}chunks/yargs-locales`, { recursive: true });
await chmod(`${dist}smtp-probe.mjs`, 0o755);
const inputs = { ...schemaBuild.metafile.inputs, ...result.metafile.inputs };
await writeFile(`${dist}smtp-probe.meta.json`, JSON.stringify({ inputs, outputs }));

const files = Object.entries(outputs).filter(([f]) => f.endsWith('.mjs'));
const kb = files.reduce((n, [, o]) => n + o.bytes, 0) / 1024;
console.log(`bundle: dist/smtp-probe.mjs and ${files.length - 1} chunks, ${kb.toFixed(0)} KB`);
