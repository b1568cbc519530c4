import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { jestProject } from '../../jest.preset.js';

export default jestProject(dirname(fileURLToPath(import.meta.url)), 'tracing');
