import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { INTENTS, SECTORS } from '../../../src/analysis/model.js';
import { METRIC_IDS } from '../../../src/analysis/router/router-config.js';
import { createRouter, type QuestionRouter } from '../../../src/analysis/router/router.js';
import { phraseTokens } from '../../../src/analysis/router/text.js';

interface Labelled {
  id: string;
  question: string;
  intent: string;
  sectors?: string[];
  metrics?: string[];
  time?: unknown[];
  no_keyword?: boolean;
}

function readJsonl<T>(name: string): T[] {
  const file = fileURLToPath(new URL(`../../fixtures/router/${name}`, import.meta.url));
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

const labelled = readJsonl<Labelled>('labelled.jsonl');
const outOfScope = readJsonl<{ id: string; question: string }>('out_of_scope.jsonl');
const sameSet = (a: readonly string[], b: readonly string[]) =>
  new Set(a).size === new Set(b).size && a.every((x) => b.includes(x));

let router: QuestionRouter;
beforeAll(() => {
  router = createRouter({ latestDataYear: 2024 });
});

describe('labelled set fixtures (§2.9)', () => {
  it('well-formed lines with unique ids, known intents, sectors and metrics', () => {
    expect(new Set(labelled.map((l) => l.id)).size).toBe(labelled.length);
    for (const l of labelled) {
      expect(INTENTS).toContain(l.intent);
      expect(l.question.trim().length).toBeGreaterThan(0);
      for (const s of l.sectors ?? []) expect([...SECTORS, 'ALL']).toContain(s);
      for (const m of l.metrics ?? []) expect(METRIC_IDS).toContain(m);
    }
    expect(new Set(outOfScope.map((l) => l.id)).size).toBe(outOfScope.length);
  });

  it('at least 150 questions, 6 per intent, 20% naming a sector; at least 20 off-topic questions', () => {
    expect(labelled.length).toBeGreaterThanOrEqual(150);
    for (const intent of INTENTS) {
      expect([intent, labelled.filter((l) => l.intent === intent).length >= 6]).toEqual([intent, true]);
    }
    const naming = labelled.filter((l) => (l.sectors ?? []).some((s) => s !== 'ALL')).length;
    expect(naming / labelled.length).toBeGreaterThanOrEqual(0.2);
    expect(outOfScope.length).toBeGreaterThanOrEqual(20);
  });

  it('at least 15 questions contain no catalogue keyword, and those marked so really contain none', () => {
    const keywordFree = labelled.filter((l) => router.classify(l.question).ranked.every((s) => s.keyword === 0));
    expect(keywordFree.length).toBeGreaterThanOrEqual(15);
    const marked = labelled.filter((l) => l.no_keyword === true).map((l) => l.id);
    expect(keywordFree.map((l) => l.id)).toEqual(marked);
  });

  it('no question equals or nearly equals a catalogue example (token Jaccard < 0.8 after folding)', () => {
    const examples = router.config.intents.flatMap((i) => i.examples.map((e) => ({ e, t: new Set(phraseTokens(e)) })));
    const near: string[] = [];
    for (const l of labelled) {
      const q = new Set(phraseTokens(l.question));
      for (const x of examples) {
        const inter = [...q].filter((t) => x.t.has(t)).length;
        const jaccard = inter / (q.size + x.t.size - inter);
        if (jaccard >= 0.8) near.push(`${l.id}: "${l.question}" ~ "${x.e}" (${jaccard.toFixed(2)})`);
      }
    }
    expect(near).toEqual([]);
  });
});

describe('router accuracy on the labelled set (deterministic; the timing gate is in bench/router.ts)', () => {
  it('top-1 ≥ 0.90 and every intent ≥ 0.75 (a clarification counts as wrong)', () => {
    const perIntent = new Map<string, { n: number; ok: number }>();
    let ok = 0;
    for (const l of labelled) {
      const r = router.route(l.question);
      const good = r.kind === 'route' && r.intent === l.intent;
      if (good) ok += 1;
      const s = perIntent.get(l.intent) ?? { n: 0, ok: 0 };
      s.n += 1;
      s.ok += good ? 1 : 0;
      perIntent.set(l.intent, s);
    }
    expect(ok / labelled.length).toBeGreaterThanOrEqual(0.9);
    const below = [...perIntent].filter(([, s]) => s.ok / s.n < 0.75).map(([i, s]) => `${i} ${s.ok}/${s.n}`);
    expect(below).toEqual([]);
  });

  it('out-of-scope questions get a clarification at least 90% of the time', () => {
    const clarified = outOfScope.filter((q) => router.route(q.question).kind === 'clarification').length;
    expect(clarified / outOfScope.length).toBeGreaterThanOrEqual(0.9);
  });

  it('sector and metric exact-set accuracy ≥ 0.90; labelled times match exactly', () => {
    let sectors = 0;
    let metrics = 0;
    for (const l of labelled) {
      const e = router.extract(l.question);
      if (sameSet(e.sectors, l.sectors ?? [])) sectors += 1;
      if (sameSet(e.metrics, l.metrics ?? [])) metrics += 1;
      if (l.time) expect([l.id, e.time]).toEqual([l.id, l.time]);
    }
    expect(sectors / labelled.length).toBeGreaterThanOrEqual(0.9);
    expect(metrics / labelled.length).toBeGreaterThanOrEqual(0.9);
  });
});
