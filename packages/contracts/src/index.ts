export * from './import-status';
