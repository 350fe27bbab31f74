/** Which agent method answers each intent (analysis spec §2.3 "Target"). */
import type { AgentResult, DataClient, Intent } from '../model.js';
import * as nationalStrategy from './national-strategy.js';
import * as patternDetective from './pattern-detective.js';
import * as patternMiner from './pattern-miner.js';
import * as predictor from './predictor.js';
import * as scenario from './scenario.js';
import * as timeMachine from './time-machine.js';

export interface AgentMethod {
  agent: string;
  method: string;
  /** Params arrive resolved and validated against the intent's schema (src/analysis/intent-params.ts). */
  run(client: DataClient, params: Record<string, unknown>): Promise<AgentResult>;
}

type Runner<P> = (client: DataClient, params: P) => Promise<AgentResult>;

function method<P>(agent: string, name: string, run: Runner<P>): AgentMethod {
  return { agent, method: name, run: (client, params) => run(client, params as P) };
}

export const AGENT_METHODS: Readonly<Record<Intent, AgentMethod>> = {
  'pattern.anomalies': method('PatternDetective', 'anomalies', patternDetective.anomalies),
  'pattern.correlation': method('PatternDetective', 'correlations', patternDetective.correlations),
  'pattern.root_causes': method('PatternDetective', 'rootCauses', patternDetective.rootCauses),
  'pattern.best_practices': method('PatternDetective', 'bestPractices', patternDetective.bestPractices),
  'strategy.gcc_benchmark': method('NationalStrategy', 'gccBenchmark', nationalStrategy.gccBenchmark),
  'strategy.talent_competition': method('NationalStrategy', 'talentCompetition', nationalStrategy.talentCompetition),
  'strategy.vision2030': method('NationalStrategy', 'vision2030', nationalStrategy.vision2030),
  'pattern.stable_relations': method('PatternMiner', 'stableRelations', patternMiner.stableRelations),
  'pattern.seasonal_effects': method('PatternMiner', 'seasonalEffects', patternMiner.seasonalEffects),
  'pattern.driver_screen': method('PatternMiner', 'driverScreen', patternMiner.driverScreen),
  'time.baseline': method('TimeMachine', 'baseline', timeMachine.baseline),
  'time.trend': method('TimeMachine', 'trend', timeMachine.trend),
  'time.breaks': method('TimeMachine', 'breaks', timeMachine.breaks),
  'predict.forecast': method('Predictor', 'forecast', predictor.forecast),
  'predict.early_warning': method('Predictor', 'earlyWarning', predictor.earlyWarning),
  'predict.scenario_compare': method('Predictor', 'compareMethods', predictor.compareMethods),
  'scenario.apply': method('Scenario', 'apply', scenario.apply),
  'scenario.compare': method('Scenario', 'compare', scenario.compare),
  'scenario.batch': method('Scenario', 'batch', scenario.batch),
};

/** Reference API intent names accepted on the alias routes (analysis spec §4.4). */
export const REFERENCE_INTENT_ALIASES: Readonly<Record<string, Intent>> = {
  'pattern.correlations': 'pattern.correlation',
  'predictor.forecast': 'predict.forecast',
  'predictor.warnings': 'predict.early_warning',
  'strategy.benchmark': 'strategy.gcc_benchmark',
  'strategy.vision': 'strategy.vision2030',
};
