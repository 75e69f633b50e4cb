// Loaded into the Rinki node that bench/soak.ts runs (`--import`, with
// `--expose-gc`), before the server's own modules: every SOAK_SAMPLE_MS it
// sends the bench, over the IPC channel, the node's memory right after a full
// collection, its RSS, its event-loop delay, its CPU time and its open handles
// by kind. It adds nothing to the server but this timer and two delay monitors.
//
// Messages from the bench: {measure: true} starts the event-loop delay of the
// measured period afresh (after warm-up); {snapshot: path} writes a heap
// snapshot there (for finding where memory goes; it stops the node for seconds).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';

export interface ProbeSample {
  /** Milliseconds since the probe started. */
  at: number;
  rssBytes: number;
  /** After a full, forced collection: what is still referenced. */
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  /** Event-loop delay since the previous sample (ms). */
  loop: { p50: number; p99: number; max: number };
  /** p99 event-loop delay since the bench last said {measure: true} (ms). */
  loopSinceMeasureP99: number;
  /** CPU time since the previous sample, in % of one core. */
  cpuPercent: number;
  /** process.getActiveResourcesInfo(), counted by kind. */
  handles: Record<string, number>;
  /** How long the forced collection took (ms): it stops the node. */
  gcMs: number;
}

const SAMPLE_MS = Number(process.env.SOAK_SAMPLE_MS ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
const send = process.send?.bind(process);

if (send && gc) {
  const started = performance.now();
  // One sample per late tick: the forced collection below is one tick per window, under the p99.
  const windowDelay = monitorEventLoopDelay({ resolution: 10 });
  const measuredDelay = monitorEventLoopDelay({ resolution: 10 });
  windowDelay.enable();
  measuredDelay.enable();
  let cpu = process.cpuUsage();
  let cpuAt = performance.now();

  process.on('message', (message: { measure?: boolean; snapshot?: string }) => {
    if (message.measure) measuredDelay.reset();
    if (message.snapshot) {
      gc();
      v8.writeHeapSnapshot(message.snapshot);
      send({ snapshotWritten: message.snapshot });
    }
  });

  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  setInterval(() => {
    const loop = { p50: ms(windowDelay.percentile(50)), p99: ms(windowDelay.percentile(99)), max: ms(windowDelay.max) };
    windowDelay.reset();
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    const cpuPercent = Math.round(((used.user + used.system) / 1000 / (now - cpuAt)) * 1000) / 10;
    [cpu, cpuAt] = [process.cpuUsage(), now];
    const gcStart = performance.now();
    gc();
    const gcMs = Math.round(performance.now() - gcStart);
    const memory = process.memoryUsage();
    const handles: Record<string, number> = {};
    for (const kind of process.getActiveResourcesInfo()) handles[kind] = (handles[kind] ?? 0) + 1;
    const sample: ProbeSample = {
      at: Math.round(performance.now() - started),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
      arrayBuffersBytes: memory.arrayBuffers,
      loop,
      loopSinceMeasureP99: ms(measuredDelay.percentile(99)),
      cpuPercent,
      handles,
      gcMs,
    };
    send({ sample });
  }, SAMPLE_MS).unref();
}
