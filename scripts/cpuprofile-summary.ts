// `tsx scripts/cpuprofile-summary.ts <file.cpuprofile> [--top N]`: the functions with the most
// self time in a V8 CPU profile (from `node --cpu-prof`, or `npm run bench -- --profile`).
import { parseArgs } from 'node:util'
import { formatSummary, summariseProfile } from './lib/cpuprofile.js'

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } })
const top = Number(values.top)
if (positionals.length === 0 || !Number.isInteger(top) || top < 1) {
  process.stderr.write('usage: tsx scripts/cpuprofile-summary.ts <file.cpuprofile> [--top N]\n')
  process.exit(2)
}
for (const file of positionals) {
  process.stdout.write(`== ${file}\n${formatSummary(summariseProfile(file, top), top)}\n\n`)
}
