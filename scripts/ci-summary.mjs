// Prints "N passed, N failed" summed over vitest's JSON reports (one per run: the machine's Node,
// then the image's); exits 1 when a report is missing, holds a failure, or shows that no test ran.
import { readFileSync } from 'node:fs'

const paths = process.argv.length > 2 ? process.argv.slice(2) : ['test-output/vitest-report.json']
let passed = 0
let failed = 0
let ok = true
for (const path of paths) {
  let report
  try {
    report = JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    console.error(`no readable report at ${path}`)
    ok = false
    continue
  }
  const p = report.numPassedTests ?? 0
  const f = report.numFailedTests ?? 0
  passed += p
  failed += f
  if (f > 0 || (report.numFailedTestSuites ?? 0) > 0 || p === 0 || report.success === false) ok = false
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(ok ? 0 : 1)
