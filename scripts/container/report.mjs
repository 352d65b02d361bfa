// One PASS / FAIL / SKIP line per check, and the counts at the end.

const results = []

function report(status, name, detail) {
  results.push({ status, name })
  const text = detail === undefined || detail === '' ? '' : `: ${String(detail).replace(/\n/g, '\n       ')}`
  console.log(`${status.padEnd(5)} ${name}${text}`)
}

export const pass = (name, detail) => report('PASS', name, detail)
export const fail = (name, detail) => report('FAIL', name, detail)
export const skip = (name, detail) => report('SKIP', name, detail)
export const info = (text) => console.log(`      ${text}`)

/** PASS with `detail` when `ok`, else FAIL with `failDetail`. Returns `ok`. */
export function expect(name, ok, detail, failDetail = detail) {
  report(ok ? 'PASS' : 'FAIL', name, ok ? detail : failDetail)
  return Boolean(ok)
}

export function counts() {
  const out = { PASS: 0, FAIL: 0, SKIP: 0 }
  for (const r of results) out[r.status]++
  return out
}

export const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`
export const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
