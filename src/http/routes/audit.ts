/** `GET /api/v1/audit/{audit_id}` for auditors (service spec §1.5, analysis spec §6). */
import type { FastifyInstance } from 'fastify';
import type { AuditStore } from '../../analysis/audit/store.js';
import { auditResponseBody } from '../../analysis/audit/verify-record.js';
import { HttpError } from '../errors.js';

export interface AuditRoutesOptions {
  store: AuditStore | null;
  hmacKey: string | undefined;
}

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export async function auditRoutes(app: FastifyInstance, opts: AuditRoutesOptions): Promise<void> {
  app.get<{ Params: { audit_id: string } }>(
    '/api/v1/audit/:audit_id',
    {
      schema: {
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['audit_id'],
          properties: { audit_id: { type: 'string', pattern: UUID } },
        },
      },
    },
    async (req, reply) => {
      const record = opts.store ? await opts.store.get(req.params.audit_id) : null;
      if (record === null) throw new HttpError(404, 'audit_not_found', 'no audit manifest with this id');
      reply.type('application/json; charset=utf-8');
      return JSON.stringify(auditResponseBody(record, opts.hmacKey));
    },
  );
}
