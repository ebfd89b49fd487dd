import { defineProject } from 'vitest/config';
import { sharedProject } from '../../vitest.shared.js';

// A project of the root vitest config, like the packages; run alone with
// `npx vitest run --project data`.
export default defineProject(sharedProject(import.meta.url));
