/** The four roles of service spec §2.5 and their inheritance. */

export const ROLES = ['analyst', 'service', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What each role grants, itself included (§2.5 table). */
const GRANTS: Readonly<Record<Role, readonly Role[]>> = {
  analyst: ['analyst'],
  service: ['service', 'analyst'],
  auditor: ['auditor'],
  admin: ['admin', 'analyst', 'auditor', 'service'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The closure of `roles` under inheritance, without duplicates, in ROLES order (analyst, service, auditor, admin). */
export function effectiveRoles(roles: readonly Role[]): Role[] {
  const granted = new Set<Role>();
  for (const role of roles) for (const g of GRANTS[role]) granted.add(g);
  return ROLES.filter((r) => granted.has(r));
}
