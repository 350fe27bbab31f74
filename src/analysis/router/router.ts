/**
 * The deterministic question router (analysis spec §2): normalise and tokenise → keyword and similarity scores →
 * entities and boosts → combined score and confidence → the routed intent with its params, or a clarification.
 * Construction loads the configuration and builds every index; `route` is then a pure synchronous function.
 */
import { resolveParams, unknownIntentError, type IgnoredEntity, type ParamWarning } from '../intent-params.js';
import { AnalysisError, INTENTS, type Intent, type WarningCode } from '../model.js';
import { lowConfidence, missingParameter, optionsFor, unsupportedMetric, type Clarification } from './clarification.js';
import { EntityExtractor, type Entities } from './entities.js';
import { KeywordScorer, type KeywordHit } from './keywords.js';
import { loadRouterConfig, type RouterConfig } from './router-config.js';
import { boosts, combine, confidence, rank, round4, type IntentScore } from './scoring.js';
import { SimilarityIndex } from './similarity.js';
import { analyseText, phraseTokens } from './text.js';

/** Longest question accepted (§4.1), after trimming. */
export const MAX_QUESTION_LENGTH = 500;

export interface RouteRequest {
  /** Skips classification (method explicit, confidence 1); entities are still extracted. */
  intent?: string | null;
  /** Explicit params, validated against the intent schema. */
  params?: Record<string, unknown> | null;
}

export type RouterWarningCode = WarningCode | 'TIME_RANGE_SWAPPED';

export interface RouterWarning {
  code: RouterWarningCode;
  message: string;
  details?: Record<string, unknown>;
}

export interface ScoredIntent {
  intent: Intent;
  score: number;
}

interface RouteCommon {
  method: 'classified' | 'explicit';
  threshold: number;
  /** Up to 3 other intents with a score above 0, best first (empty for an explicit intent). */
  alternatives: ScoredIntent[];
  entities: Entities;
  entities_ignored: IgnoredEntity[];
  warnings: RouterWarning[];
}

export interface RoutedQuestion extends RouteCommon {
  kind: 'route';
  intent: Intent;
  confidence: number;
  params_used: Record<string, unknown>;
  defaults_applied: string[];
}

export interface RouteClarification extends RouteCommon {
  kind: 'clarification';
  intent: null;
  confidence: null;
  /** The intent the question was routed to before the clarification (null for low confidence). */
  candidate: ScoredIntent | null;
  clarification: Clarification;
}

export type RouteResult = RoutedQuestion | RouteClarification;

export interface Classification {
  /** All 19 intents ranked (unrounded scores). */
  ranked: IntentScore[];
  /** Rounded to 4 decimals. */
  confidence: number;
  keywordHits: Record<Intent, KeywordHit[]>;
}

export interface RouterOptions {
  /** The last period of ts_employment_annual: years up to it are backward, later years forward (§2.1). */
  latestDataYear: number;
}

export class QuestionRouter {
  private readonly keywords: KeywordScorer;
  private readonly similarity: SimilarityIndex;
  private readonly extractor: EntityExtractor;
  readonly threshold: number;

  constructor(
    readonly config: RouterConfig,
    readonly options: RouterOptions,
  ) {
    if (!Number.isInteger(options.latestDataYear) || options.latestDataYear < 1990 || options.latestDataYear > 2100) {
      throw new RangeError(`latestDataYear must be a year in 1990..2100, got ${String(options.latestDataYear)}`);
    }
    const stop = new Set(config.lexicon.stop_words.flatMap((w) => phraseTokens(w)));
    this.keywords = new KeywordScorer(config.intents, config.settings);
    this.similarity = new SimilarityIndex(config.intents, stop);
    this.extractor = new EntityExtractor(config.lexicon, options.latestDataYear, config.settings.change_window);
    this.threshold = config.settings.min_confidence;
  }

  /** Entities of a question (§2.5). */
  extract(question: string): Entities {
    return this.extractor.extract(analyseText(question)).entities;
  }

  /** Scores of every intent and the confidence of the best (§2.6). */
  classify(question: string): Classification {
    const text = analyseText(question);
    return this.classifyText(text, this.extractor.extract(text).entities);
  }

