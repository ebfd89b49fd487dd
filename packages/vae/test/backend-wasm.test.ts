import { backendSuite } from './backend-suite.js';

backendSuite('wasm', { trainSize: 32, control: true });
