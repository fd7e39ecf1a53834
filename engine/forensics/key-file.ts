/**
 * Key files for the forensics CLI. Two forms: JSON `{ "suite"?, "activeEpoch"?, "keys": [{ "epoch": 1,
 * "key": "<64 hex digits>" }] }` for a whole key chain, or a single key (64 hex digits, or exactly
 * 32 raw bytes) that belongs to `--epoch` (default: the epoch a dumped block names, else 1).
 * Key bytes go into the KeyChain, and into the encryption option `strata repair` opens the store
 * with, and nowhere else: errors name the file and the problem only.
 */
import fs from 'node:fs'
import { StrataError } from '../errors.ts'
import { IntegrityCodec, KeyChain, KEY_SIZE_BYTES, type CipherSuiteName, type RepairEvent } from '../transform/mod.ts'

export interface LoadedKeys {
  keyChain: KeyChain
  suite: CipherSuiteName
  /** The same keys as open()'s `integrity.encryption` option, for a tool that opens the store (loadKeyFile sets it). */
  encryption?: { suite: CipherSuiteName; keys: { epoch: number; key: Uint8Array }[]; activeEpoch: number }
}

function loadedKeys(suite: CipherSuiteName, keys: { epoch: number; key: Uint8Array }[], activeEpoch: number): LoadedKeys {
  return { keyChain: new KeyChain({ keys, activeEpoch }), suite, encryption: { suite, keys, activeEpoch } }
}

function keyFromHex(text: string, where: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new StrataError('INVALID_ARGUMENT', `Cannot read key file ${where}: a key must be ${KEY_SIZE_BYTES * 2} hex digits`)
  return Uint8Array.from(Buffer.from(text, 'hex'))
}

/** Reads `path`; `defaultEpoch` is the epoch of a single-key file. */
export function loadKeyFile(path: string, defaultEpoch: number): LoadedKeys {
  let bytes: Buffer
  try {
    bytes = fs.readFileSync(path)
  } catch (error) {
    throw new StrataError('NOT_FOUND', `Cannot read key file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`, { cause: error })
  }
  if (bytes.length === KEY_SIZE_BYTES) return loadedKeys('aes-256-gcm', [{ epoch: defaultEpoch, key: Uint8Array.from(bytes) }], defaultEpoch)
  const text = bytes.toString('utf8').trim()
  if (!text.startsWith('{')) {
    return loadedKeys('aes-256-gcm', [{ epoch: defaultEpoch, key: keyFromHex(text, path) }], defaultEpoch)
  }
  let parsed: { suite?: string; activeEpoch?: number; keys?: { epoch: number; key: string }[] }
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new StrataError('INVALID_ARGUMENT', `Cannot read key file ${path}: not JSON and not a single key`)
  }
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) throw new StrataError('INVALID_ARGUMENT', `Cannot read key file ${path}: "keys" must be a non-empty array`)
  const keys = parsed.keys.map((entry) => ({ epoch: entry.epoch, key: keyFromHex(String(entry.key), path) }))
  const activeEpoch = parsed.activeEpoch ?? Math.max(...keys.map((entry) => entry.epoch))
  return loadedKeys((parsed.suite ?? 'aes-256-gcm') as CipherSuiteName, keys, activeEpoch)
}

/**
 * A codec that reads whatever a store wrote: compression and ECC come from each block, keys
 * from `keys` when given; plaintext blocks are accepted (a tool reads, it does not enforce).
 */
export function readingCodec(keys: LoadedKeys | undefined, onRepair?: (event: RepairEvent) => void): IntegrityCodec {
  return new IntegrityCodec({
    ...(keys === undefined ? {} : { encryption: { suite: keys.suite, keyChain: keys.keyChain, allowPlaintextBlocks: true } }),
    onRepair,
  })
}
