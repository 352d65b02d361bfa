// Preloaded into the service by `npm run bench -- --alloc` only (`node --import <this> dist/server.js`):
// SIGWINCH starts V8's sampling heap profiler, counting every allocation, also those collected
// since (so it measures how much each function allocates, not what stays); a second SIGWINCH
// writes the profile to $ALLOC_PROFILE_PATH. One line on stderr after each step.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'

const session = new Session()
session.connect()
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))))
let sampling = false

process.on('SIGWINCH', () => {
  void (async () => {
    if (!sampling) {
      await post('HeapProfiler.enable')
      await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
      sampling = true
      process.stderr.write('alloc-sampler: started\n')
    } else {
      const { profile } = await post('HeapProfiler.stopSampling')
      sampling = false
      writeFileSync(process.env.ALLOC_PROFILE_PATH ?? 'alloc.heapprofile', JSON.stringify(profile))
      process.stderr.write('alloc-sampler: written\n')
    }
  })()
})
