import { backendSuite } from './backend-suite.js';

backendSuite('cpu', { trainSize: 16, control: true });
