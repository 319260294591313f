// SMPP 3.4: the typed surface of the `smpp` package and the specification's constants, shared by
// messaging's ESME and the carrier simulator's SMSC (tools/carrier-sim).
export * from './package';
export * from './status';
