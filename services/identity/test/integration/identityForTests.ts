// Lets other services' integration tests boot a real identity service beside them (tests only: services
// never import each other's code).
import { buildApp as build, type IdentityApp } from '../../src/app';
import { loadConfig } from '../../src/config';

export type { IdentityApp };
export const buildApp = (env: Record<string, string>): IdentityApp => build(loadConfig(env));
