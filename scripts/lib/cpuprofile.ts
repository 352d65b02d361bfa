// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per package.

import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  hitCount?: number
}

interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

export interface SelfTime {
  name: string
  where: string
  group: string
  ms: number
  /** Share of the busy (non-idle) time. */
  share: number
}

export interface ProfileSummary {
  totalMs: number
  busyMs: number
  idleMs: number
  gcMs: number
  functions: SelfTime[]
  groups: Array<{ group: string; ms: number; share: number }>
}

const ROOT = new URL('../../', import.meta.url).href

function shortUrl(url: string): string {
  let u = url.startsWith(ROOT) ? url.slice(ROOT.length) : url
  const nm = u.lastIndexOf('node_modules/')
  if (nm !== -1) u = u.slice(nm + 'node_modules/'.length)
  return u
}

function groupOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)'
  const u = shortUrl(url)
  if (u.startsWith('node:')) return 'node:' + (u.split('/')[1] ?? u)
  if (url.includes('node_modules/')) {
    const parts = u.split('/')
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? u)
  }
  if (u.startsWith('dist/') || u.startsWith('src/')) return u.replace(/\.(js|ts)$/, '')
  return u
}

/** Self time per function (by name and location) and per package or source file. */
export function summariseProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  if (profile.samples && profile.timeDeltas) {
    // Each sample's time is the gap to the next sample.
    for (let i = 0; i < profile.samples.length; i++) {
      const id = profile.samples[i] ?? 0
      const delta = profile.timeDeltas[i + 1] ?? 0
      selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, delta))
    }
  } else {
    const hits = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0)
    const per = hits === 0 ? 0 : (profile.endTime - profile.startTime) / hits
    for (const n of profile.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * per)
  }

  let idleUs = 0
  let gcUs = 0
  let totalUs = 0
  const fns = new Map<string, { name: string; where: string; group: string; us: number }>()
  const groups = new Map<string, number>()
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (!node) continue
    totalUs += us
    const { functionName, url, lineNumber } = node.callFrame
    const name = functionName || '(anonymous)'
    if (name === '(idle)') {
      idleUs += us
      continue
    }
    if (name === '(garbage collector)') gcUs += us
    const where = url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`
    const key = `${name} ${where}`
    const group = groupOf(url, name)
    const entry = fns.get(key) ?? { name, where, group, us: 0 }
    entry.us += us
    fns.set(key, entry)
    groups.set(group, (groups.get(group) ?? 0) + us)
  }
  const busyUs = totalUs - idleUs
  const share = (us: number) => (busyUs === 0 ? 0 : us / busyUs)
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    gcMs: gcUs / 1000,
    functions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, group: f.group, ms: f.us / 1000, share: share(f.us) })),
    groups: [...groups.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([group, us]) => ({ group, ms: us / 1000, share: share(us) }))
  }
}

export function formatSummary(summary: ProfileSummary, top = 25): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`
  const lines = [
    `profiled ${(summary.totalMs / 1000).toFixed(1)} s: busy ${(summary.busyMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s, GC ${pct(summary.gcMs / (summary.busyMs || 1))} of busy`,
    '',
    `top ${top} functions by self time (share of busy time):`
  ]
  for (const f of summary.functions.slice(0, top)) {
    lines.push(`  ${pct(f.share)}  ${f.ms.toFixed(0).padStart(6)} ms  ${f.name}  ${f.where}`)
  }
  lines.push('', 'self time by package or source file:')
  for (const g of summary.groups.slice(0, 15)) lines.push(`  ${pct(g.share)}  ${g.ms.toFixed(0).padStart(6)} ms  ${g.group}`)
  return lines.join('\n')
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number }
  selfSize: number
  children: HeapNode[]
}

/** Bytes allocated per request by function (self) and by subtree (inclusive), from a sampling heap profile. */
export function formatHeapProfile(file: string, requests: number, top = 20): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode }
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let total = 0
  const walk = (node: HeapNode, stack: readonly string[]) => {
    const { functionName, url, lineNumber } = node.callFrame
    const key = `${functionName || '(anonymous)'}  ${url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`}`
    self.set(key, (self.get(key) ?? 0) + node.selfSize)
    total += node.selfSize
    const path = stack.includes(key) ? stack : [...stack, key]
    for (const k of path) inclusive.set(k, (inclusive.get(k) ?? 0) + node.selfSize)
    for (const child of node.children) walk(child, path)
  }
  walk(profile.head, [])
  const kb = (bytes: number) => `${(bytes / 1024 / requests).toFixed(1).padStart(6)} KB`
  const list = (m: Map<string, number>, skip: (k: string) => boolean) =>
    [...m.entries()]
      .filter(([k]) => !skip(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `  ${kb(v)}  ${k}`)
  const plumbing = (k: string) => /^\(root\)|^\(anonymous\) {2}$|processTicksAndRejections|runMicrotasks|^next |handleResolve|hookRunner|processImmediate|emit {2}node/.test(k)
  return [
    `allocated per request: ${kb(total).trim()} (sampled every 4 KB, objects collected since included)`,
    `top ${top} functions by bytes they allocate themselves, per request:`,
    ...list(self, () => false),
    `top ${top} call subtrees by bytes allocated, per request (event-loop plumbing left out):`,
    ...list(inclusive, plumbing)
  ].join('\n')
}
