/** Who may do what (docs/security.md has the full table). */
export const ROLES = ['ops', 'analyst', 'customer', 'till', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller, as `request.user`: the token's subject and roles. */
export interface Principal {
  sub: string;
  roles: Role[];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
