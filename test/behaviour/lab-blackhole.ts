/**
 * Behaviour tests of the lab's blackhole and of what the lab leaves behind:
 * a real connect that gets no SYN-ACK, both methods (nftables only where we
 * are root with a working `nft`), and no child process or nftables table
 * after close(), after process.exit, SIGINT or SIGKILL.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startLab, NFT_TABLE_PREFIX, type Lab, type BlackholeMethod } from '../../src/lab/index.js';

/** NFT_USABLE: root, the nft tool, and the right to list tables (CAP_NET_ADMIN): then 'auto' must pick nftables. */
const NFT_USABLE = process.getuid?.() === 0 && spawnSync('nft', ['list', 'tables']).status === 0;
const METHODS: BlackholeMethod[] = NFT_USABLE
  ? ['nftables', 'full-accept-queue']
  : ['full-accept-queue'];
const LAB_MODULE = fileURLToPath(new URL('../../src/lab/index.js', import.meta.url));

/** connectOutcome: 'connected', the error code, or 'timeout' when no SYN-ACK came within `ms`. */
function connectOutcome(address: string, port: number, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, ms);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code ?? 'error');
    });
  });
}

/** labTables: the nftables tables of lab processes (`pid` one process's only). */
function labTables(pid?: number): string[] {
  if (!NFT_USABLE) return [];
  const out = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout;
  return [...out.matchAll(/^table inet (\S+)$/gm)]
    .map((m) => m[1]!)
    .filter((t) =>
      t.startsWith(pid === undefined ? NFT_TABLE_PREFIX : `${NFT_TABLE_PREFIX}${pid}_`),
    );
}

/** keepers: pids of blackhole keepers (node -e …) whose arguments include `mark`. */
function keepers(mark: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv[1] === '-e' && argv.slice(3).includes(mark)) found.push(Number(entry));
  }
  return found;
}

/** markOf: what identifies a lab's keeper: the blackhole port (listener) or the table name's pid (nftables). */
const markOf = (lab: Pick<Lab, 'blackhole'>, pid = process.pid): string =>
  lab.blackhole!.method === 'full-accept-queue'
    ? String(lab.blackhole!.port)
    : (labTables(pid)[0] ?? 'none');

