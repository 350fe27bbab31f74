/**
 * The 19 canonical agent routes (analysis spec §4.4) with a minimal valid request body each: default params, plus only
 * the parameters an endpoint requires (§2.4 "Required"). Scenario routes need a spec (§3.5). Also one /ask question
 * per intent that routes to it on the seed-42 pack, and the reference alias routes with their reference intent names.
 */

const spec = (name: string, transform: Record<string, unknown>, sector = 'Energy'): Record<string, unknown> => ({
  name,
  metric: 'retention',
  sector,
  horizon_months: 12,
  transforms: [{ ...transform, start_month: 0 }],
});

export interface AgentCall {
  route: string;
  intent: string;
  params: Record<string, unknown>;
}

export const CANONICAL_AGENT_CALLS: readonly AgentCall[] = [
  { route: 'pattern/anomalies', intent: 'pattern.anomalies', params: {} },
  { route: 'pattern/correlation', intent: 'pattern.correlation', params: {} },
  { route: 'pattern/root_causes', intent: 'pattern.root_causes', params: {} },
  { route: 'pattern/best_practices', intent: 'pattern.best_practices', params: {} },
  { route: 'strategy/gcc_benchmark', intent: 'strategy.gcc_benchmark', params: {} },
  { route: 'strategy/talent_competition', intent: 'strategy.talent_competition', params: {} },
  { route: 'strategy/vision2030', intent: 'strategy.vision2030', params: {} },
  { route: 'pattern/stable_relations', intent: 'pattern.stable_relations', params: { outcome: 'retention' } },
  { route: 'pattern/seasonal_effects', intent: 'pattern.seasonal_effects', params: { outcome: 'employment' } },
  {
    route: 'pattern/driver_screen',
    intent: 'pattern.driver_screen',
    params: { driver: 'avg_salary', outcome: 'retention' },
  },
  { route: 'time/baseline', intent: 'time.baseline', params: { metric: 'employment' } },
  { route: 'time/trend', intent: 'time.trend', params: { metric: 'employment' } },
  { route: 'time/breaks', intent: 'time.breaks', params: { metric: 'employment' } },
  { route: 'predict/forecast', intent: 'predict.forecast', params: { metric: 'employment' } },
  { route: 'predict/early_warning', intent: 'predict.early_warning', params: { metric: 'employment' } },
  { route: 'predict/scenario_compare', intent: 'predict.scenario_compare', params: { metric: 'employment' } },
  {
    route: 'scenario/apply',
    intent: 'scenario.apply',
    params: { spec: spec('Retention up 2%', { type: 'multiplicative', value: 0.02 }) },
  },
  {
    route: 'scenario/compare',
    intent: 'scenario.compare',
    params: {
      specs: [
        spec('Retention up 2%', { type: 'multiplicative', value: 0.02 }),
        spec('Retention down 1 pp', { type: 'additive', value: -1 }),
      ],
    },
  },
  {
    route: 'scenario/batch',
    intent: 'scenario.batch',
    params: {
      specs: {
        Energy: spec('Energy retention up 2%', { type: 'multiplicative', value: 0.02 }),
        Finance: spec('Finance retention up 2%', { type: 'multiplicative', value: 0.02 }, 'Finance'),
      },
    },
  },
];

/** The reference API's routes that are not also canonical routes, with the reference intent names (§4.4). */
export const ALIAS_AGENT_CALLS: readonly AgentCall[] = [
  { route: 'pattern/correlations', intent: 'pattern.correlations', params: {} },
  { route: 'predictor/forecast', intent: 'predictor.forecast', params: { metric: 'retention', horizon_months: 6 } },
  { route: 'predictor/warnings', intent: 'predictor.warnings', params: { metric: 'retention' } },
  { route: 'strategy/benchmark', intent: 'strategy.benchmark', params: { min_countries: 3 } },
  { route: 'strategy/vision', intent: 'strategy.vision', params: {} },
];

/** One /ask question per intent (19) that the router sends to that intent. */
export const QUESTION_PER_INTENT: Readonly<Record<string, string>> = {
  'pattern.anomalies': 'Flag outlier sectors for average salary',
  'pattern.correlation': 'Is Qatarization linked to attrition across sectors?',
  'pattern.root_causes': 'Why is attrition so high in Hospitality?',
  'pattern.best_practices': 'Which sectors are the top performers on Qatarization?',
  'strategy.gcc_benchmark': "How does Qatar's unemployment compare with the rest of the GCC?",
  'strategy.talent_competition': 'Where is the competition for talent most intense?',
  'strategy.vision2030': 'How far are we from the Vision 2030 nationalization goal?',
  'pattern.stable_relations': 'Which factors have a persistent effect on retention?',
  'pattern.seasonal_effects': 'Is there a seasonal cycle in attrition?',
  'pattern.driver_screen': 'Which sector shows the strongest link between salary and retention?',
  'time.baseline': 'What is the normal level of employment in Healthcare?',
  'time.trend': 'Is employment in Transport rising or falling?',
  'time.breaks': 'Was there a structural break in Construction employment?',
  'predict.forecast': 'Forecast ICT employment for the next 12 months',
  'predict.early_warning': 'Any early warning signs for Healthcare retention?',
  'predict.scenario_compare': 'Compare forecasting methods for Education employment',
  'scenario.apply': 'What if Qatarization in Finance rose by 2 percentage points?',
  'scenario.compare': 'Which scenario gives higher Qatarization, plus 1 pp or plus 5%?',
  'scenario.batch': 'Apply a 2% salary rise across all sectors and show the total impact',
};
