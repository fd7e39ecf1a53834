/** Blob files (value logs): the format, the writer, the reader, the scan and the frame-by-frame check. */
export { BlobFileWriter, type BlobEntry, type BlobFileSummary, type BlobFileWriterOptions, type EncodedFrame } from './writer.ts'
export { BlobFileReader, type BlobFileReaderOptions, type CheckedFrame, type FrameStatus } from './reader.ts'
export { BlobFileScan, scanBlobFile, verifiedExtentOf, type ScanEnd, type ScanOptions, type ScannedFrame, type VerifiedExtent } from './scan.ts'
export { checkBlobFile, checkBlobFrames, type BlobFrameCheckOptions } from './check.ts'
export {
  BLOB_FILE_FORMAT_VERSION,
  FILE_HEADER_SIZE_BYTES,
  FOOTER_SIZE_BYTES,
  FRAME_HEADER_SIZE_BYTES,
  type BlobFileFooter,
} from './format.ts'
export { encodeFooter } from './format.ts'
export { describeKey } from './format.ts'
