/**
 * The store as the engine's thread sees it: each call crosses to the thread that owns the
 * ViewStore (store-server.ts). A commit crosses in two messages, so that the store writes the
 * epoch's changes while the engine's thread still packs its operator states and fsyncs the
 * logs: the changes at once, then the packed states once the fsync is done (or its failure,
 * which rolls the commit back).
 */

import type { CommitPhases } from '../store/commit-phases.ts';
import type { OperatorStateWrite } from '../store/view-store.ts';
import type { Row } from '../stream/value.ts';
import type { EpochCommit, EpochStore } from './epoch-store.ts';
import { ThreadRpc } from './thread-rpc.ts';

/** What crosses of a commit in its first message: everything but what is still being made durable. */
export type CommitChanges = Omit<EpochCommit, 'operators' | 'durableFirst'> & {
  readonly operatorEpochs: readonly number[];
};

export const STORE_CALLS = {
  commit: 'store.commit',
  ready: 'store.ready',
  rows: 'store.rows',
  retainedOpen: 'store.retained.open',
  retainedNext: 'store.retained.next',
} as const;

export class RemoteEpochStore implements EpochStore {
  readonly #rpc: ThreadRpc;
  #nextCommit = 1;
  #subscriptions: readonly { readonly name: string; readonly view: string }[] = [];

  constructor(rpc: ThreadRpc) {
    this.#rpc = rpc;
  }

  commit(commit: EpochCommit): Promise<CommitPhases> {
    const id = this.#nextCommit++;
    const { operators, durableFirst, ...changes } = commit;
    const done = this.#rpc.call<CommitPhases>(STORE_CALLS.commit, id, {
      ...changes,
      operatorEpochs: operators.map((o) => o.epoch),
    } satisfies CommitChanges);
    Promise.all([Promise.all(operators.map((o) => o.write)), durableFirst]).then(
      ([writes]: [OperatorStateWrite[], unknown]) => this.#rpc.notify(STORE_CALLS.ready, id, writes),
      (e: unknown) => this.#rpc.notify(STORE_CALLS.ready, id, undefined, ThreadRpc.crossing(e)),
    );
    return done;
  }

  rows(relation: string): Promise<Row[]> {
    return this.#rpc.call<Row[]>(STORE_CALLS.rows, relation);
  }

  async *retainedEvents(source: string): AsyncIterable<Row[]> {
    const id = await this.#rpc.call<number>(STORE_CALLS.retainedOpen, source);
    for (;;) {
      const batch = await this.#rpc.call<Row[] | null>(STORE_CALLS.retainedNext, id);
      if (batch === null) return;
      yield batch;
    }
  }

  subscriptions(): readonly { readonly name: string; readonly view: string }[] {
    return this.#subscriptions;
  }

  /** The store's subscriptions as its thread last sent them (before each statement it sends). */
  setSubscriptions(list: readonly { readonly name: string; readonly view: string }[]): void {
    this.#subscriptions = list;
  }
}
