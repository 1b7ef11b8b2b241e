import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'src/generated/**', 'models/**', 'data/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The domain never talks to Discord: only src/discord, src/sandbox and commands may import discord.js.
    files: ['src/model/**', 'src/images/**', 'src/labels/**', 'src/training/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['discord.js'], patterns: ['discord.js/*', '**/discord/**'] }],
    },
  },
);
