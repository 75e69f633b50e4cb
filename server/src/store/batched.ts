// Look-ups that many concurrent requests make at once (the Matrix layer's
// token checks and send pre-checks), answered by one query per batch. One
// batch at a time: while one is in the database the next one gathers, so a
// busy node sends few, larger queries instead of many small ones.
import DataLoader from 'dataloader';

export function batchedLookup<K, V>(run: (keys: readonly K[]) => Promise<V[]>, maxBatchSize = 500): (key: K) => Promise<V> {
  let previous: Promise<unknown> = Promise.resolve();
  const loader = new DataLoader<K, V>(
    (keys) => {
      const batch = run(keys);
      previous = batch.catch(() => undefined);
      return batch;
    },
    { cache: false, maxBatchSize, batchScheduleFn: (dispatch) => void previous.then(() => setImmediate(dispatch)) },
  );
  return (key) => loader.load(key);
}
