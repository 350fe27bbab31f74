/**
 * The IPC glue of src/http/observability/cluster-metrics.ts, in this process: `node:cluster` is replaced by an
 * event emitter whose role (primary or worker) each test chooses, workers are stand-ins that record what the primary
 * sends them, and the per-worker registries are real prom-client registries aggregated the way the primary
 * aggregates them. test/http/cluster-metrics.test.ts covers the same paths with real forked workers.
 */
import { EventEmitter } from 'node:events';
import cluster from 'node:cluster';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AggregatorRegistry, Registry } from 'prom-client';
import {
  METRICS_REQUEST_TYPE,
  METRICS_RESPONSE_TYPE,
  MetricsUnavailableError,
  fetchClusterMetrics,
  setupPrimaryMetrics,
  setupWorkerMetrics,
  type MetricsResponseMessage,
} from '../../src/http/observability/cluster-metrics.js';
import { qnwisRegistry } from '../../src/http/observability/metrics.js';

vi.mock('node:cluster', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  return { default: Object.assign(new Emitter(), { isPrimary: true, isWorker: false }) };
});

const fakeCluster = cluster as unknown as EventEmitter & { isPrimary: boolean; isWorker: boolean };
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A worker as the primary sees it: records the messages sent to it. */
function fakeWorker(connected = true): { worker: unknown; sent: unknown[] } {
  const sent: unknown[] = [];
  const worker = {
    isConnected: () => connected,
    send: (message: unknown, _handle: unknown, callback?: (err: Error | null) => void) => {
      sent.push(message);
      callback?.(null);
      return true;
    },
  };
  return { worker, sent };
}

