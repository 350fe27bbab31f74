/**
 * Cluster-wide `/metrics` (service spec §5.1, §5.3). Each worker records into its own registry; a worker serving
 * `/metrics` asks the primary, which collects every worker's registry through prom-client's `AggregatorRegistry`.
 *
 * Two IPC protocols share the worker↔primary channel and never see each other's messages:
 * - prom-client's own (`prom-client:getMetricsReq` / `prom-client:getMetricsRes`): primary → every worker → primary;
 * - ours (`qnwis:metrics:request` / `qnwis:metrics:response`): one worker → primary → that worker.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Registry } from 'prom-client';

export const METRICS_REQUEST_TYPE = 'qnwis:metrics:request';
export const METRICS_RESPONSE_TYPE = 'qnwis:metrics:response';
export const DEFAULT_METRICS_TIMEOUT_MS = 5000;

export interface MetricsRequestMessage {
  type: typeof METRICS_REQUEST_TYPE;
  id: number;
}

export interface MetricsResponseMessage {
  type: typeof METRICS_RESPONSE_TYPE;
  id: number;
  ok: boolean;
  /** The Prometheus text when `ok`; empty otherwise. */
  text: string;
  contentType: string;
}

export interface MetricsText {
  contentType: string;
  text: string;
}

export type MetricsUnavailableReason = 'timeout' | 'aggregation_failed' | 'ipc_closed';

/** The aggregate could not be produced; the HTTP layer answers 503 `metrics_unavailable`. */
export class MetricsUnavailableError extends Error {
  constructor(readonly reason: MetricsUnavailableReason) {
    super(`cluster metrics unavailable: ${reason}`);
    this.name = 'MetricsUnavailableError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isMetricsRequest(message: unknown): message is MetricsRequestMessage {
  return isRecord(message) && message.type === METRICS_REQUEST_TYPE && typeof message.id === 'number';
}

function isMetricsResponse(message: unknown): message is MetricsResponseMessage {
  return (
    isRecord(message) &&
    message.type === METRICS_RESPONSE_TYPE &&
    typeof message.id === 'number' &&
    typeof message.ok === 'boolean' &&
    typeof message.text === 'string' &&
    typeof message.contentType === 'string'
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Primary

export interface PrimaryMetrics {
  /** The aggregate of all connected workers (also used by the primary's own `METRICS_PORT` listener). */
  collect(): Promise<MetricsText>;
  /** Stops answering worker requests (prom-client's own listener stays; it is process-wide and idempotent). */
  close(): void;
}

let primaryMetrics: PrimaryMetrics | undefined;

/** Installs the primary's IPC handler for worker metrics requests. Idempotent; only valid in the cluster primary. */
export function setupPrimaryMetrics(): PrimaryMetrics {
  if (!cluster.isPrimary) throw new Error('setupPrimaryMetrics() must run in the cluster primary');
  if (primaryMetrics) return primaryMetrics;

  // Constructing it installs prom-client's primary-side listener for worker answers.
  const aggregator = new AggregatorRegistry();
  let inFlight: Promise<MetricsText> | undefined;

  // Concurrent scrapes share one fan-out to the workers instead of multiplying IPC traffic.
  const collect = (): Promise<MetricsText> => {
    if (!inFlight) {
      const started = aggregator.clusterMetrics().then((text) => ({ contentType: aggregator.contentType, text }));
      const clear = (): void => {
        if (inFlight === started) inFlight = undefined;
      };
      started.then(clear, clear);
      inFlight = started;
    }
    return inFlight;
  };

  const reply = (worker: Worker, response: MetricsResponseMessage): void => {
    if (!worker.isConnected()) return;
    // A worker that exits before the answer arrives has nobody left to tell.
    worker.send(response, undefined, () => undefined);
  };

  const onMessage = (worker: Worker, message: unknown): void => {
    if (!isMetricsRequest(message)) return;
    const { id } = message;
    collect().then(
      ({ contentType, text }) => reply(worker, { type: METRICS_RESPONSE_TYPE, id, ok: true, text, contentType }),
      () =>
        reply(worker, { type: METRICS_RESPONSE_TYPE, id, ok: false, text: '', contentType: aggregator.contentType }),
    );
  };
  cluster.on('message', onMessage);

  const created: PrimaryMetrics = {
    collect,
    close: () => {
      cluster.off('message', onMessage);
      if (primaryMetrics === created) primaryMetrics = undefined;
    },
  };
  primaryMetrics = created;
  return created;
}

// ---------------------------------------------------------------------------------------------------------------
// Worker

interface PendingRequest {
  resolve: (value: MetricsText) => void;
  reject: (reason: MetricsUnavailableError) => void;
  timer: NodeJS.Timeout;
}

let localRegistry: Registry | undefined;
let nextRequestId = 1;
const pending = new Map<number, PendingRequest>();
let responseListenerInstalled = false;

/**
 * Makes `registry` the one prom-client's cluster code reports to the primary, and the fallback of
 * `fetchClusterMetrics` outside a cluster. Call it first thing in every worker: a worker that has not done so
 * leaves the primary's collection waiting until its 5 s timeout.
 */
export function setupWorkerMetrics(registry: Registry): void {
  localRegistry = registry;
  if (!cluster.isWorker) return;
  // prom-client answers the primary from the registries set here (default: the unused global registry).
  AggregatorRegistry.setRegistries([registry]);
  // Constructing an AggregatorRegistry is what installs prom-client's worker-side answering listener.
  void new AggregatorRegistry();
}

function settle(id: number): PendingRequest | undefined {
  const request = pending.get(id);
  if (!request) return undefined;
  pending.delete(id);
  clearTimeout(request.timer);
  return request;
}

function onWorkerMessage(message: unknown): void {
  if (!isMetricsResponse(message)) return;
  const request = settle(message.id);
  if (!request) return; // answered after our timeout
  if (message.ok) request.resolve({ contentType: message.contentType, text: message.text });
  else request.reject(new MetricsUnavailableError('aggregation_failed'));
}

/**
 * The whole process's metrics. In a cluster worker: asks the primary and rejects with `MetricsUnavailableError`
 * after `timeoutMs`. Elsewhere (tests, single process): the registry given to `setupWorkerMetrics`.
 */
export async function fetchClusterMetrics(timeoutMs: number = DEFAULT_METRICS_TIMEOUT_MS): Promise<MetricsText> {
  const send = process.send?.bind(process);
  if (!cluster.isWorker || !send) {
    if (!localRegistry) throw new Error('setupWorkerMetrics() was not called');
    return { contentType: localRegistry.contentType, text: await localRegistry.metrics() };
  }
  if (!responseListenerInstalled) {
    process.on('message', onWorkerMessage);
    responseListenerInstalled = true;
  }
  const id = nextRequestId++;
  return new Promise<MetricsText>((resolve, reject) => {
    const timer = setTimeout(() => settle(id)?.reject(new MetricsUnavailableError('timeout')), timeoutMs);
    pending.set(id, { resolve, reject, timer });
    const request: MetricsRequestMessage = { type: METRICS_REQUEST_TYPE, id };
    send(request, undefined, undefined, (err: Error | null) => {
      if (err) settle(id)?.reject(new MetricsUnavailableError('ipc_closed'));
    });
  });
}
