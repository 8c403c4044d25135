/**
 * heapAfterGc, for tests that bound memory: the heap measured after a full
 * collection, so growth is what stayed alive, not garbage not yet collected.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * heapAfterGc: the heap in use after a full collection. gc is exposed at run
 * time (npm test passes no --expose-gc); where that fails, the heap as it is.
 */
export const heapAfterGc = (() => {
  let gc: (() => void) | undefined;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  } catch {
    gc = undefined;
  }
  return (): number => {
    gc?.();
    return process.memoryUsage().heapUsed;
  };
})();
