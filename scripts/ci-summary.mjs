// Prints "N passed, N failed" from vitest's JSON report; exits 1 when the report is missing,
// holds a failure, or shows that no test ran.
import { readFileSync } from 'node:fs'

const path = process.argv[2] ?? 'test-output/vitest-report.json'
let report
try {
  report = JSON.parse(readFileSync(path, 'utf8'))
} catch {
  console.log('0 passed, 0 failed')
  process.exit(1)
}
const passed = report.numPassedTests ?? 0
const failed = report.numFailedTests ?? 0
const suitesFailed = report.numFailedTestSuites ?? 0
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed > 0 || suitesFailed > 0 || passed === 0 || report.success === false ? 1 : 0)
