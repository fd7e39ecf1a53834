/**
 * One shape for the errors the block transform throws: the action, the block it concerns, what
 * was found, and forensics details (file, offset, block type). Kept in one place so every
 * transform stage locates its failures the same way, and so no stage can leak key material into
 * a message by accident: callers pass facts, never buffers.
 */
import { StrataError, type StrataErrorCode, type StrataErrorDetails } from '../errors.ts'
import type { BlockContext } from './block-codec.ts'

/** Builds the StrataError for a block that cannot be decoded (or encoded). */
export function blockError(
  code: StrataErrorCode,
  context: BlockContext,
  found: string,
  extra: StrataErrorDetails = {},
  cause?: unknown,
): StrataError {
  return new StrataError(
    code,
    `Cannot read block at offset ${context.offsetBytes} of ${context.fileName}: ${found}`,
    {
      cause,
      details: {
        fileName: context.fileName,
        offsetBytes: context.offsetBytes,
        blockType: context.blockType,
        fileNumber: context.fileNumber,
        ...extra,
      },
    },
  )
}
