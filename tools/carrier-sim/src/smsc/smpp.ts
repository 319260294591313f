// The `smpp` package's typed surface lives in the kit (shared with messaging's SMPP client).
export * from '@parley/kit/src/smpp/package';
