// The SMPP 3.4 constants live in the kit (shared with messaging's SMPP client).
export * from '@parley/kit/src/smpp/status';
