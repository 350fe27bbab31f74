import type { FastifyRequest } from 'fastify';
import { clientIpHash, type AuditEvent } from '../security/audit-events.js';

export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** An audit event (service spec §3.9) about this request: its id, principal, path and pseudonymous client address. */
export function requestAuditEvent(
  req: FastifyRequest,
  action: string,
  status: number | null,
  details: Record<string, unknown> = {},
): AuditEvent {
  return {
    ts: new Date(),
    request_id: req.id,
    principal_hash: req.principal?.principal_hash ?? null,
    principal_kind: req.principal?.kind ?? null,
    action,
    resource: pathOf(req.url),
    status,
    client_ip_hash: clientIpHash(req.ip),
    details,
  };
}

/** Where route handlers send administrative audit events (null when the app has no audit store). */
export type RequestAuditSink = (event: AuditEvent) => void;
