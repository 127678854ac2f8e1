/**
 * A minimal external store for useSyncExternalStore: state replaced, never mutated. Its functions
 * need no `this`, so they may be handed over on their own (`store.subscribe`).
 */
export interface Store<S, A> {
  getState: () => S;
  dispatch: (action: A) => void;
  subscribe: (listener: () => void) => () => void;
}

/** A store others may read and watch but not change. */
export type ReadonlyStore<S> = Pick<Store<S, never>, 'getState' | 'subscribe'>;

export function createStore<S, A>(reducer: (state: S, action: A) => S, initial: S): Store<S, A> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    dispatch(action) {
      const next = reducer(state, action);
      if (next === state) return;
      state = next;
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
