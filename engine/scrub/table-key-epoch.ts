/**
 * The key epoch a table was sealed under, read from the encryption context of its first block
 * (every table starts with a block envelope at offset 0, docs/formats/table.md §1). One table is
 * written by one codec during one open, so all its blocks share the epoch of the first.
 *
 * The bytes are read unverified: the answer only decides whether `compact()` rewrites the table
 * under the active epoch. A forged epoch can cause a needless rewrite or a skipped one, never a
 * wrong read — a block still opens only under its real key, or fails with a typed error.
 */
import { BLOCK_HEADER_SIZE_BYTES, BlockFlag } from '../transform/mod.ts'
import type { Vfs } from '../vfs/mod.ts'

/** Offset of keyEpoch in the encryption context (suiteId u8, reserved 3, keyEpoch u32 LE). */
const KEY_EPOCH_OFFSET_BYTES = BLOCK_HEADER_SIZE_BYTES + 4

/** The table's key epoch, or undefined when its first block is not encrypted (or unreadable). */
export function tableKeyEpoch(vfs: Vfs, path: string): number | undefined {
  const head = new Uint8Array(KEY_EPOCH_OFFSET_BYTES + 4)
  const file = vfs.openRead(path)
  try {
    if (file.read(head, 0) !== head.length) return undefined
  } finally {
    file.close()
  }
  if ((head[2] & BlockFlag.Encrypted) === 0) return undefined
  return new DataView(head.buffer).getUint32(KEY_EPOCH_OFFSET_BYTES, true)
}
