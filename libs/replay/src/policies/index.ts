import { daysOfCoverPolicy } from './days-of-cover.policy';
import { reorderPointPolicy } from './reorder-point.policy';
import type { RestockPolicy } from './restock-policy';

export * from './restock-policy';
export { daysOfCoverPolicy } from './days-of-cover.policy';
export { reorderPointPolicy } from './reorder-point.policy';

/** Every policy the replay knows, by name. A new policy is a file plus a line here. */
export const RESTOCK_POLICIES: readonly RestockPolicy[] = [reorderPointPolicy, daysOfCoverPolicy];

/** The policy called `name`, or an error listing the known ones. */
export function policyNamed(name: string): RestockPolicy {
  const policy = RESTOCK_POLICIES.find((p) => p.name === name);
  if (!policy) throw new Error(`unknown policy "${name}"; known: ${RESTOCK_POLICIES.map((p) => p.name).join(', ')}`);
  return policy;
}
