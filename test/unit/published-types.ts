/**
 * The declarations the package publishes (dist/src/**\/*.d.ts, reached from package.json
 * "types") name only what a consumer's install provides: Node's own modules (the consumer's
 * @types/node) and packages in "dependencies" that ship their own types. A type imported from a
 * devDependency (@types/dns-packet, @types/yargs) breaks a strict consumer with TS7016 (issue 8,
 * "The library as a dependency"); test/interop/packed-library.ts proves it end to end against
 * the packed tarball, this is the fast check that names the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PUBLISHED = join(ROOT, 'dist', 'src');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  types: string;
  dependencies: Record<string, string>;
};

/** specifiers: every module a declaration file names (imports, exports, `import("x")` types, `/// <reference types>`), read by TypeScript's own scanner, so comments do not count. */
function specifiers(text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  return [...info.importedFiles, ...info.typeReferenceDirectives].map((f) => f.fileName);
}

function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return declarationFiles(path);
    return e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** packageName: `zod` for `zod/v4/core`, `@scope/name` for `@scope/name/sub`. */
function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** shipsTypes: the installed package declares its own types (no @types/ package needed). */
function shipsTypes(name: string): boolean {
  const dir = join(ROOT, 'node_modules', name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return (
    typeof manifest.types === 'string' ||
    typeof manifest.typings === 'string' ||
    JSON.stringify(manifest.exports ?? {}).includes('"types"') ||
    existsSync(join(dir, 'index.d.ts'))
  );
}

test('every published declaration imports only node: modules and dependencies with their own types', () => {
  const files = declarationFiles(PUBLISHED);
  assert.ok(files.length > 50, `declarations under ${PUBLISHED} (run the build first)`);
  const wrong: string[] = [];
  for (const file of files) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.') || spec.startsWith('node:')) continue;
      const name = packageName(spec);
      const why = !(name in pkg.dependencies)
        ? 'not in "dependencies"'
        : !shipsTypes(name)
          ? 'its types are a separate @types package'
          : undefined;
      if (why) wrong.push(`${relative(ROOT, file)}: '${spec}' (${why})`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('the types entry reaches no declaration outside dist/src (commands/ needs @types/yargs)', () => {
  const entry = join(ROOT, pkg.types);
  assert.ok(existsSync(entry), `${pkg.types} exists`);
  const seen = new Set<string>();
  const outside: string[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!file.startsWith(PUBLISHED)) {
      outside.push(relative(ROOT, file));
      return;
    }
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      visit(resolve(dirname(file), spec.replace(/\.js$/, '.d.ts')));
    }
  };
  visit(entry);
  assert.deepEqual(outside, []);
  assert.ok(seen.size > 20, `${seen.size} declarations reached from ${pkg.types}`);
});
