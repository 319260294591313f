import type { ApiKeys } from '../../apiKeys';
import type { Backends } from '../../backends';
import type { Route } from '../route';
import { operationRoutes } from './operations';
import { tenantRoutes } from './tenants';
import { accountRoutes } from './accounts';
import { credentialRoutes } from './credentials';
import { privacyRoutes } from './privacy';
import { rateLimitRoutes } from './rateLimits';
import type { RateLimitOverrides } from '../../db/rateLimitOverrides';
import type { RateLimitDefaults } from '../rateLimiting';
import { deadLetterRoutes } from './deadLetters';
import type { GlobalPrivacyControl } from '../../globalPrivacyControl';
import { numberRoutes } from './numbers';
import { webhookRoutes } from './webhooks';
import { messageRoutes } from './messages';
import { messagingSettingsRoutes } from './messagingSettings';
import { callRoutes } from './calls';
import { planRoutes } from './plans';
import { accountPlanRoutes } from './accountPlans';
import { balanceRoutes } from './balance';
import { paymentRoutes } from './payments';
import { invoiceRoutes } from './invoices';

/** Every public route. The OpenAPI document is generated from this list. */
export function buildRoutes(
  backends: Backends,
  rateLimits: { overrides: RateLimitOverrides; defaults: RateLimitDefaults },
  globalPrivacyControl?: GlobalPrivacyControl,
  apiKeys?: Pick<ApiKeys, 'forget' | 'forgetTenant'>,
): Route[] {
  return [
    ...operationRoutes(backends),
    ...tenantRoutes(backends, apiKeys),
    ...accountRoutes(backends, globalPrivacyControl),
    ...credentialRoutes(backends, apiKeys),
    ...numberRoutes(backends),
    ...webhookRoutes(backends),
    ...messageRoutes(backends),
    ...messagingSettingsRoutes(backends),
    ...callRoutes(backends),
    ...planRoutes(backends),
    ...accountPlanRoutes(backends),
    ...balanceRoutes(backends),
    ...paymentRoutes(backends),
    ...invoiceRoutes(backends),
    ...privacyRoutes(backends),
    ...rateLimitRoutes(backends, rateLimits.overrides, rateLimits.defaults),
    ...deadLetterRoutes(backends),
  ] as Route[];
}
