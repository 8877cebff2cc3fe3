export * from './import-status';
export * from './common';
export * from './imports';
export * from './stats';
export * from './profiles';
export * from './session';
export * from './tokens';
export * from './cleanup-runs';
