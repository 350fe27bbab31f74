/** The authenticated identity of a request (service spec §2.1), whatever credential produced it. */
import { createHash } from 'node:crypto';
import { effectiveRoles, type Role } from './roles.js';

export type PrincipalKind = 'api_key' | 'jwt' | 'session' | 'bypass';

export interface Principal {
  kind: PrincipalKind;
  /** Key label, JWT `sub`, or the session's key label; never logged (principal_hash is). */
  subject: string;
  /** Roles as granted. */
  roles: Role[];
  /** Closure of `roles` (§2.5). */
  effective_roles: Role[];
  /** Present for api_key and session principals. */
  key_id?: string;
  /** First 12 hex of SHA-256 of `subject`. */
  principal_hash: string;
  /** `key:<key_id>` (api_key, session), `jwt:<principal_hash>`, `bypass`. */
  ratelimit_key: string;
}

export function principalHash(subject: string): string {
  return createHash('sha256').update(subject, 'utf8').digest('hex').slice(0, 12);
}

export type PrincipalInput =
  | { kind: 'api_key' | 'session'; subject: string; roles: readonly Role[]; keyId: string }
  | { kind: 'jwt' | 'bypass'; subject: string; roles: readonly Role[] };

/** Builds a principal with its derived fields (effective roles, hash, rate-limit key) filled consistently. */
export function createPrincipal(input: PrincipalInput): Principal {
  const roles = [...new Set(input.roles)];
  const hash = principalHash(input.subject);
  const base = { kind: input.kind, subject: input.subject, roles, effective_roles: effectiveRoles(roles) };
  switch (input.kind) {
    case 'api_key':
    case 'session':
      return { ...base, key_id: input.keyId, principal_hash: hash, ratelimit_key: `key:${input.keyId}` };
    case 'jwt':
      return { ...base, principal_hash: hash, ratelimit_key: `jwt:${hash}` };
    case 'bypass':
      return { ...base, principal_hash: hash, ratelimit_key: 'bypass' };
  }
}
