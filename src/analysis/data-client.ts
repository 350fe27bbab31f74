import type { QueryService } from '../data/query-service.js';
import type { DataClient, QueryResult } from './model.js';

/**
 * The agents' view of the data layer (analysis spec §1.1): registered ids only. Results of one client are memoised
 * so that one answer reads one consistent snapshot of each query, however many methods ask for it.
 */
export function createDataClient(queries: QueryService): DataClient {
  const seen = new Map<string, Promise<QueryResult>>();
  return {
    has: (id) => queries.registry.has(id),
    run(id) {
      let pending = seen.get(id);
      if (!pending) {
        pending = queries.run(id);
        seen.set(id, pending);
        pending.catch(() => seen.delete(id));
      }
      return pending;
    },
  };
}
