export { ProcessorsModule } from './processors.module.js';
