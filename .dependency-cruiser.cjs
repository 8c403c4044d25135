/**
 * The layer rules of docs/architecture.md, checked by `npm test` (a violation fails the run).
 * Layers from the bottom; a file may import its own layer and any layer below, never one above,
 * and no two files may import each other, even for types only.
 */
const LAYERS = [
  ['foundation', '^src/(errors|error-info|guard|ip|vocabulary)[.]ts$|^src/(schema|time)/'],
  ['smtp', '^src/smtp/'],
  ['net', '^src/net/'],
  ['session', '^src/session/'],
  ['dns', '^src/dns/'],
  ['mx', '^src/mx/'],
  ['probes', '^src/probes/'],
  ['output', '^src/output/'],
  ['demo', '^src/demo/'],
  ['entry', '^src/index[.]ts$|^commands/'],
];

const upward = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `no-upward-from-${name}`,
  comment: `${name} may not import a layer above it (${LAYERS.slice(i + 1)
    .map(([n]) => n)
    .join(', ')})`,
  severity: 'error',
  from: { path },
  to: {
    path: LAYERS.slice(i + 1)
      .map(([, p]) => `(${p})`)
      .join('|'),
  },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-circular',
      comment:
        'no two files import each other, directly or around a loop (type-only imports count)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lab-beside-the-layers',
      comment: 'the lab (a simulated network) uses only the foundation and net/ endpoints',
      severity: 'error',
      from: { path: '^src/lab/' },
      to: {
        path: '^src/',
        pathNot: '^src/lab/|^src/(errors|guard|ip|vocabulary)[.]ts$|^src/net/target[.]ts$',
      },
    },
    {
      name: 'only-the-top-uses-the-lab',
      comment: 'only output, the demo and the entry points import the lab',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(lab|output|demo)/|^src/index[.]ts$' },
      to: { path: '^src/lab/' },
    },
    {
      name: 'probes-do-not-dial',
      comment: 'probes reach the network through a Connector and an AddressResolver only',
      severity: 'error',
      from: { path: '^src/probes/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(net|tls|dns|dgram)(/promises)?$' },
    },
    {
      name: 'pure-smtp',
      comment: 'src/smtp/ is pure: no sockets, no DNS, no CLI, no terminal tables, no HTTP',
      severity: 'error',
      from: { path: '^src/smtp/' },
      to: { path: '^(node:)?(net|tls|dns|dgram)$|^yargs|cli-table3|undici' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
