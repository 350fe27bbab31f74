import { describe, expect, it } from 'vitest';
import { DrainState } from '../../src/http/drain.js';

describe('DrainState (service spec §9.3)', () => {
  it('starts once, runs each waiting listener once, and runs late listeners at once', () => {
    const drain = new DrainState();
    const calls: string[] = [];
    drain.onStart(() => calls.push('a'));
    drain.onStart(() => calls.push('b'));
    expect(drain.isDraining).toBe(false);
    expect(calls).toEqual([]);

    drain.start();
    expect(drain.isDraining).toBe(true);
    expect(calls).toEqual(['a', 'b']);
    drain.start();
    expect(calls).toEqual(['a', 'b']);

    drain.onStart(() => calls.push('late'));
    expect(calls).toEqual(['a', 'b', 'late']);
    expect(drain.isDraining).toBe(true);
  });
});
