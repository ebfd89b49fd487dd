import { backendSuite } from './backend-suite.js';

backendSuite('webgpu', { trainSize: 16, skipIfUnavailable: true });
