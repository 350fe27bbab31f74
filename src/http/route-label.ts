import type { FastifyRequest } from 'fastify';

/** Route template for metrics, logs and audit events: `unmatched` for 404s. */
export function routeLabel(req: FastifyRequest): string {
  const cfg = req.routeConfig ?? req.routeOptions.config;
  return cfg?.routeLabel ?? cfg?.url ?? 'unmatched';
}
