export { ApiClientModule } from './api-client.module.js';
