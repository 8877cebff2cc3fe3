export { createMetrics, ROW_OUTCOMES, UNMATCHED_ROUTE, type FinishedStatus, type Metrics, type RowCounts } from './metrics';
export { createMetricsServer } from './server';
export { refuseScrape } from './access';
