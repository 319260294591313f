import type { ApiKeys } from '../../apiKeys';
import type { Backends } from '../../backends';
import { route } from '../route';
import { z } from '../zod';
import {
  apiKeyScope,
  apiKeyJson,
  apiKeySchema,
  idParams,
  oauthClientJson,
  oauthClientSchema,
  scopeEnum,
} from '../schemas';

/** `apiKeys`: told of a key revoked here, so this replica stops accepting it at once. */
export function credentialRoutes(backends: Backends, apiKeys?: Pick<ApiKeys, 'forget'>) {
  const { identity } = backends;
  return [
    route({
      method: 'post',
      path: '/v1/api-keys',
      operationId: 'createApiKey',
      problems: ['API_KEY_INVALID_REQUEST', 'SCOPE_ESCALATION'],
      summary: "Create an API key for the caller's tenant",
      description:
        'The full key is in the response once; only its hash is stored. You can grant only scopes you hold.',
      tags: ['API keys'],
      scope: 'api-keys:write',
      body: z
        .object({
          name: z.string().trim().min(1).max(100),
          scopes: z
            .array(apiKeyScope)
            .min(1)
            .openapi({ example: ['numbers:read', 'messages:read'] }),
          expiresAt: z.iso.datetime({ offset: true }).optional(),
        })
        .strict()
        .openapi('CreateApiKeyRequest'),
      response: {
        status: 201,
        description: 'Created',
        schema: apiKeySchema
          .extend({ apiKey: z.string().openapi({ description: 'The full key. Shown once; store it now.' }) })
          .openapi('CreatedApiKey'),
      },
      handler: async ({ caller, body }) => {
        const { apiKey, secret } = await backends.as(caller, identity, identity.createApiKey, {
          name: body.name,
          scopes: body.scopes,
          expiresAt: body.expiresAt ? new Date(body.expiresAt) : undefined,
        });
        return { ...apiKeyJson(apiKey), apiKey: secret };
      },
    }),
    route({
      method: 'get',
      path: '/v1/api-keys',
      operationId: 'listApiKeys',
      summary: "The tenant's API keys (never their secrets)",
      tags: ['API keys'],
      scope: 'api-keys:read',
      query: z.object({ includeRevoked: z.enum(['true', 'false']).optional() }),
      response: {
        status: 200,
        description: 'The keys',
        schema: z.object({ apiKeys: z.array(apiKeySchema) }).openapi('ApiKeyList'),
      },
      handler: async ({ caller, query }) => {
        const { apiKeys } = await backends.as(caller, identity, identity.listApiKeys, {
          includeRevoked: query.includeRevoked === 'true',
        });
        return { apiKeys: apiKeys.map(apiKeyJson) };
      },
    }),
    route({
      method: 'delete',
      path: '/v1/api-keys/{id}',
      operationId: 'revokeApiKey',
      problems: ['API_KEY_NOT_FOUND'],
      summary: 'Revoke an API key; it stops working at once',
      description:
        'Refused at once by the gateway replica that revoked it; other replicas trust an earlier answer for a key for up to 5 seconds.',
      tags: ['API keys'],
      scope: 'api-keys:write',
      params: idParams,
      response: { status: 200, description: 'The revoked key', schema: apiKeySchema },
      handler: async ({ caller, params }) => {
        const { apiKey } = await backends.as(caller, identity, identity.revokeApiKey, { id: params.id });
        apiKeys?.forget(params.id);
        return apiKeyJson(apiKey);
      },
    }),
    route({
      method: 'post',
      path: '/v1/oauth-clients',
      operationId: 'createOAuthClient',
      problems: [
        'API_KEY_INVALID_REQUEST',
        'SCOPE_ESCALATION',
        'TENANT_PROVISIONING',
        'IDENTITY_PROVIDER_UNAVAILABLE',
      ],
      summary: 'Create a confidential OAuth2 client for a partner integration',
      description:
        "A client-credentials client in the tenant's identity-provider realm; its tokens carry the tenant and the scopes given. The secret is in the response once.",
      tags: ['OAuth clients'],
      scope: 'oauth-clients:write',
      body: z
        .object({ name: z.string().trim().min(1).max(100), scopes: z.array(scopeEnum.exclude(['*'])).min(1) })
        .strict()
        .openapi('CreateOAuthClientRequest'),
      response: {
        status: 201,
        description: 'Created',
        schema: oauthClientSchema
          .extend({ clientSecret: z.string().openapi({ description: 'Shown once; store it now.' }) })
          .openapi('CreatedOAuthClient'),
      },
      handler: async ({ caller, body }) => {
        const { client, clientSecret } = await backends.as(
          caller,
          identity,
          identity.createOAuthClient,
          body,
        );
        return { ...oauthClientJson(client), clientSecret };
      },
    }),
    route({
      method: 'get',
      path: '/v1/oauth-clients',
      operationId: 'listOAuthClients',
      problems: ['IDENTITY_PROVIDER_UNAVAILABLE'],
      summary: "The tenant's OAuth clients (never their secrets)",
      tags: ['OAuth clients'],
      scope: 'oauth-clients:read',
      response: {
        status: 200,
        description: 'The clients',
        schema: z.object({ clients: z.array(oauthClientSchema) }).openapi('OAuthClientList'),
      },
      handler: async ({ caller }) => ({
        clients: (await backends.as(caller, identity, identity.listOAuthClients, {})).clients.map(
          oauthClientJson,
        ),
      }),
    }),
    route({
      method: 'delete',
      path: '/v1/oauth-clients/{id}',
      operationId: 'revokeOAuthClient',
      problems: ['OAUTH_CLIENT_NOT_FOUND', 'IDENTITY_PROVIDER_UNAVAILABLE'],
      summary: 'Revoke an OAuth client; it can get no new tokens',
      tags: ['OAuth clients'],
      scope: 'oauth-clients:write',
      params: idParams,
      response: { status: 200, description: 'The revoked client', schema: oauthClientSchema },
      handler: async ({ caller, params }) =>
        oauthClientJson(
          (await backends.as(caller, identity, identity.revokeOAuthClient, { id: params.id })).client,
        ),
    }),
  ];
}
