/** The services `npm start` runs, in start order; the gateway comes last because it fronts the rest. */
export const backendServices = ['identity', 'numbering', 'messaging', 'billing', 'privacy'] as const;
export const allServices = [...backendServices, 'gateway'] as const;
export type ServiceName = (typeof allServices)[number];
