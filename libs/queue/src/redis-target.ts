import IORedis, { Cluster, RedisOptions } from 'ioredis';
import type { RedisTarget } from '@runyard/config';

/** A client of the target, with `extra` (BullMQ's per-connection needs) on every server connection. */
export function connectRedis(target: RedisTarget, extra: RedisOptions): IORedis | Cluster {
  switch (target.kind) {
    case 'server':
      return new IORedis(target.url, extra);
    case 'sentinel':
      return new IORedis({ ...target.options, ...extra });
    case 'cluster':
      return new Cluster(target.nodes, {
        redisOptions: { ...target.options, ...extra },
        enableOfflineQueue: extra.enableOfflineQueue ?? true,
        // Cluster nodes announce their own addresses: those are the ones to use.
        slotsRefreshTimeout: 2000,
      });
  }
}
