/**
 * Determinism (analysis spec §8, acceptance A13): with the clock date fixed, one /ask question per intent (19), every
 * canonical agent endpoint with default params (plus the parameters an endpoint requires), the council and the
 * minister briefing (JSON and Markdown) run twice in one app instance and once in a fresh second instance. With
 * request_id, audit_id and timings_ms removed at every nesting level, the serialised bodies are byte-identical and the
 * answer digests equal.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAnalysisApp, type AnalysisApp } from '../support/analysis-app.js';
import { answerDigest, stripVolatile } from '../../src/analysis/audit/digest.js';
import { INTENTS } from '../../src/analysis/model.js';
import { CANONICAL_AGENT_CALLS, QUESTION_PER_INTENT } from '../analysis/support/agent-bodies.js';

const CLOCK_DATE = '2025-01-15';

interface Call {
  name: string;
  url: string;
  payload: Record<string, unknown>;
  accept?: string;
}

const CALLS: readonly Call[] = [
  ...Object.entries(QUESTION_PER_INTENT).map(([intent, question]) => ({
    name: `ask ${intent}`,
    url: '/api/v1/ask',
    payload: { question },
  })),
  ...CANONICAL_AGENT_CALLS.map((c) => ({
    name: `agent ${c.route}`,
    url: `/api/v1/agents/${c.route}`,
    payload: { intent: c.intent, params: c.params },
  })),
  { name: 'council', url: '/api/v1/council/run', payload: {} },
  { name: 'briefing', url: '/api/v1/briefing/minister', payload: {} },
  { name: 'briefing (markdown)', url: '/api/v1/briefing/minister', payload: {}, accept: 'text/markdown' },
];

interface Outcome {
  status: number;
  body: Record<string, unknown>;
  stable: string;
  digest: string;
}

async function runAll(t: AnalysisApp): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>();
  for (const c of CALLS) {
    const res = await t.app.inject({
      method: 'POST',
      url: c.url,
      payload: c.payload,
      ...(c.accept ? { headers: { accept: c.accept } } : {}),
    });
    if (c.accept === 'text/markdown') {
      // The Markdown alone: no volatile members to remove.
      out.set(c.name, { status: res.statusCode, body: {}, stable: res.body, digest: answerDigest(res.body) });
      continue;
    }
    const body = res.json() as Record<string, unknown>;
    out.set(c.name, {
      status: res.statusCode,
      body,
      stable: JSON.stringify(stripVolatile(body)),
      digest: answerDigest(body),
    });
  }
  return out;
}

let first: Map<string, Outcome>;
let second: Map<string, Outcome>;
let fresh: Map<string, Outcome>;

beforeAll(async () => {
  const a = await buildAnalysisApp({ clockDate: CLOCK_DATE });
  try {
    first = await runAll(a);
    second = await runAll(a);
  } finally {
    await a.close();
  }
  const b = await buildAnalysisApp({ clockDate: CLOCK_DATE });
  try {
    fresh = await runAll(b);
  } finally {
    await b.close();
  }
}, 180_000);

describe('determinism (§8): same data, question and clock date → the same answer', () => {
  it('covers one question per intent, all 19 canonical agent routes, the council and the briefing', () => {
    expect(Object.keys(QUESTION_PER_INTENT).sort()).toEqual([...INTENTS].sort());
    expect(new Set(CANONICAL_AGENT_CALLS.map((c) => c.intent))).toEqual(new Set(INTENTS));
    for (const name of ['council', 'briefing', 'briefing (markdown)']) expect(first.get(name)!.status, name).toBe(200);
    expect(first.get('briefing (markdown)')!.stable).toMatch(/^# Minister Briefing: Qatar Labour Market/);
    expect((first.get('council')!.body.verification as { passed: boolean }).passed).toBe(true);
    for (const c of CALLS.filter((x) => x.url.startsWith('/api/v1/ask') || x.url.startsWith('/api/v1/agents/'))) {
      const o = first.get(c.name)!;
      expect(o.status, c.name).toBe(200);
      expect(o.body.status, c.name).toBe('answered');
      expect((o.body.freshness as { clock_date: string }).clock_date, c.name).toBe(CLOCK_DATE);
    }
    // Each question reaches the intent it stands for.
    for (const [intent, question] of Object.entries(QUESTION_PER_INTENT)) {
      expect(first.get(`ask ${intent}`)!.body.intent, question).toBe(intent);
    }
  });

  it.each(CALLS.map((c) => [c.name]))('%s: byte-identical twice in one instance and in a fresh instance', (name) => {
    const a = first.get(name)!;
    const b = second.get(name)!;
    const c = fresh.get(name)!;
    if (name === 'briefing (markdown)') {
      expect(b.stable).toBe(a.stable);
      expect(c.stable).toBe(a.stable);
      return;
    }
    // The volatile members do differ between runs, so the comparison below is not vacuous.
    expect(b.body.request_id).not.toBe(a.body.request_id);
    expect(typeof a.body.audit_id).toBe('string');
    expect(b.body.audit_id).not.toBe(a.body.audit_id);
    expect(a.body.timings_ms).toBeTypeOf('object');
    expect(a.stable).not.toContain('"request_id"');
    expect(a.stable).not.toContain('"audit_id"');
    expect(a.stable).not.toContain('"timings_ms"');
    expect(b.stable).toBe(a.stable);
    expect(c.stable).toBe(a.stable);
    expect(b.digest).toBe(a.digest);
    expect(c.digest).toBe(a.digest);
  });
});
