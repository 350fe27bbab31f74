import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ChildCache, CounterTallies, collectTallies } from '../../src/data/metric-children.js';

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

describe('ChildCache', () => {
  it('keeps label tuples apart that a joined key would confuse', () => {
    const children = new ChildCache((...values) => values.join('|'));
    expect(children.get('a\u0000b', 'c')).toBe('a\u0000b|c');
    expect(children.get('a', 'b\u0000c')).toBe('a|b\u0000c');
    expect(children.get('a\u0000b', 'c')).toBe(children.get('a\u0000b', 'c'));
  });
});
