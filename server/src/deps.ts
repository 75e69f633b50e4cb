// What every capability is built from. Created once in rinki.ts.
import type { Bus } from './bus/bus.ts';
import type { Config } from './config.ts';
import type { Keys } from './crypto/keys.ts';
import type { DirectoryCache } from './directory/index.ts';
import type { Logger } from './log.ts';
import type { Db } from './store/db.ts';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface Deps {
  config: Config;
  log: Logger;
  db: Db;
  bus: Bus;
  keys: Keys;
  clock: Clock;
  /** The directory as other capabilities read it: in memory, reloaded when it changes (directory/index.ts). */
  directory: DirectoryCache;
}
