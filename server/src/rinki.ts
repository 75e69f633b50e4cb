// Composition root: config → store → bus → services → http + socket.
// main.ts runs it as a process; tests start it in-process the same way.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { loadKeys } from './crypto/keys.ts';
import { systemClock, type Clock, type Deps } from './deps.ts';
import { createLogger, type Logger } from './log.ts';
import { openMigratedDb } from './store/migrate.ts';
import { openBus } from './bus/bus.ts';
import { createApp } from './http/app.ts';
import { authenticate } from './auth/authenticate.ts';
import { authMounts } from './auth/routes.ts';
import { DirectoryCache, directoryMounts, loadDemoData } from './directory/index.ts';
import type { SocketCommand } from './realtime/api.ts';
import { attachRealtime, type Realtime } from './realtime/gateway.ts';
import { realtimeMounts, realtimeSocketCommands } from './realtime/routes.ts';
import { createMatrix } from './matrix/index.ts';
import { routingMounts } from './routing/routes.ts';
import { RuleSetCache } from './routing/rule-cache.ts';
import { rulesCouldReach } from './routing/service.ts';
import { startCheckpointTimer } from './disclosures/store.ts';
import { disclosureMounts } from './disclosures/routes.ts';
import { seedLegalBases } from './disclosures/legal-bases.ts';
import { TimerRunner, type TimerHandler } from './timers/timers.ts';
import { Outbox } from './outbox/outbox.ts';
import { Ringing } from './ringing/service.ts';
import { routingRequestRelation } from './ringing/client-facts.ts';
import { callbackRelation } from './callbacks/client-facts.ts';
import { openConcernNotifications, urgentItemRelation } from './urgent/client-facts.ts';
import { seedUrgentDemo } from './urgent/demo-data.ts';
import { Callbacks } from './callbacks/service.ts';
import { callbackMounts } from './callbacks/routes.ts';
import { UrgentQueue } from './urgent/queue.ts';
import { Escalations } from './urgent/escalation.ts';
import { urgentMounts, urgentSocketCommands } from './urgent/routes.ts';
import { scheduleMounts } from './urgent/schedule-routes.ts';
import { Concerns, concernMounts } from './urgent/concerns.ts';
import { ringingMounts, ringingSocketCommands } from './ringing/routes.ts';
import { adminChangeMounts } from './admin/changes.ts';

export interface Rinki {
  deps: Deps;
  server: http.Server;
  realtime: Realtime;
  /** Fires durable timers (ring timeouts, callback reminders, escalations); tests with a fake clock call tick(). */
  timers: TimerRunner;
  /** Delivers domain events to their subscribers; tests with a fake clock call tick() for the rows left behind. */
  outbox: Outbox;
  /** The ring lifecycle (the routing benchmark's accept race calls it directly). */
  ringing: Ringing;
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  log?: Logger;
}

