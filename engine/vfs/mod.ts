/** The file-system layer: the Vfs interface and its implementations. */
export type { Vfs, VfsFile, VfsLock } from './vfs.ts'
export { LINK_UNSUPPORTED_ERRNOS, isLinkUnsupported } from './vfs.ts'
export { NodeVfs } from './node-vfs.ts'
export { MemVfs } from './mem-vfs.ts'
