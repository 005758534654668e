export { type Validated, validate } from './validate.js';
