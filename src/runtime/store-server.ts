/**
 * The store's side of the engine's calls (remote-epoch-store.ts), on the thread that owns the
 * ViewStore: commits, with the users and grants of that moment added to the saved state, and
 * the rows a restore or a rebuild reads.
 */

import { serialize } from 'node:v8';
import type { AccessCatalog } from '../auth/access-catalog.ts';
import type { OperatorStateWrite, ViewStore } from '../store/view-store.ts';
import type { Row } from '../stream/value.ts';
import { type CommitChanges, STORE_CALLS } from './remote-epoch-store.ts';
import type { SavedState } from './saved-state.ts';
import type { CrossingError, ThreadRpc } from './thread-rpc.ts';

export function serveEpochStore(rpc: ThreadRpc, store: ViewStore, access: AccessCatalog): void {
  /** Per commit in progress, its operator states once they are packed and the logs fsynced. */
  const ready = new Map<number, PromiseWithResolvers<readonly OperatorStateWrite[]>>();
  const readyOf = (id: number) => {
    let r = ready.get(id);
    if (r === undefined) {
      r = Promise.withResolvers();
      r.promise.catch(() => undefined); // the commit awaits it, and fails with it
      ready.set(id, r);
    }
    return r;
  };
  rpc.handle(STORE_CALLS.commit, async (id: number, c: CommitChanges) => {
    const durable = readyOf(id).promise;
    const state = serialize({ ...c.saved, access: access.snapshot() } satisfies SavedState);
    try {
      await store.commit(
        c.epoch,
        c.deltas,
        state,
        c.raw,
        c.schema,
        c.deadLetters,
        c.labels,
        c.operatorEpochs.map((epoch, i) => ({
          epoch,
          write: durable.then((writes) => writes[i] as OperatorStateWrite),
        })),
        durable,
      );
    } finally {
      ready.delete(id);
    }
    return store.lastCommitPhases;
  });
  rpc.handle(
    STORE_CALLS.ready,
    (id: number, writes: readonly OperatorStateWrite[] | undefined, error?: CrossingError) => {
      const r = readyOf(id);
      if (error === undefined) r.resolve(writes ?? []);
      else r.reject(rpc.revive(error));
    },
  );
  rpc.handle(STORE_CALLS.rows, (relation: string) => store.rows(relation));
  const reading = new Map<number, AsyncIterator<Row[]>>();
  let nextReading = 1;
  rpc.handle(STORE_CALLS.retainedOpen, (source: string) => {
    const id = nextReading++;
    reading.set(id, store.retainedEvents(source)[Symbol.asyncIterator]());
    return id;
  });
  rpc.handle(STORE_CALLS.retainedNext, async (id: number) => {
    const it = reading.get(id);
    if (it === undefined) return null;
    const next = await it.next();
    if (next.done === true) {
      reading.delete(id);
      return null;
    }
    return next.value;
  });
}
