import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';

/** Folders that are no part of the product: src/ and commands/ never import from them. */
const NOT_PRODUCT = ['**/test/**', '**/scripts/**', '**/bench/**'];

/** The application and the domain: besides discord.js itself, they never reach into the adapter. */
const DOMAIN = [
  'src/app/**',
  'src/features/**',
  'src/learning/**',
  'src/model/**',
  'src/detection/**',
  'src/images/**',
  'src/storage/**',
  'src/training/**',
];

/** The domain below the application: it never imports src/app (the application depends on it, not the reverse). */
const BELOW_APP = DOMAIN.filter((folder) => folder !== 'src/app/**' && folder !== 'src/features/**');

const NO_DISCORD = 'Only src/discord and commands/ talk to Discord.';
const NO_HTTP = 'Only the HTTP adapter (src/http) uses fastify.';

/** One no-restricted-imports entry per folder set (ESLint keeps only the last entry that matches a file). */
function restrictImports(files, { discord = false, adapter = false, http = true, app = true, sandbox = 'entry' }) {
  const patterns = [
    { group: NOT_PRODUCT, message: 'Product code never imports test, script or bench code.' },
  ];
  if (discord) patterns.push({ group: ['discord.js/*'], message: NO_DISCORD });
  if (adapter)
    patterns.push({
      group: ['**/discord/**', '**/http/**', '**/sandbox/**'],
      message: 'The domain never reaches into an adapter (Discord, HTTP, the sandbox).',
    });
  if (!app)
    patterns.push({
      group: ['**/app/**'],
      message: 'The domain never imports src/app: the application depends on it. Move the type down.',
    });
  if (sandbox === 'none')
    patterns.push({
      group: ['**/sandbox/**'],
      message: 'The Discord adapter talks to the sandbox like to Discord; src/runtime starts it.',
    });
  if (sandbox === 'entry')
    patterns.push({
      group: ['**/sandbox/**', '!**/sandbox/index.ts'],
      message: 'The sandbox has one entry point: src/sandbox/index.ts.',
    });
  if (http) patterns.push({ group: ['@fastify/*'], message: NO_HTTP });
  const paths = discord ? [{ name: 'discord.js', message: NO_DISCORD }] : [];
  if (http) paths.push({ name: 'fastify', message: NO_HTTP });
  return [{ files, rules: { 'no-restricted-imports': ['error', { paths, patterns }] } }];
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'src/generated/**',
      'models/**',
      'data/**',
      'gpu-pack/**',
      '.tmp/**',
      'coverage/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Type-aware: a promise nobody awaits or catches loses its failure (and its order).
    files: ['src/**/*.ts', 'commands/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test runs what test() and describe() register and reports their failures itself.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
    },
  },
  {
    // An async function handed to an emitter or a callback that ignores its promise loses its failure too.
    // Tests are left out: their throwaway bots' async listeners fail the test loudly, as they should.
    files: ['src/**/*.ts', 'commands/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-misused-promises': 'error' },
  },
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.js'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // The repositories are the one place that queries the database; elsewhere a missing query becomes one.
    files: ['src/**/*.ts', 'commands/**/*.ts'],
    ignores: ['src/storage/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          property: 'prisma',
          message: 'Only src/storage queries the database: add a repository function there.',
        },
      ],
    },
  },
  ...restrictImports(['src/**/*.ts'], { discord: true }),
  ...restrictImports(['src/sandbox/**/*.ts'], { discord: true, sandbox: 'any' }),
  ...restrictImports(DOMAIN, { discord: true, adapter: true }),
  ...restrictImports(BELOW_APP, { discord: true, adapter: true, app: false }),
  ...restrictImports(['src/discord/**/*.ts', 'commands/**/*.ts'], { sandbox: 'none' }),
  ...restrictImports(['src/http/**/*.ts'], { discord: true, http: false }),
);
