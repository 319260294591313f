export * from './currency';
export * from './decimal';
export * from './money';
export * from './unitPrice';
export * from './columns';
