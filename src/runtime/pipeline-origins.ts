/**
 * Which relations a built-in pipeline created, by the pipeline's name (`detections.sql`):
 * committed with every epoch beside the catalog (`SavedState.pipelines`), so that a start tells
 * the views tidewatch made — which it may bring up to date — from the user's own, also one the
 * user made under a built-in view's name after dropping it.
 */
export class PipelineOrigins {
  readonly #of: Map<string, string>;
  /** Whether the committed state recorded origins (states written before there were any did not). */
  readonly recorded: boolean;

  constructor(saved: Readonly<Record<string, string>> | undefined) {
    this.#of = new Map(Object.entries(saved ?? {}));
    this.recorded = saved !== undefined;
  }

  /** The pipeline that created `relation`, if a built-in one did. */
  of(relation: string): string | undefined {
    return this.#of.get(relation);
  }

  record(relation: string, pipeline: string): void {
    this.#of.set(relation, pipeline);
  }

  /** A relation dropped, or never created after all. */
  forget(relation: string): void {
    this.#of.delete(relation);
  }

  /** Forgets the relations that do not exist (a CREATE that failed after its origin was recorded). */
  keepOnly(exists: (relation: string) => boolean): void {
    for (const relation of [...this.#of.keys()]) if (!exists(relation)) this.#of.delete(relation);
  }

  snapshot(): Readonly<Record<string, string>> {
    return Object.fromEntries(this.#of);
  }
}
