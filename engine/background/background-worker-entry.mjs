// Entry of the background worker thread. Loader hooks registered with `node --import tsx` do not
// reach worker threads on Node 20, so the worker registers tsx itself before loading the
// TypeScript module. Where tsx is absent the import of the .ts module fails, the worker reports
// an error, and the database flushes on its main thread instead (background-worker.ts).
try {
  const { register } = await import('tsx/esm/api')
  register()
} catch {
  // No tsx: a runtime that loads .ts itself still can.
}
await import('./background-worker-thread.ts')
