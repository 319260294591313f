import type { Backends } from '../../backends';
import type { Route } from '../route';
import { operationRoutes } from './operations';
import { tenantRoutes } from './tenants';
import { accountRoutes } from './accounts';
import { credentialRoutes } from './credentials';
import { dataRoutes } from './data';
import { privacyRoutes } from './privacy';
import { deadLetterRoutes } from './deadLetters';

/** Every public route. The OpenAPI document is generated from this list. */
export function buildRoutes(backends: Backends): Route[] {
  return [
    ...operationRoutes(backends),
    ...tenantRoutes(backends),
    ...accountRoutes(backends),
    ...credentialRoutes(backends),
    ...dataRoutes(backends),
    ...privacyRoutes(backends),
    ...deadLetterRoutes(backends),
  ] as Route[];
}
