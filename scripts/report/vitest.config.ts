import { defineProject } from 'vitest/config';
import { sharedProject } from '../../vitest.shared.js';

// A project of the root vitest config, like scripts/data; run alone with
// `npx vitest run --config scripts/report/vitest.config.ts`.
export default defineProject(sharedProject(import.meta.url));