async function eventually(
  what: string,
  ok: () => boolean | Promise<boolean>,
  ms = 3_000,
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) assert.fail(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('lab: the blackhole', () => {
  test(`auto picks ${NFT_USABLE ? 'nftables (root, nft works here)' : 'the full accept queue (no root or no nft here)'}; a connect gets no SYN-ACK within 1 s`, async () => {
    const lab = await startLab({ port: 0 });
    try {
      const bh = lab.host('bh.blackhole.test');
      assert.deepEqual(lab.blackhole, {
        address: bh.address,
        port: lab.port,
        method: NFT_USABLE ? 'nftables' : 'full-accept-queue',
      });
      assert.equal(bh.listening, false);
      const at = performance.now();
      assert.equal(await connectOutcome(bh.address, lab.port, 1_000), 'timeout');
      assert.ok(performance.now() - at >= 990);
      assert.equal(
        await connectOutcome(lab.host('refused.blackhole.test').address, lab.port, 1_000),
        'ECONNREFUSED',
      );
      assert.equal(
        await connectOutcome(lab.host('mx.blackhole.test').address, lab.port, 1_000),
        'connected',
      );
    } finally {
      await lab.close();
    }
  });

  for (const method of METHODS) {
    test(`${method}: connects time out while the lab runs; after close() nothing is left (no keeper, no table) and connects are refused`, async () => {
      const lab = await startLab({ port: 0, hosts: ['blackhole.test'], blackhole: method });
      const { address, port } = lab.blackhole!;
      const mark = markOf(lab);
      assert.equal(lab.blackhole!.method, method);
      assert.equal(keepers(mark).length, 1, 'one keeper process');
      if (method === 'nftables')
        assert.equal(labTables(process.pid).length, 1, 'one table of ours');
      // Several at once, and again: the blackhole does not fill up or wear out.
      assert.deepEqual(await Promise.all([1, 2, 3].map(() => connectOutcome(address, port, 300))), [
        'timeout',
        'timeout',
        'timeout',
      ]);
      await lab.close();
      assert.deepEqual(keepers(mark), []);
      assert.deepEqual(labTables(process.pid), []);
      assert.equal(await connectOutcome(address, port, 1_000), 'ECONNREFUSED');
    });
  }

  test('two labs at once get different ports and each its own blackhole', async () => {
    const [a, b] = await Promise.all([
      startLab({ port: 0, hosts: ['blackhole.test'] }),
      startLab({ port: 0, hosts: ['blackhole.test'] }),
    ]);
    try {
      assert.notEqual(a.port, b.port);
      assert.notEqual(a.dns.port, b.dns.port);
      assert.deepEqual(
        await Promise.all([a, b].map((l) => connectOutcome(l.blackhole!.address, l.port, 300))),
        ['timeout', 'timeout'],
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    assert.deepEqual(labTables(process.pid), []);
  });

  test('a blackhole that cannot be made fails startLab, which then leaves nothing listening', async () => {
    const squatter = createServer().listen({ host: '127.0.0.34', port: 0 });
    await new Promise((resolve) => squatter.once('listening', resolve));
    const port = (squatter.address() as { port: number }).port;
    try {
      await assert.rejects(
        startLab({
          port,
          dnsPort: 0,
          httpsPort: 0,
          hosts: ['blackhole.test'],
          blackhole: 'full-accept-queue',
        }),
        /blackhole keeper \(listen on 127\.0\.0\.34:\d+\): EADDRINUSE/,
      );
      assert.equal(
        await connectOutcome('127.0.0.35', port, 1_000),
        'ECONNREFUSED',
        'mx.blackhole.test was closed again',
      );
      assert.deepEqual(keepers(String(port)), []);
    } finally {
      squatter.close();
    }
  });

  // Where nft cannot be used (not root, or no nft), the same test proves that asking for it fails clearly instead.
  test(
    NFT_USABLE
      ? 'nftables: a table left by a lab process that no longer exists is removed at the next start'
      : 'nftables unusable here: asking for it fails with what it needs',
    async () => {
      if (!NFT_USABLE) {
        await assert.rejects(
          startLab({ port: 0, hosts: ['blackhole.test'], blackhole: 'nftables' }),
          /needs root, the nft tool/,
        );
        return;
      }
      const gone = spawnSync(
        process.execPath,
        ['-e', 'process.stdout.write(String(process.pid))'],
        { encoding: 'utf8' },
      ).stdout;
      const stale = `${NFT_TABLE_PREFIX}${gone}_1`;
      assert.equal(spawnSync('nft', ['add', 'table', 'inet', stale]).status, 0);
      const lab = await startLab({ port: 0, hosts: ['blackhole.test'], blackhole: 'nftables' });
      await lab.close();
      assert.deepEqual(labTables(Number(gone)), []);
    },
  );
});

describe('lab: a lab process that dies leaves nothing behind', { concurrency: true }, () => {
  const deaths = ['exit', 'SIGINT', 'SIGKILL'] as const;
  for (const method of METHODS) {
    for (const death of deaths) {
      test(`${method}, ${death}: the keeper cleans up and the blackhole address refuses`, async () => {
        const script = `import(${JSON.stringify(LAB_MODULE)}).then(async ({ startLab }) => {
          const lab = await startLab({ port: 0, hosts: ['blackhole.test'], blackhole: ${JSON.stringify(method)} });
          console.log(JSON.stringify(lab.blackhole));
          // 'exit': process.exit without close(), when the test says so (after it has seen the keeper).
          process.stdin.once('data', () => process.exit(0));
        });`;
        const child = spawn(process.execPath, ['-e', script], {
          stdio: ['pipe', 'pipe', 'inherit'],
        });
        const line = await new Promise<string>((resolve) =>
          child.stdout.once('data', (d: Buffer) => resolve(d.toString())),
        );
        const bh = JSON.parse(line) as NonNullable<Lab['blackhole']>;
        assert.equal(bh.method, method);
        const mark = markOf({ blackhole: bh }, child.pid);
        assert.equal(keepers(mark).length, 1);
        if (death === 'exit') child.stdin.write('x');
        else child.kill(death);
        await new Promise((resolve) => child.once('exit', resolve));
        await eventually('keeper gone', () => keepers(mark).length === 0);
        await eventually('table gone', () => labTables(child.pid).length === 0);
        // Eventually: a keeper that is exiting has left /proc's cmdline a moment before its listener is closed.
        await eventually(
          'connect refused',
          async () => (await connectOutcome(bh.address, bh.port, 200)) === 'ECONNREFUSED',
        );
      });
    }
  }
});
