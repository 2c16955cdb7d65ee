/** Who may do what (docs/security.md has the full table). `metrics` may only scrape `GET /metrics` (a Prometheus server's token). */
export const ROLES = ['ops', 'analyst', 'customer', 'till', 'service', 'metrics'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller, as `request.user`: the token's subject and roles, and its `city` claim when it has one. */
export interface Principal {
  sub: string;
  roles: Role[];
  /** The token's `city` claim (docs/security.md, "Token claims"): a buyer's city, for a drop's `city` access phase. */
  city?: string;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