/** Lets the microtask queue and one macrotask run, so replies chained on promises are sent. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function qnwisLines(text: string, prefix: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(prefix));
}

afterEach(() => {
  vi.restoreAllMocks();
  fakeCluster.isPrimary = true;
  fakeCluster.isWorker = false;
});

describe('primary side', () => {
  it('refuses to run outside the primary', () => {
    fakeCluster.isPrimary = false;
    expect(() => setupPrimaryMetrics()).toThrow('setupPrimaryMetrics() must run in the cluster primary');
  });

  it('is idempotent, collects from no worker as empty text, and stops answering once closed', async () => {
    const primary = setupPrimaryMetrics();
    expect(setupPrimaryMetrics()).toBe(primary);
    expect(fakeCluster.listenerCount('message')).toBe(1);
    // The real cluster of this process has no workers: prom-client answers with nothing.
    expect(await primary.collect()).toEqual({ contentType: CONTENT_TYPE, text: '' });
    primary.close();
    expect(fakeCluster.listenerCount('message')).toBe(0);
    const again = setupPrimaryMetrics();
    expect(again).not.toBe(primary);
    again.close();
  });

  it('answers a worker request with the aggregate of every worker registry (sums, max, min)', async () => {
    // Two workers' registries, filled the way two workers would fill them.
    const w1 = qnwisRegistry({ version: '3.1.0', queryIds: ['q_a'] });
    const w2 = qnwisRegistry({ version: '3.1.0', queryIds: ['q_a'] });
    const route = { route: '/api/v1/queries', method: 'GET', status: '200' };
    w1.service.requestsTotal.inc(route, 3);
    w2.service.requestsTotal.inc(route, 4);
    w1.service.dependencyUp.set({ dependency: 'redis' }, 1);
    w2.service.dependencyUp.set({ dependency: 'redis' }, 0);
    w1.service.activeRequests.set(2);
    w2.service.activeRequests.set(5);
    const spy = vi
      .spyOn(AggregatorRegistry.prototype, 'clusterMetrics')
      .mockImplementation(async () =>
        AggregatorRegistry.aggregate([
          await w1.registry.getMetricsAsJSON(),
          await w2.registry.getMetricsAsJSON(),
        ]).metrics(),
      );

    const primary = setupPrimaryMetrics();
    try {
      const { worker, sent } = fakeWorker();
      fakeCluster.emit('message', worker, { type: METRICS_REQUEST_TYPE, id: 41 });
      await settle();
      expect(sent).toHaveLength(1);
      const reply = sent[0] as MetricsResponseMessage;
      expect({ ...reply, text: '' }).toEqual({
        type: METRICS_RESPONSE_TYPE,
        id: 41,
        ok: true,
        text: '',
        contentType: CONTENT_TYPE,
      });
      expect(qnwisLines(reply.text, 'qnwis_requests_total')).toEqual([
        'qnwis_requests_total{route="/api/v1/queries",method="GET",status="200"} 7',
      ]);
      expect(qnwisLines(reply.text, 'qnwis_active_requests')).toEqual(['qnwis_active_requests 7']);
      expect(qnwisLines(reply.text, 'qnwis_dependency_up{dependency="redis"}')).toEqual([
        'qnwis_dependency_up{dependency="redis"} 0',
      ]);
      expect(qnwisLines(reply.text, 'qnwis_build_info')).toEqual(['qnwis_build_info{version="3.1.0"} 1']);
      // The primary's own listener sees the same aggregate.
      const again = await primary.collect();
      expect(qnwisLines(again.text, 'qnwis_')).toEqual(qnwisLines(reply.text, 'qnwis_'));
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      primary.close();
    }
  });

  it('shares one collection between concurrent requests and starts a new one afterwards', async () => {
    let release: (text: string) => void = () => undefined;
    const spy = vi.spyOn(AggregatorRegistry.prototype, 'clusterMetrics').mockImplementation(
      () =>
        new Promise<string>((resolve) => {
          release = resolve;
        }),
    );
    const primary = setupPrimaryMetrics();
    try {
      const a = fakeWorker();
      const b = fakeWorker();
      const first = primary.collect();
      fakeCluster.emit('message', a.worker, { type: METRICS_REQUEST_TYPE, id: 1 });
      fakeCluster.emit('message', b.worker, { type: METRICS_REQUEST_TYPE, id: 2 });
      expect(primary.collect()).toBe(first);
      expect(spy).toHaveBeenCalledTimes(1);
      release('qnwis_active_requests 1\n');
      await settle();
      expect(a.sent).toEqual([
        { type: METRICS_RESPONSE_TYPE, id: 1, ok: true, text: 'qnwis_active_requests 1\n', contentType: CONTENT_TYPE },
      ]);
      expect(b.sent).toEqual([
        { type: METRICS_RESPONSE_TYPE, id: 2, ok: true, text: 'qnwis_active_requests 1\n', contentType: CONTENT_TYPE },
      ]);
      const next = primary.collect();
      expect(next).not.toBe(first);
      expect(spy).toHaveBeenCalledTimes(2);
      release('');
      expect(await next).toEqual({ contentType: CONTENT_TYPE, text: '' });
    } finally {
      primary.close();
    }
  });

  it('answers ok:false when the aggregation fails, and a new request tries again', async () => {
    const spy = vi
      .spyOn(AggregatorRegistry.prototype, 'clusterMetrics')
      .mockRejectedValueOnce(new Error('Operation timed out.'))
      .mockResolvedValueOnce('qnwis_active_requests 0\n');
    const primary = setupPrimaryMetrics();
    try {
      const { worker, sent } = fakeWorker();
      fakeCluster.emit('message', worker, { type: METRICS_REQUEST_TYPE, id: 9 });
      await settle();
      expect(sent).toEqual([{ type: METRICS_RESPONSE_TYPE, id: 9, ok: false, text: '', contentType: CONTENT_TYPE }]);
      fakeCluster.emit('message', worker, { type: METRICS_REQUEST_TYPE, id: 10 });
      await settle();
      expect(sent[1]).toEqual({
        type: METRICS_RESPONSE_TYPE,
        id: 10,
        ok: true,
        text: 'qnwis_active_requests 0\n',
        contentType: CONTENT_TYPE,
      });
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      primary.close();
    }
  });

  it('ignores other messages and does not write to a worker that has disconnected', async () => {
    const spy = vi.spyOn(AggregatorRegistry.prototype, 'clusterMetrics').mockResolvedValue('');
    const primary = setupPrimaryMetrics();
    try {
      const live = fakeWorker();
      for (const message of [
        null,
        'qnwis:metrics:request',
        { type: 'prom-client:getMetricsRes', requestId: 1 },
        { type: METRICS_REQUEST_TYPE },
        { type: METRICS_REQUEST_TYPE, id: '3' },
        { type: METRICS_RESPONSE_TYPE, id: 3, ok: true, text: '', contentType: CONTENT_TYPE },
      ]) {
        fakeCluster.emit('message', live.worker, message);
      }
      await settle();
      expect(live.sent).toEqual([]);
      expect(spy).not.toHaveBeenCalled();

      const gone = fakeWorker(false);
      fakeCluster.emit('message', gone.worker, { type: METRICS_REQUEST_TYPE, id: 4 });
      await settle();
      expect(spy).toHaveBeenCalledTimes(1);
      expect(gone.sent).toEqual([]);
    } finally {
      primary.close();
    }
  });
});

describe('worker side', () => {
  type Send = (message: unknown, handle: unknown, options: unknown, callback: (err: Error | null) => void) => boolean;
  let originalSend: typeof process.send;
  let sent: unknown[];
  let answer: (message: { type: string; id: number }, callback: (err: Error | null) => void) => void;

  beforeEach(() => {
    fakeCluster.isPrimary = false;
    fakeCluster.isWorker = true;
    originalSend = process.send;
    sent = [];
    answer = (_message, callback) => callback(null);
    const stub: Send = (message, _handle, _options, callback) => {
      sent.push(message);
      answer(message as { type: string; id: number }, callback);
      return true;
    };
    process.send = stub as unknown as typeof process.send;
  });

  afterEach(() => {
    process.send = originalSend;
  });

  /** The response listener cluster-metrics.ts installed on `process` (called directly, not through process.emit). */
  function responseListener(): (message: unknown) => void {
    const found = process.listeners('message').find((l) => l.name === 'onWorkerMessage');
    if (!found) throw new Error('onWorkerMessage is not installed');
    return found as (message: unknown) => void;
  }

  it('sends a request to the primary and resolves with its answer; stale or foreign answers are ignored', async () => {
    const { registry } = qnwisRegistry({ version: '1.0.0', queryIds: [] });
    const setRegistries = vi.spyOn(AggregatorRegistry, 'setRegistries');
    setupWorkerMetrics(registry);
    // prom-client answers the primary from this worker's registry.
    expect(setRegistries).toHaveBeenCalledWith([registry]);

    const pending = fetchClusterMetrics(2000);
    const listener = responseListener();
    expect(sent).toHaveLength(1);
    const request = sent[0] as { type: string; id: number };
    expect(request).toEqual({ type: METRICS_REQUEST_TYPE, id: expect.any(Number) });
    listener({ type: 'prom-client:getMetricsReq', requestId: 1 });
    listener({ type: METRICS_RESPONSE_TYPE, id: request.id + 1000, ok: true, text: 'other', contentType: 'x' });
    listener({ type: METRICS_RESPONSE_TYPE, id: request.id, ok: true }); // malformed: no text
    listener({
      type: METRICS_RESPONSE_TYPE,
      id: request.id,
      ok: true,
      text: 'qnwis_up 1\n',
      contentType: CONTENT_TYPE,
    });
    expect(await pending).toEqual({ contentType: CONTENT_TYPE, text: 'qnwis_up 1\n' });
    // A duplicate after the answer changes nothing.
    listener({ type: METRICS_RESPONSE_TYPE, id: request.id, ok: false, text: '', contentType: CONTENT_TYPE });

    // The listener is installed once; ids increase.
    const second = fetchClusterMetrics(2000);
    const next = sent[1] as { id: number };
    expect(next.id).toBe(request.id + 1);
    expect(process.listeners('message').filter((l) => l === listener)).toHaveLength(1);
    listener({ type: METRICS_RESPONSE_TYPE, id: next.id, ok: true, text: '', contentType: CONTENT_TYPE });
    expect(await second).toEqual({ contentType: CONTENT_TYPE, text: '' });
  });

  it('rejects with aggregation_failed when the primary reports a failed collection', async () => {
    setupWorkerMetrics(new Registry());
    const pending = fetchClusterMetrics(2000);
    const request = sent[0] as { id: number };
    responseListener()({ type: METRICS_RESPONSE_TYPE, id: request.id, ok: false, text: '', contentType: CONTENT_TYPE });
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsUnavailableError);
    expect(err).toMatchObject({
      name: 'MetricsUnavailableError',
      reason: 'aggregation_failed',
      message: 'cluster metrics unavailable: aggregation_failed',
    });
  });

  it('rejects with timeout when the primary stays silent, and ignores the late answer', async () => {
    setupWorkerMetrics(new Registry());
    const started = Date.now();
    const pending = fetchClusterMetrics(60);
    const request = sent[0] as { id: number };
    await expect(pending).rejects.toMatchObject({ reason: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    // Answered after the deadline: nobody is waiting any more.
    expect(() =>
      responseListener()({ type: METRICS_RESPONSE_TYPE, id: request.id, ok: true, text: 'late', contentType: 'x' }),
    ).not.toThrow();
  });

  it('rejects with ipc_closed when the channel to the primary is gone', async () => {
    setupWorkerMetrics(new Registry());
    answer = (_message, callback) => callback(new Error('Channel closed'));
    await expect(fetchClusterMetrics(2000)).rejects.toMatchObject({ reason: 'ipc_closed' });
    // A send failure reported after the answer arrived changes nothing.
    answer = (message, callback) => {
      responseListener()({ type: METRICS_RESPONSE_TYPE, id: message.id, ok: true, text: 'ok', contentType: 'y' });
      callback(new Error('Channel closed'));
    };
    expect(await fetchClusterMetrics(2000)).toEqual({ contentType: 'y', text: 'ok' });
  });

  it('without an IPC channel, a worker reads its own registry', async () => {
    process.send = undefined;
    const { registry, service } = qnwisRegistry({ version: '4.0.0', queryIds: [] });
    service.activeRequests.set(6);
    setupWorkerMetrics(registry);
    const { contentType, text } = await fetchClusterMetrics(100);
    expect(contentType).toBe(CONTENT_TYPE);
    expect(qnwisLines(text, 'qnwis_active_requests')).toEqual(['qnwis_active_requests 6']);
    expect(sent).toEqual([]);
  });

  it('outside a cluster, before setupWorkerMetrics, refuses to guess a registry', async () => {
    fakeCluster.isWorker = false;
    vi.resetModules();
    const fresh = await import('../../src/http/observability/cluster-metrics.js');
    await expect(fresh.fetchClusterMetrics()).rejects.toThrow('setupWorkerMetrics() was not called');
    expect(fresh.DEFAULT_METRICS_TIMEOUT_MS).toBe(5000);
  });
});
