export { ConfigError, loadConfig } from './env';
export type { AppConfig } from './env';
