import type { Counter, Gauge, Histogram } from 'prom-client';

/** The request metrics the app records on every response (service spec §5.2). */
export interface RequestMetrics {
  requestsTotal: Counter<'route' | 'method' | 'status'>;
  latency: Histogram<'route' | 'method'>;
  activeRequests: Gauge;
}
