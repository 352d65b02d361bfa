// `npm run audit:prod`: npm audit of the production dependencies. Fails on a high or critical
// advisory unless audit-exceptions.json names it with a reason. When the advisory database cannot
// be reached (some registries and mirrors refuse its endpoint), it says so loudly and exits 0:
// "not checked" must never read as "clean".
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'

let raw
try {
  raw = execFileSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
} catch (err) {
  // npm exits non-zero when it finds advisories; the JSON is still on stdout.
  raw = err.stdout ?? ''
}

let report
try {
  report = JSON.parse(raw)
} catch {
  console.log('audit:prod: NOT CHECKED: npm audit gave no readable report')
  process.exit(0)
}

if (!report.vulnerabilities) {
  const why = report.statusCode ? `HTTP ${report.statusCode} from ${report.uri ?? 'the registry'}` : report.message ?? 'unknown error'
  console.log(`audit:prod: NOT CHECKED: the advisory database could not be reached (${why})`)
  process.exit(0)
}

const exceptions = existsSync('audit-exceptions.json') ? JSON.parse(readFileSync('audit-exceptions.json', 'utf8')) : {}
const serious = Object.values(report.vulnerabilities).filter((v) => ['high', 'critical'].includes(v.severity))
const unexplained = serious.filter((v) => !exceptions[v.name])
for (const v of serious) {
  const note = exceptions[v.name] ? `excepted: ${exceptions[v.name]}` : 'NOT EXCEPTED'
  console.log(`audit:prod: ${v.severity} in ${v.name} (${v.range}): ${note}`)
}
const counts = report.metadata?.vulnerabilities ?? {}
console.log(`audit:prod: checked ${report.metadata?.dependencies?.prod ?? '?'} production dependencies: ${JSON.stringify(counts)}`)
process.exit(unexplained.length > 0 ? 1 : 0)
