/**
 * The memtable benchmarks' keys (js-building-blocks.md §1): 16 bytes, the first four a
 * multiplicative hash of the index so insertion order is scattered, the last four the index.
 * For benchmarks only.
 */
import { Buffer } from 'node:buffer'
import { keyToString } from '../entry.ts'

/** `count` distinct 16-byte latin1 keys in scattered order. */
export function scatteredKeys(count: number): string[] {
  const keys: string[] = []
  const bytes = Buffer.alloc(16)
  for (let i = 0; i < count; i++) {
    bytes.writeUInt32BE(Math.imul(i, 0x9e3779b1) >>> 0, 0)
    bytes.writeUInt32BE(i, 12)
    keys.push(keyToString(bytes))
  }
  return keys
}
