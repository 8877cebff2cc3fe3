export * from './catalog';
export * from './requeue';
export * from './sweep';
export * from './progress';
export * from './token-revocations';
