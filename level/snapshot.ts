/**
 * Explicit snapshots (`db.snapshot()`, abstract-level 3): a token holding an engine Snapshot,
 * released when abstract-level closes it (by the caller, or with the database).
 */
import { AbstractSnapshot } from 'abstract-level'
import type { Snapshot } from '../index.ts'

/** The snapshot `StrataLevel#snapshot()` returns; pass it as `{ snapshot }` to reads. */
export class StrataLevelSnapshot extends AbstractSnapshot {
  readonly #snapshot: Snapshot

  /** `options.owner` is the database (or sublevel) that closes the snapshot with itself. */
  constructor(options: { owner: unknown }, snapshot: Snapshot) {
    // @ts-expect-error abstract-level's d.ts omits the constructor; the JS requires { owner }
    super(options)
    this.#snapshot = snapshot
  }

  /** The engine snapshot behind `value`, or undefined when `value` is not one of ours. */
  static engineSnapshotOf(value: unknown): Snapshot | undefined {
    return value instanceof StrataLevelSnapshot ? value.#snapshot : undefined
  }

  /** @internal abstract-level's implementation hook behind `close()`, which callers use instead. */
  async _close(): Promise<void> {
    this.#snapshot.release()
  }
}
