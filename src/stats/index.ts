// Public surface of /stats: figures from aggregates, the CSV export, and the words for both.
export { statsSummary, lastUtcDays, utcDay, type StatsSummary } from './summary.js';
export { csvRows, csvStream, csvField, csvLine, pledgeCsvFields, CSV_COLUMNS, CSV_CONTENT_TYPE } from './csv.js';
export { statsStrings, type StatsStrings } from './strings.js';
export { statsMessage, statsCharts, csvExport, type StatsMessageInput } from './message.js';
export { ChartCache, type ChartCacheOptions, type ChartCacheStats } from './chartCache.js';
