/**
 * The key chain: which 256-bit key encrypts blocks of which key epoch. Writes seal under the
 * active epoch; reads look the block's recorded epoch up, so keys rotate without rewriting data
 * (compaction later rewrites blocks under the active epoch). Three outcomes a caller can tell
 * apart: the key, `UNKNOWN_KEY_EPOCH` (the chain never heard of that epoch) and `MISSING_KEY`
 * (the epoch is known, e.g. listed as retired, but no key material was supplied).
 *
 * Key bytes are copied into private fields at construction and never leave except through
 * `keyFor()`: not through toString, JSON, util.inspect, error messages or error details.
 */
import { inspect } from 'node:util'
import { StrataError } from '../errors.ts'

/** Size of every key in the chain (AES-256 and (X)ChaCha20 both take 32 bytes). */
export const KEY_SIZE_BYTES = 32
/** Epochs are stored as u32 in the block and the AAD. */
export const KEY_EPOCH_MAX = 0xffff_ffff

/** One epoch of the chain; `key` absent means the epoch is known but its key is not supplied. */
export interface KeyChainEntry {
  epoch: number
  key?: Uint8Array
}

/** What the caller supplies. */
export interface KeyChainOptions {
  /** Keys by epoch; each key is 32 bytes. */
  keys: readonly KeyChainEntry[]
  /** The epoch new blocks are sealed under; it must have a key. */
  activeEpoch: number
  /** Epochs known to exist whose keys are withheld (reads of them fail with MISSING_KEY). */
  retiredEpochs?: readonly number[]
}

function checkEpoch(epoch: number, what: string): void {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > KEY_EPOCH_MAX) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot build key chain: ${what} ${epoch} is not in 0..${KEY_EPOCH_MAX}`)
  }
}

/**
 * Maps key epochs to keys.
 * @example
 * ```ts
 * const chain = new KeyChain({ keys: [{ epoch: 1, key: oldKey }, { epoch: 2, key: newKey }], activeEpoch: 2 })
 * chain.keyFor(1) // oldKey's bytes; chain.keyFor(9) throws UNKNOWN_KEY_EPOCH
 * ```
 * @throws {StrataError} `INVALID_ARGUMENT` for a key that is not 32 bytes, a duplicate or
 * out-of-range epoch, or an active epoch without a key.
 */
export class KeyChain {
  readonly activeEpoch: number
  readonly #keys = new Map<number, Uint8Array | undefined>()

  constructor(options: KeyChainOptions) {
    checkEpoch(options.activeEpoch, 'active epoch')
    for (const entry of options.keys) {
      checkEpoch(entry.epoch, 'epoch')
      if (this.#keys.has(entry.epoch)) {
        throw new StrataError('INVALID_ARGUMENT', `Cannot build key chain: epoch ${entry.epoch} appears twice`)
      }
      if (entry.key !== undefined && (!(entry.key instanceof Uint8Array) || entry.key.length !== KEY_SIZE_BYTES)) {
        // The length only; never the bytes.
        const sizeBytes = entry.key instanceof Uint8Array ? entry.key.length : 'non-binary'
        throw new StrataError('INVALID_ARGUMENT', `Cannot build key chain: key of epoch ${entry.epoch} has ${sizeBytes} bytes, expected ${KEY_SIZE_BYTES}`)
      }
      this.#keys.set(entry.epoch, entry.key === undefined ? undefined : Uint8Array.from(entry.key))
    }
    for (const epoch of options.retiredEpochs ?? []) {
      checkEpoch(epoch, 'retired epoch')
      if (this.#keys.get(epoch) !== undefined) {
        throw new StrataError('INVALID_ARGUMENT', `Cannot build key chain: epoch ${epoch} is both retired and keyed`)
      }
      this.#keys.set(epoch, undefined)
    }
    if (this.#keys.get(options.activeEpoch) === undefined) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot build key chain: active epoch ${options.activeEpoch} has no key`)
    }
    this.activeEpoch = options.activeEpoch
  }

  /** Every epoch the chain knows, keyed or retired, ascending. */
  get epochs(): number[] {
    return [...this.#keys.keys()].sort((a, b) => a - b)
  }

  /**
   * The key of `epoch`. The returned bytes are the chain's own: callers must not modify them.
   * @throws {StrataError} `UNKNOWN_KEY_EPOCH` when the chain does not know the epoch,
   * `MISSING_KEY` when it knows it but holds no key for it.
   */
  keyFor(epoch: number): Uint8Array {
    if (!this.#keys.has(epoch)) {
      throw new StrataError('UNKNOWN_KEY_EPOCH', `Cannot find key: epoch ${epoch} is not in the key chain`, { details: { keyEpoch: epoch } })
    }
    const key = this.#keys.get(epoch)
    if (key === undefined) {
      throw new StrataError('MISSING_KEY', `Cannot find key: epoch ${epoch} is known but no key was supplied`, { details: { keyEpoch: epoch } })
    }
    return key
  }

  /** A description without key material. */
  toString(): string {
    return `KeyChain(activeEpoch=${this.activeEpoch}, epochs=[${this.epochs.join(',')}])`
  }

  toJSON(): { activeEpoch: number; epochs: number[] } {
    return { activeEpoch: this.activeEpoch, epochs: this.epochs }
  }

  [inspect.custom](): string {
    return this.toString()
  }
}
