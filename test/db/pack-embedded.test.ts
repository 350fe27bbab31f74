import { definePackSuite } from './pack-suite.js';

definePackSuite('embedded');
