// Look-ups that many concurrent requests make at once (the Matrix layer's
// token checks and send pre-checks), answered by one query per batch. One
// batch at a time: while one is in the database the next one gathers, so a
// busy node sends few, larger queries instead of many small ones.
import DataLoader from 'dataloader';

export function batchedLookup<K, V>(
  run: (keys: readonly K[]) => Promise<V[]>,
  opts: { maxBatchSize?: number; gatherMs?: number } = {},
): (key: K) => Promise<V> {
  const { maxBatchSize = 500, gatherMs = 0 } = opts;
  let previous: Promise<unknown> = Promise.resolve();
  // gatherMs: how long a batch waits for more keys once the previous one is done (look-ups nobody waits for).
  const later = (dispatch: () => void) => (gatherMs > 0 ? void setTimeout(dispatch, gatherMs).unref() : void setImmediate(dispatch));
  const loader = new DataLoader<K, V>(
    (keys) => {
      const batch = run(keys);
      previous = batch.catch(() => undefined);
      return batch;
    },
    { cache: false, maxBatchSize, batchScheduleFn: (dispatch) => void previous.then(() => later(dispatch)) },
  );
  return (key) => loader.load(key);
}
