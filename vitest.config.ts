import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'docs', 'integration', 'scripts/data', 'scripts/report'],
    maxWorkers: 2,
  },
});