  /**
   * Routes a question. Throws AnalysisError invalid_request for an empty or too long question, AnalysisError
   * (missing_param, unknown_metric, unknown_sector, invalid_param) or ParamsValidationError for bad explicit params.
   */
  route(question: string, request: RouteRequest = {}): RouteResult {
    if (typeof question !== 'string') throw new AnalysisError('invalid_request', 'question must be a string');
    const trimmed = question.trim();
    if (trimmed.length === 0) throw new AnalysisError('invalid_request', 'question must not be empty');
    if (trimmed.length > MAX_QUESTION_LENGTH) {
      throw new AnalysisError('invalid_request', `question must be at most ${MAX_QUESTION_LENGTH} characters`);
    }
    const text = analyseText(trimmed);
    const extraction = this.extractor.extract(text);
    const entities = extraction.entities;
    const warnings: RouterWarning[] = extraction.swappedRanges.map((r) => ({
      code: 'TIME_RANGE_SWAPPED',
      message: `The range ${r.from} to ${r.to} runs backwards; it is read as ${r.to} to ${r.from}.`,
      details: { from: r.from, to: r.to },
    }));

    let intent: Intent;
    let method: 'classified' | 'explicit';
    let conf: number;
    let alternatives: ScoredIntent[] = [];
    let classification: Classification | null = null;
    if (request.intent !== undefined && request.intent !== null) {
      if (!(INTENTS as readonly string[]).includes(request.intent)) throw unknownIntentError(request.intent);
      intent = request.intent as Intent;
      method = 'explicit';
      conf = 1;
    } else {
      classification = this.classifyText(text, entities);
      const best = classification.ranked[0]!;
      method = 'classified';
      conf = classification.confidence;
      alternatives = this.alternatives(classification, best.intent);
      if (best.score === 0 || conf < this.threshold) {
        return {
          kind: 'clarification',
          intent: null,
          confidence: null,
          candidate: null,
          method,
          threshold: this.threshold,
          alternatives,
          entities,
          entities_ignored: [],
          warnings,
          clarification: lowConfidence(this.options3(classification)),
        };
      }
      intent = best.intent;
    }

    const resolved = resolveParams(intent, { entities, explicit: request.params ?? {}, mode: 'ask' });
    if (resolved.clarification) {
      classification ??= this.classifyText(text, entities);
      const options = this.options3(classification);
      const c = resolved.clarification;
      return {
        kind: 'clarification',
        intent: null,
        confidence: null,
        candidate: { intent, score: round4(conf) },
        method,
        threshold: this.threshold,
        alternatives,
        entities,
        entities_ignored: [],
        warnings,
        clarification:
          c.reason === 'unsupported_metric'
            ? unsupportedMetric(options, c.metric!, c.supported ?? [])
            : missingParameter(options, c.missing),
      };
    }
    return {
      kind: 'route',
      intent,
      confidence: round4(conf),
      method,
      threshold: this.threshold,
      alternatives,
      entities,
      entities_ignored: resolved.entities_ignored,
      params_used: resolved.params,
      defaults_applied: resolved.defaults_applied,
      warnings: [...warnings, ...resolved.warnings.map((w: ParamWarning) => ({ ...w }))],
    };
  }

  private classifyText(text: ReturnType<typeof analyseText>, entities: Entities): Classification {
    const { scores: k, hits } = this.keywords.score(text.tokens);
    const sim = this.similarity.similarity(text.tokens.map((t) => t.folded));
    const b = boosts(entities, this.config.settings);
    const s = combine(k, sim, b, this.config.settings);
    const scores: IntentScore[] = INTENTS.map((intent, i) => ({
      intent,
      score: s[i]!,
      keyword: k[i]!,
      similarity: sim[i]!,
      boost: b[i]!,
    }));
    const ranked = rank(scores);
    const s1 = ranked[0]!.score;
    const s2 = ranked[1]?.score ?? 0;
    const keywordHits = Object.fromEntries(INTENTS.map((intent, i) => [intent, hits[i]!])) as Record<
      Intent,
      KeywordHit[]
    >;
    return { ranked, confidence: round4(confidence(s1, s2, this.config.settings)), keywordHits };
  }

  private alternatives(c: Classification, winner: Intent): ScoredIntent[] {
    return c.ranked
      .filter((x) => x.intent !== winner && x.score > 0)
      .slice(0, 3)
      .map((x) => ({ intent: x.intent, score: round4(x.score) }));
  }

  /** Top intents with S > 0 for a clarification, or the fixed options when none scored. */
  private options3(c: Classification) {
    const n = this.config.settings.clarification_options;
    const scored = c.ranked
      .filter((x) => x.score > 0)
      .slice(0, n)
      .map((x) => x.intent);
    return optionsFor(scored.length > 0 ? scored : this.config.settings.fallback_options, this.config.intents);
  }
}

/** Loads config/router (or `configDir`) and builds the router. */
export function createRouter(options: RouterOptions & { configDir?: string }): QuestionRouter {
  const config = options.configDir ? loadRouterConfig(options.configDir) : loadRouterConfig();
  return new QuestionRouter(config, { latestDataYear: options.latestDataYear });
}
