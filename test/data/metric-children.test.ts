import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  ChildCache,
  CounterTallies,
  HistogramTallies,
  collectHistogramTallies,
  collectTallies,
} from '../../src/data/metric-children.js';

function tallied(registry: Registry): Counter<'route' | 'status'> {
  return new Counter({
    name: 'test_requests_total',
    help: 'test',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
    collect: collectTallies,
  });
}

describe('CounterTallies', () => {
  it('every increment is in the next read, by label set, and not counted twice', async () => {
    const registry = new Registry();
    const counter = tallied(registry);
    const tallies = new CounterTallies(counter, ['route', 'status']);
    tallies.get('/a', '200').inc();
    tallies.get('/a', '200').inc();
    tallies.get('/a', '404').inc(3);
    expect(await registry.metrics()).toContain('test_requests_total{route="/a",status="200"} 2');
    tallies.get('/a', '200').inc();
    const { values } = await counter.get();
    expect(values.map((v) => [v.labels, v.value])).toEqual([
      [{ route: '/a', status: '200' }, 3],
      [{ route: '/a', status: '404' }, 3],
    ]);
    expect(await registry.metrics()).toContain('test_requests_total{route="/a",status="404"} 3');
  });

  it('refuses a counter whose collection would never hand the tallies over', () => {
    const plain = new Counter({ name: 'plain_total', help: 'test', labelNames: ['x'] as const, registers: [] });
    expect(() => new CounterTallies(plain, ['x'])).toThrow(/collectTallies/);
  });
});

function histograms(): { registry: Registry; tallied: Histogram<'route'>; plain: Histogram<'route'> } {
  const registry = new Registry();
  const config = { help: 'test', labelNames: ['route'] as const, buckets: [0.01, 0.1, 1], registers: [registry] };
  return {
    registry,
    tallied: new Histogram({ ...config, name: 'test_tallied_seconds', collect: collectHistogramTallies }),
    plain: new Histogram({ ...config, name: 'test_plain_seconds' }),
  };
}

/** The exposition lines of one histogram, renamed so two histograms can be compared. */
async function lines(registry: Registry, name: string): Promise<string[]> {
  return (await registry.metrics())
    .split('\n')
    .filter((l) => l.startsWith(name))
    .map((l) => l.replace(name, 'h'));
}

describe('HistogramTallies', () => {
  it('exposes exactly what a plain histogram fed the same values exposes, across reads and resets', async () => {
    const { registry, tallied, plain } = histograms();
    const tallies = new HistogramTallies(tallied, ['route']);
    const feed = (route: string, values: number[]): void => {
      for (const v of values) {
        tallies.get(route).observe(v);
        plain.observe({ route }, v);
      }
    };
    // on a bound, between bounds, above the last bound (+Inf only), zero
    feed('/a', [0.01, 0.05, 0.5, 2, 0]);
    feed('/b', [1, 1, 7]);
    expect(await lines(registry, 'test_tallied_seconds')).toEqual(await lines(registry, 'test_plain_seconds'));
    expect(await lines(registry, 'test_tallied_seconds')).toContain('h_bucket{le="0.1",route="/a"} 3');
    expect(await lines(registry, 'test_tallied_seconds')).toContain('h_count{route="/b"} 3');
    // a second read adds nothing; later observations add to the earlier ones
    feed('/a', [0.2]);
    expect(await lines(registry, 'test_tallied_seconds')).toEqual(await lines(registry, 'test_plain_seconds'));
    expect(await lines(registry, 'test_tallied_seconds')).toContain('h_bucket{le="1",route="/a"} 5');
    registry.resetMetrics();
    feed('/b', [0.001]);
    expect(await lines(registry, 'test_tallied_seconds')).toEqual(await lines(registry, 'test_plain_seconds'));
    expect(await lines(registry, 'test_tallied_seconds')).toContain('h_count{route="/b"} 1');
  });

  it('direct observations and tallies of the same label set add up', async () => {
    const { tallied } = histograms();
    new HistogramTallies(tallied, ['route']).get('/a').observe(0.5);
    tallied.observe({ route: '/a' }, 0.05);
    const { values } = await tallied.get();
    expect(values.filter((v) => v.metricName === 'test_tallied_seconds_count').map((v) => v.value)).toEqual([2]);
  });

  it('refuses non-finite values and a histogram whose collection would never hand the tallies over', () => {
    const { tallied, plain } = histograms();
    expect(() => new HistogramTallies(tallied, ['route']).get('/a').observe(Number.NaN)).toThrow(/finite/);
    expect(() => new HistogramTallies(plain, ['route'])).toThrow(/collectHistogramTallies/);
  });
});

describe('ChildCache', () => {
  it('keeps label tuples apart that a joined key would confuse', () => {
    const children = new ChildCache((...values) => values.join('|'));
    expect(children.get('a\u0000b', 'c')).toBe('a\u0000b|c');
    expect(children.get('a', 'b\u0000c')).toBe('a|b\u0000c');
    expect(children.get('a\u0000b', 'c')).toBe(children.get('a\u0000b', 'c'));
  });
});
