// Fan-out between the parts of Rinki, and between nodes when REDIS_URL is set.
// Correctness never depends on the bus: it only makes things happen sooner
// (wake a long-poll, push a change); the database stays the source of truth.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';

export type BusHandler = (message: unknown) => void;

export interface Bus {
  readonly kind: 'memory' | 'redis';
  publish(channel: string, message: unknown): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(channel: string, handler: BusHandler): () => void;
  /**
   * Calls `handler` when messages may have been missed: this node was cut off
   * from the bus and is back, or another node was and what it published
   * meanwhile may be lost. Returns the unsubscribe function.
   */
  onGap(handler: () => void): () => void;
  /** Handlers subscribed on this node, all channels and gap handlers together: a count that keeps growing is a leak. */
  subscriberCount(): number;
  /** The shared Redis connection for rate limits and adapters; undefined in memory mode. */
  readonly redis?: Redis;
  close(): Promise<void>;
}

// Subscribers are per-node services, one or two per channel: the emitters keep Node's
// default limit, so a subscription made per request or per conference warns in the logs.
class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private emitter = new EventEmitter();

  async publish(channel: string, message: unknown): Promise<void> {
    // Asynchronous like Redis, so callers never rely on synchronous delivery.
    queueMicrotask(() => this.emitter.emit(channel, message));
  }

  subscribe(channel: string, handler: BusHandler): () => void {
    this.emitter.on(channel, handler);
    return () => this.emitter.off(channel, handler);
  }

  onGap(): () => void {
    // Within one process nothing is ever missed.
    return () => undefined;
  }

  subscriberCount(): number {
    return countListeners(this.emitter);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

/** The local event for onGap: a symbol, so no channel name can be it. */
const GAP = Symbol('bus gap');
/** The Redis channel (under the prefix) on which a node back on Redis tells the others that its messages may have been lost. */
const GAP_CHANNEL = 'bus:gap';

class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  private local = new EventEmitter();
  private subscriber: Redis;
  /** Prefixes this node's own messages (fixed length): its subscribers heard them at once and skip the echo from Redis. */
  private readonly origin = randomUUID();

  constructor(
    readonly redis: Redis,
    private prefix: string,
    log: Logger,
  ) {
    // A subscriber waits for messages by nature: no command timeout on it.
    this.subscriber = redis.duplicate({ enableAutoPipelining: false, commandTimeout: undefined });
    watchRedis(this.subscriber, 'bus subscriber', log);
    const origin = Buffer.from(this.origin);
    const gapChannel = Buffer.from(prefix + GAP_CHANNEL);
    // As bytes: own messages are told by their prefix, so their echo is never even decoded.
    this.subscriber.on('messageBuffer', (channel: Buffer, raw: Buffer) => {
      if (origin.compare(raw, 0, origin.length) === 0) return;
      if (channel.equals(gapChannel)) this.local.emit(GAP);
      else this.local.emit(channel.toString().slice(prefix.length), JSON.parse(raw.toString('utf8', origin.length)));
    });
    void this.subscriber.subscribe(prefix + GAP_CHANNEL).catch(lostSubscription);
    // Redis keeps no messages for a subscriber that is away: whatever was published meanwhile is gone.
    whenBack(this.subscriber, () => this.local.emit(GAP));
    // And what this node published while its own connection was down may have failed: the others hear that.
    whenBack(redis, () => void redis.publish(prefix + GAP_CHANNEL, this.origin).catch(() => undefined));
  }

  async publish(channel: string, message: unknown): Promise<void> {
    // This node's subscribers without the round trip through Redis, asynchronously as from Redis.
    queueMicrotask(() => this.local.emit(channel, message));
    await this.redis.publish(this.prefix + channel, this.origin + JSON.stringify(message));
  }

  onGap(handler: () => void): () => void {
    this.local.on(GAP, handler);
    return () => this.local.off(GAP, handler);
  }

  subscribe(channel: string, handler: BusHandler): () => void {
    if (this.local.listenerCount(channel) === 0) void this.subscriber.subscribe(this.prefix + channel).catch(lostSubscription);
    this.local.on(channel, handler);
    return () => {
      this.local.off(channel, handler);
      if (this.local.listenerCount(channel) === 0) void this.subscriber.unsubscribe(this.prefix + channel).catch(lostSubscription);
    };
  }

  subscriberCount(): number {
    return countListeners(this.local);
  }

  async close(): Promise<void> {
    this.local.removeAllListeners();
    this.subscriber.disconnect();
    this.redis.disconnect();
  }
}

/** A (un)subscription that failed while Redis was away: the connection's 'error' handler has logged the outage already. */
const lostSubscription = () => undefined;

/**
 * Gives a Redis connection its 'error' handler (without one, ioredis prints each
 * failed reconnect with its stack to stderr): one warning per outage, with the
 * error's code only, and a line when the connection is ready again.
 */
export function watchRedis(connection: Redis, name: string, log: Logger): void {
  let down = false;
  connection.on('error', (err: Error & { code?: string }) => {
    if (down) return;
    down = true;
    log.warn({ redis: name, code: err.code ?? err.name }, 'Redis connection failed; retrying');
  });
  connection.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ redis: name }, 'Redis connection back');
  });
}

export interface BusOptions {
  /** Where Redis outages are logged (silent when not given). */
  log?: Logger;
  /** Fails a command Redis has not answered in time (REDIS_COMMAND_TIMEOUT_MS); none when not given. */
  commandTimeoutMs?: number;
}

function countListeners(emitter: EventEmitter): number {
  return emitter.eventNames().reduce((n, name) => n + emitter.listenerCount(name), 0);
}

/** Calls `then` each time `connection` is ready again after it closed (not when it first connects). */
function whenBack(connection: Redis, then: () => void): void {
  let cut = false;
  connection.on('close', () => (cut = true));
  connection.on('ready', () => {
    if (!cut) return;
    cut = false;
    then();
  });
}

export async function openBus(redisUrl: string | undefined, prefix = 'rinki:', opts: BusOptions = {}): Promise<Bus> {
  if (!redisUrl) return new MemoryBus();
  const log = opts.log ?? pino({ level: 'silent' });
  // Commands issued in the same tick (wake-ups, rate-limit counts) go out in one write.
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true, enableAutoPipelining: true, commandTimeout: opts.commandTimeoutMs });
  watchRedis(redis, 'bus', log);
  try {
    await redis.connect();
  } catch (err) {
    // The node does not start without its Redis: the client stops retrying with it.
    redis.disconnect();
    throw err;
  }
  return new RedisBus(redis, prefix, log);
}
