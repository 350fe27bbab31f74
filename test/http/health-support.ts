/** The body of GET /api/v1/health/details (service spec §4.2) as the tests read it, and a component lookup. */

export interface HealthComponent {
  name: string;
  status?: string;
  mode?: string;
  backend?: string;
  latency_ms?: number | null;
  failure?: string;
  [key: string]: unknown;
}

export interface HealthDetailsBody {
  status: 'ok' | 'degraded' | 'down';
  version: string;
  uptime_s: number;
  draining: boolean;
  worker: { id: string; pid: number };
  components: HealthComponent[];
}

/** The named component; a missing one fails the test with the components that are there. */
export function component(d: HealthDetailsBody, name: string): HealthComponent {
  const found = d.components.find((c) => c.name === name);
  if (!found) throw new Error(`no component ${name} in ${JSON.stringify(d.components)}`);
  return found;
}
