// Preloaded into the server by the soak only (`node --expose-gc --import <this> dist/server.js`):
// on SIGWINCH (a signal the server leaves alone; close-with-grace takes SIGUSR2), a full garbage
// collection, then one line on stderr. The soak compares RSS after a collection at the start and
// at the end, so that garbage V8 has not collected yet is not read as growth.
import { setImmediate } from 'node:timers'

process.on('SIGWINCH', () => {
  if (typeof globalThis.gc !== 'function') {
    process.stderr.write('soak-gc: unavailable\n')
    return
  }
  globalThis.gc()
  // A second pass collects what the first one's finalizers released.
  setImmediate(() => {
    globalThis.gc()
    process.stderr.write('soak-gc: done\n')
  })
})
