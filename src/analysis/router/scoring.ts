/**
 * Combined score, ranking and confidence (analysis spec §2.6 steps 3–4):
 *   S_i = clamp(kw · min(1, K_i / saturation) + sw · sim_i + b_i, 0, 1)
 *   confidence = S_1 · (0.5 + 0.5 · min(1, (S_1 − S_2) / full_margin))
 * Intents rank by S descending, ties in catalogue order.
 */
import { INTENTS, type Intent } from '../model.js';
import type { Entities } from './entities.js';
import type { RouterSettings } from './router-config.js';

export interface IntentScore {
  intent: Intent;
  score: number;
  keyword: number;
  similarity: number;
  boost: number;
}

/** Rounds to 4 decimals, as scores appear in responses. */
export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** b_i per intent (catalogue order); each boost applies once. */
export function boosts(entities: Entities, settings: RouterSettings): number[] {
  const b = INTENTS.map(() => 0);
  const add = (intent: Intent, v: number) => {
    const i = INTENTS.indexOf(intent);
    b[i] = b[i]! + v;
  };
  if (entities.countries.some((c) => c !== 'QAT')) add('strategy.gcc_benchmark', settings.boosts.gcc_country);
  if (entities.cues.vision_2030) add('strategy.vision2030', settings.boosts.vision_2030);
  if (entities.changes.length > 0 && entities.cues.conditional) {
    for (const i of ['scenario.apply', 'scenario.compare', 'scenario.batch'] as const) {
      add(i, settings.boosts.scenario_change_and_cue);
    }
  }
  if (entities.time.some((t) => t.kind === 'forward')) add('predict.forecast', settings.boosts.forward_time_forecast);
  return b;
}

export function combine(
  k: readonly number[],
  sim: readonly number[],
  b: readonly number[],
  settings: RouterSettings,
): number[] {
  return k.map((ki, i) => {
    const s =
      settings.keyword_weight * Math.min(1, ki / settings.keyword_saturation) +
      settings.similarity_weight * sim[i]! +
      b[i]!;
    return Math.min(1, Math.max(0, s));
  });
}

/** All intents ranked by score descending; ties keep catalogue order. */
export function rank(scores: readonly IntentScore[]): IntentScore[] {
  return scores
    .map((s, i) => ({ s, i }))
    .sort((a, b) => b.s.score - a.s.score || a.i - b.i)
    .map((x) => x.s);
}

export function confidence(s1: number, s2: number, settings: RouterSettings): number {
  return s1 * (0.5 + 0.5 * Math.min(1, (s1 - s2) / settings.full_margin));
}
