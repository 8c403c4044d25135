/**
 * The docs cannot drift: every lab example of README.md and docs/ runs
 * against the built-in lab (one lab on free ports for the file) and must end
 * with the documented exit code and print the documented output, compared by
 * shape (test/support/doc-shape.ts: words, codes and order; not timings, not
 * border widths). Generated tables must equal what the code makes now. The
 * marker convention is in test/support/doc-examples.ts; `npm run
 * docs:update` rewrites what no longer matches.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../../src/lab/index.js';
import { EXIT, STATUSES } from '../../src/index.js';
import {
  REPO_ROOT,
  checkExample,
  docFiles,
  findExamples,
  parseCommand,
  runExample,
  RUN_TIMEOUT_MS,
  startDocLab,
  type DocExample,
} from '../support/doc-examples.js';
import { compareText, jsonProblems } from '../support/doc-shape.js';
import { GENERATORS, generatedBlocks } from '../support/doc-generated.js';

const found = findExamples();
const read = (file: string): string => readFileSync(join(REPO_ROOT, file), 'utf8');
const FIX = 'run `npm run docs:update` (then review git diff) or fix the block by hand';

let lab: Lab;
before(async () => {
  lab = await startDocLab();
});
after(() => lab?.close());

describe('the examples are marked and well-formed', () => {
  test('every marker is followed by a console block of one smtp-probe command; every lab command is marked', () => {
    assert.deepEqual(found.problems, []);
  });

  test('every command has at least one lab example', () => {
    const commands = new Set(found.examples.map((e) => e.args[0]));
    for (const c of ['caps', 'mx', 'failover', 'verify', 'vrfy', 'expn', 'lab', 'demo', 'schema'])
      assert.ok(commands.has(c), `no lab example runs smtp-probe ${c}`);
  });

  test('every block is checked: there are examples in README.md and in docs/', () => {
    assert.ok(found.examples.some((e) => e.file === 'README.md'));
    assert.ok(found.examples.some((e) => e.file.startsWith('docs/')));
  });
});

describe('lab examples', { concurrency: true }, () => {
  for (const ex of found.examples) {
    const name = `${ex.file}:${ex.markerLine + 1}: ${ex.command}`;
    test(name, { timeout: RUN_TIMEOUT_MS + 10_000 }, async () => {
      const run = await runExample(ex, lab);
      const problems = checkExample(ex, run);
      assert.deepEqual(
        problems,
        [],
        `${name} no longer matches:\n  ${problems.slice(0, 8).join('\n  ')}\n${FIX}\n--- output ---\n${run.output}`,
      );
    });
  }
});

describe('generated tables and vocabularies', () => {
  for (const file of docFiles()) {
    const blocks = generatedBlocks(read(file));
    for (const b of blocks)
      test(`${file}: generated:${b.name} is current`, () => {
        assert.equal(
          b.body,
          GENERATORS[b.name]!(),
          `${file}: generated:${b.name} is stale; ${FIX}`,
        );
      });
  }

  test('docs/output.md has the error catalogue, the statuses and the stages', () => {
    const names = generatedBlocks(read('docs/output.md')).map((b) => b.name);
    for (const n of Object.keys(GENERATORS)) assert.ok(names.includes(n), `no generated:${n}`);
    const text = read('docs/output.md');
    for (const s of STATUSES) assert.match(text, new RegExp(`\\| \`${s}\` \\|`), `status ${s}`);
  });

  test('README.md and docs/output.md list every exit code', () => {
    for (const file of ['README.md', 'docs/output.md'])
      for (const code of Object.values(EXIT))
        assert.match(read(file), new RegExp(`^\\| ${code} \\|`, 'm'), `${file}: exit ${code}`);
  });
});

describe('the check can fail', () => {
  const text = [
    'mx blackhole.test — ok in 2.03 s',
    '│ 10 │ refused.blackhole.test │ 127.0.0.33 │ refused │ 3.4 ms │',
    'Verdict: 2 addresses before it fail: refused, connect-timeout',
  ].join('\n');

  test('timings, ports, widths and wrapping do not count', () => {
    const other = text
      .replace('2.03 s', '812 ms')
      .replace('3.4 ms', '12 ms')
      .replace(' 127.0.0.33 │', '       127.0.0.33          │')
      .replace('fail: refused,', 'fail:\n│ refused,');
    assert.deepEqual(compareText(text, other), []);
  });

  test('a changed word fails, and the message names the line', () => {
    const other = text.replace('│ refused │', '│ connection-refused │');
    const problems = compareText(text, other);
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]!,
      /output line 2: "refused" is documented, the output has "connection-refused"/,
    );
  });

  test('a changed number that is not a timing fails', () => {
    assert.notDeepEqual(compareText(text, text.replace('│ 10 │', '│ 20 │')), []);
  });

  test('a missing or an extra line fails; `...` allows any lines', () => {
    const [first, , last] = text.split('\n');
    assert.notDeepEqual(compareText(`${first}\n${last}`, text), []);
    assert.notDeepEqual(compareText(text, `${text}\nmore`), []);
    assert.deepEqual(compareText(`${first}\n...\n${last}`, text), []);
    assert.deepEqual(compareText(`${first}\n...`, text), []);
  });

  test('JSON: the same keys and values, timings aside; an excerpt may leave some out', () => {
    const doc = {
      status: 'ok',
      durationMs: 3.1,
      result: { hosts: [{ name: 'a' }, { name: 'b' }] },
    };
    const act = { status: 'ok', durationMs: 88, result: { hosts: [{ name: 'a' }, { name: 'b' }] } };
    assert.deepEqual(jsonProblems(doc, act, false), []);
    assert.notDeepEqual(jsonProblems(doc, { ...act, status: 'connection-refused' }, false), []);
    assert.notDeepEqual(jsonProblems(doc, { ...act, extra: 1 }, false), []);
    assert.deepEqual(jsonProblems({ result: { hosts: [{ name: 'b' }] } }, act, true), []);
    assert.notDeepEqual(jsonProblems({ result: { hosts: [{ name: 'c' }] } }, act, true), []);
  });

  test('a wrong exit code fails', () => {
    const ex: DocExample = {
      file: 'x.md',
      markerLine: 0,
      exit: 0,
      excerpt: false,
      command: 'smtp-probe caps 127.0.0.15:2525',
      ...parseCommand('smtp-probe caps 127.0.0.15:2525'),
      output: 'caps',
      outputStart: 2,
      outputEnd: 3,
    };
    assert.deepEqual(checkExample(ex, { code: 3, output: 'caps' }), [
      'exit code 3, documented exit=0',
    ]);
  });
});
