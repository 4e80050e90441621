// puretls/redis: a fleet of processes (puretls and node:tls) resumes each other's sessions
// through Redis: a session-ID store and shared, rotated ticket keys, both sealed at rest
// under the fleet's secret. The only entry point that imports `redis` (node-redis).
export {
  RedisSessionStore,
  DEFAULT_SESSION_PREFIX,
  DEFAULT_STORE_TIMEOUT_MS,
  DEFAULT_BREAKER_THRESHOLD,
  DEFAULT_BREAKER_COOLDOWN_MS,
  MAX_ENTRY_TTL_MS,
  MAX_ENTRY_BYTES,
  type RedisSessionStoreOptions,
  type AttachedServerStats,
} from './session-store.js';
export {
  RedisTicketKeys,
  DEFAULT_ROTATION_SECONDS,
  DEFAULT_TICKET_LIFETIME_SECONDS,
  DEFAULT_TICKET_KEYS_PREFIX,
  MAX_TICKET_LIFETIME_SECONDS,
  MAX_RING_KEYS,
  type RedisTicketKeysOptions,
  type TicketKeysStats,
} from './ticket-keys.js';
export { SECRET_LENGTH, MAX_PREVIOUS_SECRETS } from './sealing.js';
export type { NodeRedisLike, RedisConnectionOptions } from './client.js';
export type { BreakerState } from './breaker.js';
export type { SessionStoreStats } from '../session/cache.js';
