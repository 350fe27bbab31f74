/**
 * Query ids the agents, council and briefing read (analysis spec §1.2, §1.3 "mandatory"). The service refuses to
 * start when one is not registered: the reference implementation's agents asked for ids that never existed.
 */
export const MANDATORY_QUERY_IDS: readonly string[] = [
  'ts_employment_annual',
  'ts_retention_annual',
  'ts_attrition_annual',
  'ts_qatarization_annual',
  'ts_avg_salary_annual',
  'lmis_company_retention_latest',
  'syn_attrition_by_sector_latest',
  'syn_qatarization_by_sector_latest',
  'syn_avg_salary_by_sector_latest',
  'syn_sector_employment_latest',
  'syn_sector_employment_all_years',
  'syn_ewi_employment_drop_latest',
  'syn_employment_share_by_gender_latest',
  'syn_unemployment_rate_gcc_latest',
  'wb_gcc_unemployment',
  'wb_gcc_labour_force_participation',
  'wb_gcc_female_labour_force_participation',
];

/** The mandatory ids missing from a registry, in the order above (empty when all are registered). */
export function missingMandatoryQueries(registry: { has(id: string): boolean }): string[] {
  return MANDATORY_QUERY_IDS.filter((id) => !registry.has(id));
}
