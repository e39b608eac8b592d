import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export type Loaded<T> =
  | { state: 'idle' }
  | { state: 'loading'; previous?: T }
  | { state: 'done'; value: T }
  | { state: 'failed'; error: string; status?: number };

/**
 * Runs `load` now (and on `refreshMs`, and when a dependency changes); the newest call wins, so a
 * slow answer never overwrites a newer one. `reload` runs it again.
 */
export function useLoad<T>(
  load: (() => Promise<T>) | undefined,
  deps: unknown[],
  refreshMs?: number,
): { result: Loaded<T>; reload: () => void } {
  const [result, setResult] = useState<Loaded<T>>({ state: 'idle' });
  const generation = useRef(0);
  const run = useCallback(() => {
    if (!load) return setResult({ state: 'idle' });
    const mine = ++generation.current;
    setResult((old) => ({ state: 'loading', previous: old.state === 'done' ? old.value : undefined }));
    load().then(
      (value) => mine === generation.current && setResult({ state: 'done', value }),
      (error: unknown) =>
        mine === generation.current &&
        setResult({
          state: 'failed',
          error: error instanceof Error ? error.message : String(error),
          status: (error as { status?: number }).status,
        }),
    );
    // The caller names the dependencies (as with useEffect).
  }, deps);
  useEffect(() => {
    run();
    if (!refreshMs) return;
    const timer = setInterval(run, refreshMs);
    return () => clearInterval(timer);
  }, [run, refreshMs]);
  return { result, reload: run };
}

/** The value to show: the loaded one, or the previous one while reloading. */
export function valueOf<T>(loaded: Loaded<T>): T | undefined {
  if (loaded.state === 'done') return loaded.value;
  if (loaded.state === 'loading') return loaded.previous;
  return undefined;
}
