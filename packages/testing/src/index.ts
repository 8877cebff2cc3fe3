export * from './database';
export * from './fixtures';
export * from './queue';
export * from './services';
export * from './statements';
export * from './xls';
export * from './worker';
export * from './s3';