export async function startRinki(config: Config, opts: StartOptions = {}): Promise<Rinki> {
  const log = opts.log ?? createLogger(config.logLevel, config.nodeName);
  const { db, applied } = await openMigratedDb(config);
  if (applied.length) log.info({ applied }, 'migrations applied');
  const bus = await openBus(config.redisUrl, config.redisPrefix, { log, commandTimeoutMs: config.redisCommandTimeoutMs });
  const keys = await loadKeys(config);
  if (config.databaseUrl && !config.keys.auditSigningKey) {
    log.warn('AUDIT_SIGNING_KEY is not set: the key that signs log checkpoints is read from DATA_DIR/keys.json, next to the data; give it through the environment (README: Logs no one can rewrite)');
  }
  // What the capabilities above the directory tell a client read (need to know, the record's concern notifications).
  const clientFacts = { taskRelations: [routingRequestRelation, callbackRelation, urgentItemRelation], rulesReach: rulesCouldReach, openConcerns: openConcernNotifications };
  const deps: Deps = { config, log, db, bus, keys, clock: opts.clock ?? systemClock, directory: new DirectoryCache(db, clientFacts) };
  await seedLegalBases(db);
  if (config.demoData) await loadDemoData(deps, [seedUrgentDemo]);

  // Signing out drops the token's live sockets at once (the gateway would notice within a minute anyway).
  const authHooks = { tokensRevoked: (hashes: Buffer[]) => hashes.forEach((h) => realtime.disconnectToken(h)) };
  const ruleSets = new RuleSetCache(db, bus);
  // One Matrix façade per node: its context listens on the bus for the node's lifetime.
  const matrix = createMatrix(deps);
  // Domain events: written with the change, delivered to the subscribers registered below once the gateway exists.
  const outbox = new Outbox({ db, clock: deps.clock, log, nodeName: config.nodeName });
  const callbacks = new Callbacks(deps, matrix, outbox);
  const urgent = new UrgentQueue(deps, new Escalations(deps, () => realtime), outbox);
  const concerns = new Concerns(deps, () => realtime);
  const ringing = new Ringing(deps, () => realtime, { callbacks, urgent, ruleSets, outbox }, matrix);
  const mounts = [
    ...authMounts(deps, authHooks),
    ...directoryMounts(deps),
    ...realtimeMounts(deps, () => realtime),
    ...matrix.mounts,
    ...routingMounts(deps, () => realtime, ruleSets),
    ...ringingMounts(deps, ringing),
    ...callbackMounts(callbacks),
    ...urgentMounts(urgent, deps),
    ...scheduleMounts(deps),
    ...concernMounts(concerns),
    ...disclosureMounts(deps),
    ...adminChangeMounts(deps),
  ];
  // Each capability hands over the timer kinds it owns; one runner per node fires them all.
  const timerHandlers: Record<string, TimerHandler>[] = [ringing.timerHandlers(), callbacks.timerHandlers(), urgent.escalations.timerHandlers(), concerns.timerHandlers()];
  // The commands answered over Socket.IO (REST offers the same ones, presence and team rooms aside).
  const socketCommands: SocketCommand[] = [...realtimeSocketCommands(deps, () => realtime), ...ringingSocketCommands(ringing), ...urgentSocketCommands(urgent)];
  const timers = new TimerRunner({ db, clock: deps.clock, bus, log, runnerId: config.nodeName });
  for (const handlers of timerHandlers) for (const [kind, handler] of Object.entries(handlers)) timers.register(kind, handler);
  const app = createApp(deps, { authenticate: authenticate(deps), mounts, socketCommands });
  const server = http.createServer(app);
  // Clients and proxies keep their connections between requests (a Matrix client re-polls /sync at once);
  // node's 5 s default closes idle ones sooner than the proxies in front expect.
  server.keepAliveTimeout = 65_000;
  const realtime = await attachRealtime(deps, server, socketCommands);
  for (const subscription of [...ringing.subscriptions(), ...callbacks.subscriptions(realtime), ...urgent.subscriptions(realtime)]) outbox.subscribe(subscription);
  urgent.escalations.onLevelReached((itemId) => void urgent.announce(realtime, itemId).catch((err) => log.error({ err, itemId }, 'could not announce an escalated urgent item')));
  realtime.onPresenceChange(async (change) => {
    if (change.status === 'offline' || change.status === 'away') await ringing.withdrawOffersOf(change.staffId, change.status);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  log.info({ url, database: db.kind, bus: bus.kind }, 'Rinki listening');
  const stopCheckpointTimer = startCheckpointTimer(deps);
  timers.start();
  outbox.start();

  return {
    deps,
    server,
    realtime,
    timers,
    outbox,
    ringing,
    url,
    async close() {
      stopCheckpointTimer();
      await timers.stop();
      await outbox.stop();
      ruleSets.close();
      await realtime.close();
      matrix.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await bus.close();
      await db.close();
    },
  };
}
