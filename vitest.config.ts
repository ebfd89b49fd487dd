import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'docs', 'integration', 'scripts/data'],
    maxWorkers: 2,
  },
});
