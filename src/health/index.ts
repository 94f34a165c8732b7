// Provider health: shared circuit breakers per provider, route and country, kept in the receipt
// index's database. The backends' drivers load only when openProviderHealth opens one.
export * from './types';
export { DEFAULT_HEALTH_POLICY, evaluate, resolvePolicy, verdict, type HealthPolicy } from './policy';
export {
  ProviderHealth,
  type HealthDecision,
  type HealthMetrics,
  type ProviderHealthOptions,
  type ProviderHealthStatus,
} from './health';
export { healthKeys } from './keys';
export { openHealthStore } from './open';
export { MemoryHealthData, MemoryHealthStore } from './memory';
export { SqliteHealthStore } from './sqlite';
export { PostgresHealthStore } from './postgres';

import { ProviderHealth, type ProviderHealthOptions } from './health';
import { openHealthStore } from './open';

/** Opens provider health on the receipt index's URL (`memory:`, `sqlite:<file>`, `postgres://…`). */
export async function openProviderHealth(url: string, options: ProviderHealthOptions = {}): Promise<ProviderHealth> {
  return new ProviderHealth(await openHealthStore(url), options);
}
