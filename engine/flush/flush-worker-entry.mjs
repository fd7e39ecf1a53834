// Entry of the flush worker thread. Loader hooks registered with `node --import tsx` do not
// reach worker threads on Node 20, so the worker registers tsx itself before loading the
// TypeScript module (the package ships .ts sources and runs under tsx; see README).
import { register } from 'tsx/esm/api'

register()
await import('./flush-worker.ts')
