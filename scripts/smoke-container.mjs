#!/usr/bin/env node
// `npm run smoke:container`: proves the Dockerfile, .dockerignore and the compose files without
// Docker, by replaying them.
//
//  1. Parses the Dockerfile. The build context is `git ls-files` (tracked, plus untracked files that
//     git does not ignore, as on a fresh clone with the working tree's new files) less .dockerignore.
//     Every stage that the last (runtime) stage copies from is replayed in a folder of its own that
//     stands for its file system (/app is <folder>/app): COPY lines copy, RUN lines run through
//     /bin/sh with the base image's Node major (the node-linux-<arch> npm package, cached in
//     ~/.cache/sectigo-proxy) first on PATH, and BuildKit cache mounts use this machine's npm cache.
//     The runtime stage's COPY lines then assemble the image's file system, made read-only.
//  2. Runs the image's CMD there as the image's USER (when this script runs as root; otherwise as the
//     current user, and it says so) with the image's ENV plus SECTIGO_MODE=sandbox and a free PORT:
//     waits for "Server listening", checks the sandbox warning, runs the HEALTHCHECK command, calls
//     the API, then drains an in-flight call on SIGTERM and expects exit code 0 in time.
//  3. Parses docker-compose.yml and docker-compose.sectigo.yml (merged as `docker compose -f -f`
//     merges them) and checks them against the image and the configuration table.
//  4. Replays the compose stack's simulator and proxy (and Redis when redis-server is installed)
//     with the secrets that scripts/compose-secrets.mjs writes, and calls the proxy with the key.
//
// Prints PASS, FAIL, WARN or SKIP per check and exits 1 on any FAIL. Bounded to 5 minutes.
// Options: --keep (leave the temporary folder), --verbose (print RUN output).

import { Buffer } from 'node:buffer'
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  createWriteStream,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync
} from 'node:fs'
import { request } from 'node:http'
import { createServer, Socket } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { basename, dirname, join, posix, relative, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { clearTimeout, setTimeout } from 'node:timers'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL, URL } from 'node:url'
import YAML from 'yaml'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const OVERALL_TIMEOUT_MS = 5 * 60_000
const START_TIMEOUT_MS = 30_000
/** The seeded order that accepts a DCV change, and the slow one (section 7 of the contract). */
const DCV_ORDER = '1000001'
const SLOW_ORDER = '9000001'
const SLOW_MS = 2500

// ---------------------------------------------------------------------------------------------
// Reporting

const results = []

function report(status, name, detail) {
  results.push({ status, name })
  console.log(`${status.padEnd(4)} ${name}${detail ? ` (${detail})` : ''}`)
}
const pass = (name, detail) => report('PASS', name, detail)
const fail = (name, detail) => report('FAIL', name, detail)
const warn = (name, detail) => report('WARN', name, detail)
const skip = (name, detail) => report('SKIP', name, detail)
const info = (text) => console.log(`     ${text}`)

function expect(name, ok, detail, failDetail = detail) {
  if (ok) pass(name, detail)
  else fail(name, failDetail)
  return Boolean(ok)
}

/** A step that cannot go on: later checks depending on it are skipped, not failed again. */
class Abort extends Error {}

// ---------------------------------------------------------------------------------------------
// Pure helpers (exported for test/container/*.test.ts)

/** Splits shell-like words as Dockerfile instructions do: quotes, backslashes, `$VAR` / `${VAR:-x}`. */
export function shellWords(input, vars = null) {
  const words = []
  let word = ''
  let inWord = false
  let i = 0
  const expand = (start) => {
    if (input[start + 1] === '{') {
      const end = input.indexOf('}', start + 2)
      if (end < 0) throw new Error(`unterminated \${ in: ${input}`)
      const body = input.slice(start + 2, end)
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\+)(.*))?$/s.exec(body)
      if (!m) throw new Error(`unsupported substitution \${${body}}`)
      const value = vars[m[1]]
      let text = value ?? ''
      if (m[2] === ':-') text = value === undefined || value === '' ? shellWords(m[3], vars).join(' ') : value
      if (m[2] === ':+') text = value === undefined || value === '' ? '' : shellWords(m[3], vars).join(' ')
      return [text, end + 1]
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(input.slice(start + 1))
    if (!m) return ['$', start + 1]
    return [vars[m[0]] ?? '', start + 1 + m[0].length]
  }
  while (i < input.length) {
    const c = input[i]
    if (/\s/.test(c)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      i++
      continue
    }
    inWord = true
    if (c === "'") {
      const end = input.indexOf("'", i + 1)
      if (end < 0) throw new Error(`unterminated ' in: ${input}`)
      word += input.slice(i + 1, end)
      i = end + 1
    } else if (c === '"') {
      i++
      while (i < input.length && input[i] !== '"') {
        if (input[i] === '\\' && i + 1 < input.length && '"\\$'.includes(input[i + 1])) {
          word += input[i + 1]
          i += 2
        } else if (input[i] === '$' && vars) {
          const [text, next] = expand(i)
          word += text
          i = next
        } else {
          word += input[i++]
        }
      }
      if (i >= input.length) throw new Error(`unterminated " in: ${input}`)
      i++
    } else if (c === '\\' && i + 1 < input.length) {
      word += input[i + 1]
      i += 2
    } else if (c === '$' && vars) {
      const [text, next] = expand(i)
      word += text
      i = next
    } else {
      word += c
      i++
    }
  }
  if (inWord) words.push(word)
  return words
}

/** Leading `--name=value` flags of an instruction. */
function parseFlags(rest) {
  const flags = []
  let text = rest.trimStart()
  for (;;) {
    const m = /^--([a-z][a-z-]*)(?:=("[^"]*"|\S*))?(?:\s+|$)/.exec(text)
    if (!m) break
    flags.push({ name: m[1], value: (m[2] ?? '').replace(/^"(.*)"$/, '$1') })
    text = text.slice(m[0].length)
  }
  return { flags, rest: text.trim() }
}

/** `["a", "b"]` (exec form) or undefined (shell form). */
function execForm(text) {
  if (!text.startsWith('[')) return undefined
  try {
    const value = JSON.parse(text)
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value
  } catch {
    // Docker treats a malformed JSON array as shell form; so do we.
  }
  return undefined
}

/**
 * Parses a Dockerfile into global ARGs and stages of raw instructions. Throws on what the replay
 * would not reproduce faithfully (another escape character, heredocs, ONBUILD).
 */
export function parseDockerfile(text) {
  const lines = text.split(/\r?\n/)
  const directives = {}
  let i = 0
  for (; i < lines.length; i++) {
    const m = /^#\s*([A-Za-z]+)\s*=\s*(.*?)\s*$/.exec(lines[i])
    if (!m) break
    directives[m[1].toLowerCase()] = m[2]
  }
  if (directives.escape !== undefined && directives.escape !== '\\') throw new Error('the escape directive is not supported')
  const raw = []
  let current = null
  for (; i < lines.length; i++) {
    const line = lines[i]
    const trimmed = line.trim()
    // Comment lines are dropped before line continuations are joined, as Docker does.
    if (trimmed.startsWith('#') || (trimmed === '' && current === null)) continue
    if (trimmed === '') continue
    const continued = /\\\s*$/.test(line)
    const body = continued ? line.replace(/\\\s*$/, '') : line
    if (current) current.text += body
    else current = { text: body, line: i + 1 }
    if (!continued) {
      raw.push(current)
      current = null
    }
  }
  if (current) raw.push(current)

  const globalArgs = []
  const stages = []
  for (const { text: full, line } of raw) {
    const m = /^\s*(\S+)\s*(.*)$/s.exec(full)
    if (!m) continue
    const keyword = m[1].toUpperCase()
    const args = m[2].trim()
    if (/<<-?\s*["']?[A-Za-z_]/.test(args) && (keyword === 'RUN' || keyword === 'COPY')) {
      throw new Error(`line ${line}: heredocs are not supported by the replay`)
    }
    const instruction = { keyword, args, line }
    if (keyword === 'FROM') {
      stages.push({ index: stages.length, from: instruction, instructions: [] })
    } else if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`line ${line}: ${keyword} before the first FROM`)
      globalArgs.push(instruction)
    } else {
      stages.at(-1).instructions.push(instruction)
    }
  }
  if (stages.length === 0) throw new Error('no FROM')
  return { directives, globalArgs, stages }
}

/** `name=value` words (ARG, ENV, LABEL). ENV also has the legacy `ENV name value` form. */
function assignments(keyword, args, vars) {
  const words = shellWords(args, vars)
  if (keyword === 'ENV' && words.length > 0 && !words[0].includes('=')) {
    return [[words[0], shellWords(args.replace(/^\s*\S+\s*/, ''), vars).join(' ')]]
  }
  return words.map((w) => {
    const eq = w.indexOf('=')
    return eq < 0 ? [w, undefined] : [w.slice(0, eq), w.slice(eq + 1)]
  })
}

/** A command of CMD, ENTRYPOINT or HEALTHCHECK CMD: exec form as is, shell form through the shell. */
function commandOf(text, shell) {
  return execForm(text) ?? [...shell, text]
}

/**
 * Evaluates the stages' metadata without running anything: names, base images (global ARGs
 * substituted), ENV, ARG, WORKDIR, USER, LABEL, EXPOSE, HEALTHCHECK, CMD, ENTRYPOINT, and the
 * stages each one copies from.
 */
export function describeStages(parsed, buildArgs = {}) {
  const globals = {}
  for (const ins of parsed.globalArgs) {
    for (const [name, value] of assignments('ARG', ins.args, globals)) globals[name] = buildArgs[name] ?? value ?? ''
  }
  const described = []
  for (const stage of parsed.stages) {
    const fromWords = shellWords(parseFlags(stage.from.args).rest, globals)
    const image = fromWords[0]
    const name = fromWords.length >= 3 && fromWords[1].toUpperCase() === 'AS' ? fromWords[2] : undefined
    const base = described.find((s) => s.name !== undefined && s.name === image)
    const d = {
      index: stage.index,
      name,
      label: name ?? String(stage.index),
      image,
      baseStage: base,
      line: stage.from.line,
      args: {},
      env: base ? { ...base.env } : {},
      workdir: base ? base.workdir : '/',
      user: base ? base.user : undefined,
      shell: base ? base.shell : ['/bin/sh', '-c'],
      labels: base ? { ...base.labels } : {},
      expose: base ? [...base.expose] : [],
      healthcheck: base?.healthcheck,
      cmd: base?.cmd,
      entrypoint: base?.entrypoint,
      stopsignal: base?.stopsignal,
      copiesFrom: new Set(),
      instructions: stage.instructions
    }
    for (const ins of stage.instructions) {
      const vars = { ...d.args, ...d.env }
      switch (ins.keyword) {
        case 'ARG':
          for (const [n, value] of assignments('ARG', ins.args, vars)) d.args[n] = buildArgs[n] ?? value ?? globals[n] ?? ''
          break
        case 'ENV':
          for (const [n, value] of assignments('ENV', ins.args, vars)) d.env[n] = value ?? ''
          break
        case 'LABEL':
          for (const [n, value] of assignments('LABEL', ins.args, vars)) d.labels[n] = value ?? ''
          break
        case 'WORKDIR':
          d.workdir = posix.resolve(d.workdir, shellWords(ins.args, vars).join(' '))
          break
        case 'USER':
          d.user = shellWords(ins.args, vars)[0]
          break
        case 'EXPOSE':
          d.expose.push(...shellWords(ins.args, vars))
          break
        case 'STOPSIGNAL':
          d.stopsignal = shellWords(ins.args, vars)[0]
          break
        case 'SHELL': {
          const shell = execForm(ins.args)
          if (!shell) throw new Error(`line ${ins.line}: SHELL needs the JSON form`)
          d.shell = shell
          break
        }
        case 'CMD':
          d.cmd = commandOf(ins.args, d.shell)
          break
        case 'ENTRYPOINT':
          d.entrypoint = commandOf(ins.args, d.shell)
          break
        case 'HEALTHCHECK': {
          const { flags, rest } = parseFlags(ins.args)
          if (/^NONE$/i.test(rest)) {
            d.healthcheck = undefined
            break
          }
          const m = /^CMD\s+(.*)$/is.exec(rest)
          if (!m) throw new Error(`line ${ins.line}: HEALTHCHECK needs CMD`)
          const options = Object.fromEntries(flags.map((f) => [f.name, f.value]))
          d.healthcheck = { options, exec: execForm(m[1].trim()) !== undefined, command: commandOf(m[1].trim(), d.shell) }
          break
        }
        case 'COPY': {
          const from = parseFlags(ins.args).flags.find((f) => f.name === 'from')
          if (from) d.copiesFrom.add(from.value)
          break
        }
        case 'RUN':
          break
        default:
          throw new Error(`line ${ins.line}: ${ins.keyword} is not supported by the replay`)
      }
    }
    described.push(d)
  }
  return described
}

/** The stages the last stage needs (through COPY --from and FROM <stage>), in file order. */
export function neededStages(stages) {
  const byRef = (ref) => stages.find((s) => s.name === ref || String(s.index) === ref)
  const needed = new Set()
  const visit = (stage) => {
    if (needed.has(stage)) return
    needed.add(stage)
    if (stage.baseStage) visit(stage.baseStage)
    for (const ref of stage.copiesFrom) {
      const source = byRef(ref)
      if (!source) throw new Error(`stage ${stage.label} copies from ${ref}, which is not a stage of this file (images are not supported)`)
      if (source.index >= stage.index) throw new Error(`stage ${stage.label} copies from a later stage ${ref}`)
      visit(source)
    }
  }
  visit(stages.at(-1))
  return stages.filter((s) => needed.has(s))
}

function globToRegexSource(pattern, { doubleStar }) {
  let out = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '*') {
      if (doubleStar && pattern[i + 1] === '*') {
        i++
        if (pattern[i + 1] === '/') i++
        out += i + 1 >= pattern.length ? '.*' : '(.*/)?'
      } else {
        out += '[^/]*'
      }
    } else if (c === '?') {
      out += '[^/]'
    } else if (c === '\\' && i + 1 < pattern.length) {
      out += `\\${pattern[++i]}`
    } else if (c === '[' || c === ']') {
      out += c
    } else if ('.+()|{}$^'.includes(c)) {
      out += `\\${c}`
    } else {
      out += c
    }
  }
  return `^${out}$`
}

/**
 * A `.dockerignore` as Docker reads it (moby/patternmatcher): cleaned patterns, `**`, `!` exceptions,
 * the last matching pattern wins, and a pattern that matches a parent folder matches its files.
 * Returns `(path) => true` when the path is excluded from the context.
 */
export function dockerignoreMatcher(text) {
  const patterns = []
  for (let line of text.split(/\r?\n/)) {
    line = line.trim()
    if (line === '' || line.startsWith('#')) continue
    let exclusion = false
    if (line.startsWith('!')) {
      exclusion = true
      line = line.slice(1).trim()
    }
    line = posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '')
    if (line === '' || line === '.') continue
    patterns.push({ exclusion, regex: new RegExp(globToRegexSource(line, { doubleStar: true })) })
  }
  return (path) => {
    const parts = path.split('/')
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'))
    let matched = false
    for (const pattern of patterns) {
      if (pattern.exclusion !== matched) continue
      if (candidates.some((c) => pattern.regex.test(c))) matched = !pattern.exclusion
    }
    return matched
  }
}

/** Go durations as Docker and compose write them: `75s`, `1m15s`, `500ms`, `1.5h`. */
export function parseDuration(text) {
  if (typeof text === 'number') return text * 1000
  const units = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy
  let total = 0
  let seen = false
  const value = String(text).trim()
  let m
  while ((m = re.exec(value)) !== null) {
    total += Number(m[1]) * units[m[2]]
    seen = true
    if (re.lastIndex === value.length) return total
  }
  if (!seen && /^0$/.test(value)) return 0
  return Number.NaN
}

/** Compose variable interpolation: `${VAR}`, `${VAR:-x}`, `${VAR-x}`, `${VAR:?msg}`, `${VAR?msg}`, `${VAR:+x}`, `$VAR`, `$$`. */
export function interpolate(text, env, errors) {
  return text.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (all, dollar, name, op, word, bare) => {
    if (dollar === '$') return '$'
    const key = name ?? bare
    const value = env[key]
    const set = value !== undefined
    const nonEmpty = set && value !== ''
    switch (op) {
      case undefined:
        return value ?? ''
      case ':-':
        return nonEmpty ? value : word
      case '-':
        return set ? value : word
      case ':+':
        return nonEmpty ? word : ''
      case '+':
        return set ? word : ''
      case ':?':
      case '?':
        if (op === ':?' ? nonEmpty : set) return value
        errors.push(`${key}: ${word || 'required'}`)
        return ''
      default:
        return all
    }
  })
}

/** A compose `!override` / `!reset` tag kept through parsing, for the merge. */
const TAG = Symbol('compose tag')
const tagged = (tag, value) => ({ [TAG]: tag, tag, value })
const isTagged = (value) => value !== null && typeof value === 'object' && TAG in value

function yamlToJs(node, doc) {
  if (node === null || node === undefined) return null
  let value
  if (YAML.isAlias(node)) return yamlToJs(node.resolve(doc), doc)
  if (YAML.isMap(node)) {
    value = {}
    for (const pair of node.items) {
      const key = String(yamlToJs(pair.key, doc))
      if (key === '<<') throw new Error('YAML merge keys are not supported by the smoke test')
      value[key] = yamlToJs(pair.value, doc)
    }
  } else if (YAML.isSeq(node)) {
    value = node.items.map((item) => yamlToJs(item, doc))
  } else if (YAML.isScalar(node)) {
    value = node.value
  } else {
    value = YAML.isNode(node) ? node.toJSON() : node
  }
  if (node.tag === '!override' || node.tag === '!reset') return tagged(node.tag, value)
  return value
}

function mapValues(value, fn) {
  if (isTagged(value)) return tagged(value.tag, mapValues(value.value, fn))
  if (Array.isArray(value)) return value.map((v) => mapValues(v, fn))
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapValues(v, fn)]))
  return fn(value)
}

/** Service attributes whose list or string form compose turns into a mapping before merging. */
function normalizeService(service) {
  const out = { ...service }
  const toMap = (value, split) => {
    if (isTagged(value)) return tagged(value.tag, toMap(value.value, split))
    if (!Array.isArray(value)) return value
    return Object.fromEntries(value.map(split))
  }
  if (out.environment !== undefined) {
    out.environment = toMap(out.environment, (entry) => {
      const eq = String(entry).indexOf('=')
      return eq < 0 ? [String(entry), undefined] : [String(entry).slice(0, eq), String(entry).slice(eq + 1)]
    })
  }
  if (out.depends_on !== undefined) out.depends_on = toMap(out.depends_on, (name) => [name, { condition: 'service_started' }])
  if (out.secrets !== undefined) {
    const list = isTagged(out.secrets) ? out.secrets.value : out.secrets
    const normalized = list.map((s) => (typeof s === 'string' ? { source: s } : s))
    out.secrets = isTagged(out.secrets) ? tagged(out.secrets.tag, normalized) : normalized
  }
  if (out.healthcheck?.test !== undefined && typeof out.healthcheck.test === 'string') {
    out.healthcheck = { ...out.healthcheck, test: ['CMD-SHELL', out.healthcheck.test] }
  }
  return out
}

/** Attributes an override file replaces instead of merging (compose-spec merge rules). */
const REPLACED = new Set(['command', 'entrypoint', 'test', 'image', 'build', 'user', 'working_dir', 'stop_grace_period', 'read_only', 'init'])

function mergeValue(key, base, override) {
  if (isTagged(override)) return override.tag === '!reset' ? undefined : override.value
  if (base === undefined || base === null) return override
  if (REPLACED.has(key)) return override
  if (Array.isArray(base) && Array.isArray(override)) {
    const seen = new Set(base.map((v) => JSON.stringify(v)))
    return [...base, ...override.filter((v) => !seen.has(JSON.stringify(v)))]
  }
  if (typeof base === 'object' && typeof override === 'object' && !Array.isArray(base) && !Array.isArray(override)) {
    const keys = [...new Set([...Object.keys(base), ...Object.keys(override)])]
    const entries = keys.map((k) => [k, k in override ? mergeValue(k, base[k], override[k]) : base[k]])
    return Object.fromEntries(entries.filter(([, v]) => v !== undefined))
  }
  return override
}

/**
 * Reads compose files as `docker compose -f a -f b config` would for what the checks need:
 * interpolation from `env`, list forms normalized, later files merged into earlier ones
 * (`!override` replaces, `!reset` removes). Returns the model and the interpolation errors.
 */
export function loadCompose(texts, env = {}) {
  const errors = []
  let model = {}
  for (const text of texts) {
    const doc = YAML.parseDocument(text)
    if (doc.errors.length > 0) throw new Error(doc.errors.map(String).join('; '))
    let value = yamlToJs(doc.contents, doc) ?? {}
    value = mapValues(value, (v) => (typeof v === 'string' ? interpolate(v, env, errors) : v))
    if (value.services) {
      value.services = Object.fromEntries(Object.entries(value.services).map(([name, s]) => [name, normalizeService(s ?? {})]))
    }
    model = mergeValue('', model, value)
  }
  const strip = (v) => {
    if (isTagged(v)) return v.tag === '!reset' ? undefined : strip(v.value)
    if (Array.isArray(v)) return v.map(strip)
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)]).filter(([, x]) => x !== undefined))
    return v
  }
  return { model: strip(model), errors }
}

/** The variable names of the configuration table: EnvSchema's properties and the `_FILE` twins. */
export function configurationVariables(envSchemaSource) {
  const block = /EnvSchema\s*=\s*Type\.Object\(\{([\s\S]*?)\n\}\)/.exec(envSchemaSource)
  if (!block) throw new Error('EnvSchema not found in src/config/env-schema.ts')
  const names = new Set([...block[1].matchAll(/^\s{2}([A-Z][A-Z0-9_]*)\s*:/gm)].map((m) => m[1]))
  const files = /FILE_VARIABLES\s*=\s*\[([^\]]*)\]/.exec(envSchemaSource)
  for (const m of files?.[1].matchAll(/'([A-Z0-9_]+)'/g) ?? []) names.add(`${m[1]}_FILE`)
  return names
}

// ---------------------------------------------------------------------------------------------
// Processes

const children = new Set()

function killAll() {
  for (const child of children) {
    try {
      // Build commands run in their own process group: end npm and what it started.
      if (child.group) process.kill(-child.pid, 'SIGKILL')
      else child.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
}

/** Runs a command to its end; resolves with its exit code, output and time taken. */
function run(command, args, options = {}) {
  const { timeoutMs = 60_000, logFile, input, ...spawnOptions } = options
  return new Promise((resolvePromise) => {
    const started = Date.now()
    const child = spawn(command, args, { ...spawnOptions, stdio: ['pipe', 'pipe', 'pipe'], detached: Boolean(spawnOptions.detached) })
    child.group = Boolean(spawnOptions.detached)
    children.add(child)
    let output = ''
    const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined
    const collect = (chunk) => {
      output += chunk
      if (output.length > 2_000_000) output = output.slice(-1_000_000)
      log?.write(chunk)
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    child.stdin.end(input ?? '')
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try {
        if (child.group) process.kill(-child.pid, 'SIGKILL')
        else child.kill('SIGKILL')
      } catch {
        // gone
      }
    }, timeoutMs)
    const finish = (code, signal, error) => {
      clearTimeout(timer)
      children.delete(child)
      log?.end()
      resolvePromise({ code, signal, output, error, timedOut, ms: Date.now() - started })
    }
    child.on('error', (err) => finish(null, null, err))
    child.on('close', (code, signal) => finish(code, signal))
  })
}

/** A long-running process whose output lines are collected; `lines` grows as it logs. */
function startProcess(command, args, options) {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  const proc = { child, stdout: [], stderr: [], listeners: new Set() }
  proc.exited = new Promise((resolvePromise) => {
    child.on('error', (err) => resolvePromise({ code: null, signal: null, error: err, at: Date.now() }))
    child.on('exit', (code, signal) => {
      children.delete(child)
      resolvePromise({ code, signal, at: Date.now() })
    })
  })
  for (const [stream, lines] of [
    [child.stdout, proc.stdout],
    [child.stderr, proc.stderr]
  ]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line)
      for (const listener of proc.listeners) listener(line)
    })
  }
  return proc
}

/** Resolves with the first line that `test` accepts; rejects on exit or timeout. */
function waitForLine(proc, test, timeoutMs) {
  return new Promise((resolvePromise, reject) => {
    const found = [...proc.stdout, ...proc.stderr].find(test)
    if (found) return resolvePromise(found)
    const timer = setTimeout(() => {
      proc.listeners.delete(listener)
      reject(new Error(`nothing matched within ${timeoutMs} ms`))
    }, timeoutMs)
    const listener = (line) => {
      if (!test(line)) return
      clearTimeout(timer)
      proc.listeners.delete(listener)
      resolvePromise(line)
    }
    proc.listeners.add(listener)
    void proc.exited.then((exit) => {
      clearTimeout(timer)
      proc.listeners.delete(listener)
      reject(new Error(`exited (${exit.code ?? exit.signal ?? exit.error?.message}) first`))
    })
  })
}

/** pino writes the level as a number, or as its label when the logger formats it. */
const isWarning = (entry) => entry?.level === 40 || entry?.level === 'warn'

function jsonLine(line) {
  try {
    const value = JSON.parse(line)
    return value !== null && typeof value === 'object' ? value : undefined
  } catch {
    return undefined
  }
}

function httpCall({ port, method = 'GET', path, headers = {}, body, timeoutMs = 10_000 }) {
  return new Promise((resolvePromise) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        timeout: timeoutMs,
        headers: {
          connection: 'close',
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...headers
        }
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => (text += chunk))
        res.on('end', () => resolvePromise({ status: res.statusCode, headers: res.headers, text, json: jsonLine(text) }))
        res.on('error', (err) => resolvePromise({ status: 0, error: err.message, text }))
      }
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', (err) => resolvePromise({ status: 0, error: err.message, text: '' }))
    req.end(payload)
  })
}

function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolvePromise(port))
    })
  })
}

function redisPing(port, timeoutMs = 1000) {
  return new Promise((resolvePromise) => {
    const socket = new Socket()
    let reply = ''
    const done = (ok) => {
      socket.destroy()
      resolvePromise(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.on('error', () => done(false))
    socket.on('data', (chunk) => {
      reply += chunk
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'))
  })
}

function which(command) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, command))) return join(dir, command)
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Files

function walk(dir, base = dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) walk(full, base, out)
    else out.push(relative(base, full).split('\\').join('/'))
  }
  return out
}

/** The files a fresh clone plus the working tree's new files would send, before .dockerignore. */
function contextCandidates() {
  // safe.directory: a clone owned by another user (CI, a container) is still this repository.
  const git = spawnSync('git', ['-c', `safe.directory=${REPO}`, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024
  })
  if (git.status === 0) {
    const files = [...new Set(git.stdout.split('\0').filter(Boolean))]
    return { source: 'git ls-files (tracked and untracked, not ignored)', files: files.filter((f) => existsSync(join(REPO, f))) }
  }
  const files = walk(REPO).filter((f) => !f.startsWith('.git/') && !f.startsWith('node_modules/'))
  return { source: 'the working tree (no git)', files }
}

function setMode(path, fn) {
  const stat = lstatSync(path)
  if (stat.isSymbolicLink()) return
  chmodSync(path, fn(stat.mode & 0o7777))
  if (stat.isDirectory()) for (const name of readdirSync(path)) setMode(join(path, name), fn)
}

function chownTree(path, uid, gid) {
  const stat = lstatSync(path)
  if (stat.isSymbolicLink()) return
  chownSync(path, uid, gid)
  if (stat.isDirectory()) for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid)
}

function duRecursive(path) {
  const stat = lstatSync(path)
  if (!stat.isDirectory()) return { files: 1, bytes: stat.size }
  let files = 0
  let bytes = 0
  for (const name of readdirSync(path)) {
    const sub = duRecursive(join(path, name))
    files += sub.files
    bytes += sub.bytes
  }
  return { files, bytes }
}

const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`

// ---------------------------------------------------------------------------------------------
// Node of the image's major version

/** `node:24-bookworm-slim` → `24`; `node:24.11.1-alpine` → `24.11.1`; distroless `nodejs24-debian12` → `24`. */
export function nodeVersionOfImage(image) {
  const ref = image.split('@')[0]
  const m = /^(?:docker\.io\/)?(?:library\/)?node:(\d+(?:\.\d+){0,2})(?:-|$)/.exec(ref) ?? /distroless\/nodejs(\d+)/.exec(ref)
  return m?.[1]
}

async function ensureNode(versionSpec) {
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch]
  if (process.platform !== 'linux' || !arch) throw new Abort(`no node-${process.platform}-${process.arch} package for this machine`)
  const pkg = `node-linux-${arch}`
  const cacheRoot = process.env.XDG_CACHE_HOME ? join(process.env.XDG_CACHE_HOME, 'sectigo-proxy') : join(homedir(), '.cache', 'sectigo-proxy')
  const dir = join(cacheRoot, `node${versionSpec}`)
  const bin = join(dir, 'node_modules', pkg, 'bin', 'node')
  let how = 'cached'
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true })
    info(`installing ${pkg}@${versionSpec} into ${dir} (once; later runs reuse it)`)
    const result = await run('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${pkg}@${versionSpec}`], {
      timeoutMs: 180_000
    })
    if (result.code !== 0 || !existsSync(bin)) throw new Abort(`npm install ${pkg}@${versionSpec} failed:\n${result.output.slice(-2000)}`)
    how = 'installed now'
  }
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim()
  const wanted = `v${versionSpec}`
  if (!(version === wanted || version.startsWith(`${wanted}.`))) throw new Abort(`${bin} is ${version}, not ${wanted}`)
  return { bin, version, pkg: `${pkg}@${versionSpec}`, how }
}

// ---------------------------------------------------------------------------------------------
// The replay

/** Environment for build commands: the stage's ARGs and ENV, this machine's npm and proxy settings. */
function buildEnv(stage, nodeDir) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_config_|NPM_CONFIG_)/.test(k) || /^(https?_proxy|no_proxy|HTTPS?_PROXY|NO_PROXY|SSL_CERT_FILE|SSL_CERT_DIR|NODE_EXTRA_CA_CERTS)$/.test(k)) env[k] = v
  }
  return { ...env, HOME: homedir(), ...stage.args, ...stage.env, PATH: `${nodeDir}:${process.env.PATH ?? '/usr/bin:/bin'}` }
}

function contextCopy(sources, dest, ctx, stageRoot, workdir) {
  const copied = []
  const multiple = sources.length > 1 || sources.some((s) => /[*?[]/.test(s))
  const destPath = posix.resolve(workdir, dest)
  const destIsDir = dest.endsWith('/') || multiple
  for (const source of sources) {
    const clean = posix.normalize(source).replace(/^\/+/, '').replace(/\/+$/, '') || '.'
    if (clean.startsWith('..')) throw new Error(`COPY ${source}: outside the context`)
    let matches
    if (/[*?[]/.test(clean)) {
      const re = new RegExp(globToRegexSource(clean, { doubleStar: false }))
      matches = new Set()
      for (const file of ctx.files) {
        const parts = file.split('/')
        for (let i = 1; i <= parts.length; i++) if (re.test(parts.slice(0, i).join('/'))) matches.add(parts.slice(0, i).join('/'))
      }
      matches = [...matches]
    } else {
      matches = [clean]
    }
    if (matches.length === 0) throw new Error(`COPY ${source}: no file in the context matches`)
    for (const match of matches) {
      const isFile = ctx.fileSet.has(match)
      const under = match === '.' ? ctx.files : ctx.files.filter((f) => f.startsWith(`${match}/`))
      if (!isFile && under.length === 0) {
        const why = existsSync(join(REPO, match)) ? 'excluded by .dockerignore or ignored by git' : 'missing'
        throw new Error(`COPY ${source}: not in the build context (${why})`)
      }
      if (isFile) {
        const target = destIsDir || isDirIn(stageRoot, destPath) ? posix.join(destPath, basename(match)) : destPath
        copyContextFile(match, join(stageRoot, target))
        copied.push(match)
      } else {
        for (const file of under) {
          const rel = match === '.' ? file : file.slice(match.length + 1)
          copyContextFile(file, join(stageRoot, destPath, rel))
          copied.push(file)
        }
      }
    }
  }
  return copied
}

function isDirIn(root, path) {
  try {
    return statSync(join(root, path)).isDirectory()
  } catch {
    return false
  }
}

function copyContextFile(file, target) {
  mkdirSync(dirname(target), { recursive: true })
  const source = join(REPO, file)
  if (lstatSync(source).isSymbolicLink()) cpSync(source, target, { verbatimSymlinks: true })
  else copyFileSync(source, target)
}

function stageCopy(sources, dest, from, stageRoot, workdir) {
  const destPath = posix.resolve(workdir, dest)
  const destIsDir = dest.endsWith('/') || sources.length > 1
  for (const source of sources) {
    if (/[*?[]/.test(source)) throw new Error(`COPY --from=${from.label} ${source}: wildcards are not supported by the replay`)
    const src = join(from.root, posix.resolve('/', source))
    if (!existsSync(src)) throw new Error(`COPY --from=${from.label} ${source}: no such path in stage ${from.label}`)
    const isDir = lstatSync(src).isDirectory()
    const target = isDir ? join(stageRoot, destPath) : destIsDir || isDirIn(stageRoot, destPath) ? join(stageRoot, destPath, basename(src)) : join(stageRoot, destPath)
    mkdirSync(isDir ? target : dirname(target), { recursive: true })
    cpSync(src, target, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true })
  }
}

function numericUser(user) {
  if (user === undefined) return undefined
  const [u, g] = user.split(':')
  // Names of the official node images' passwd; anything else should be numeric anyway.
  const known = { root: 0, node: 1000 }
  const uid = /^\d+$/.test(u) ? Number(u) : known[u]
  const gid = g === undefined ? uid : /^\d+$/.test(g) ? Number(g) : known[g]
  if (uid === undefined || gid === undefined) throw new Error(`USER ${user}: only numbers, root or node can be replayed`)
  return { uid, gid }
}

async function replayStage(stage, ctx) {
  const root = join(ctx.tmp, 'stages', stage.label)
  stage.root = root
  mkdirSync(root, { recursive: true })
  if (stage.baseStage) cpSync(stage.baseStage.root, root, { recursive: true, verbatimSymlinks: true })
  const state = { args: {}, env: { ...(stage.baseStage?.env ?? {}) }, workdir: stage.baseStage?.workdir ?? '/', user: stage.baseStage?.user, shell: ['/bin/sh', '-c'] }
  const globals = ctx.globals
  for (const ins of stage.instructions) {
    const vars = { ...state.args, ...state.env }
    const label = `${stage.label}: ${ins.keyword} ${ins.args.replace(/\s+/g, ' ')}`.slice(0, 110)
    switch (ins.keyword) {
      case 'ARG':
        for (const [n, value] of assignments('ARG', ins.args, vars)) state.args[n] = value ?? globals[n] ?? ''
        break
      case 'ENV':
        for (const [n, value] of assignments('ENV', ins.args, vars)) state.env[n] = value ?? ''
        break
      case 'WORKDIR':
        state.workdir = posix.resolve(state.workdir, shellWords(ins.args, vars).join(' '))
        mkdirSync(join(root, state.workdir), { recursive: true })
        break
      case 'USER':
        state.user = shellWords(ins.args, vars)[0]
        break
      case 'SHELL':
        state.shell = execForm(ins.args)
        break
      case 'COPY': {
        const { flags, rest } = parseFlags(ins.args)
        const words = execForm(rest)?.map((w) => shellWords(w, vars).join(' ')) ?? shellWords(rest, vars)
        const dest = words.pop()
        const options = Object.fromEntries(flags.map((f) => [f.name, f.value]))
        const unknown = Object.keys(options).filter((f) => !['from', 'chown', 'chmod', 'link'].includes(f))
        if (unknown.length > 0) throw new Error(`${label}: --${unknown[0]} is not supported by the replay`)
        if (options.from !== undefined) {
          const from = ctx.stages.find((s) => s.name === options.from || String(s.index) === options.from)
          stageCopy(words, dest, from, root, state.workdir)
        } else {
          const copied = contextCopy(words, dest, ctx.context, root, state.workdir)
          info(`${label}: ${copied.length} file(s) from the context`)
        }
        const target = join(root, posix.resolve(state.workdir, dest))
        if (options.chmod) setMode(target, () => Number.parseInt(options.chmod, 8))
        if (options.chown) {
          const owner = numericUser(options.chown)
          if (ctx.root) chownTree(target, owner.uid, owner.gid)
          else info(`${label}: --chown not replayed (not root)`)
        }
        break
      }
      case 'RUN': {
        const { flags, rest } = parseFlags(ins.args)
        const notes = []
        for (const flag of flags) {
          if (flag.name === 'mount' && /(^|,)type=cache(,|$)/.test(flag.value)) notes.push("cache mount: this machine's npm cache")
          else if (flag.name === 'network' && ['default', 'host', 'none'].includes(flag.value)) notes.push(`--network=${flag.value} not enforced`)
          else throw new Error(`${label}: RUN --${flag.name}=${flag.value} is not supported by the replay`)
        }
        const runLabel = `${stage.label}: RUN ${rest.replace(/\s+/g, ' ')}`
        const command = execForm(rest) ?? [...state.shell, rest]
        const env = buildEnv({ args: state.args, env: state.env }, ctx.nodeDir)
        const cwd = join(root, state.workdir)
        const owner = state.user === undefined ? undefined : numericUser(state.user)
        const ids = ctx.root && owner && owner.uid !== 0 ? { uid: owner.uid, gid: owner.gid } : {}
        const remaining = ctx.deadline - Date.now()
        const result = await run(command[0], command.slice(1), { cwd, env, timeoutMs: remaining, detached: true, logFile: ctx.buildLog, ...ids })
        if (ctx.verbose) process.stdout.write(result.output)
        if (result.code !== 0) {
          fail(runLabel, `exit ${result.code ?? result.signal}${result.timedOut ? ', timed out' : ''} after ${seconds(result.ms)}`)
          console.log(result.output.split('\n').slice(-40).join('\n'))
          throw new Abort(`the ${stage.label} stage failed`)
        }
        pass(runLabel, [seconds(result.ms), ...notes].join('; '))
        break
      }
      default:
        // Metadata only (LABEL, EXPOSE, HEALTHCHECK, CMD, ...): describeStages() read it.
        break
    }
  }
  stage.env = state.env
  stage.workdir = state.workdir
  stage.user = state.user
}

// ---------------------------------------------------------------------------------------------
// Running the image

/** Container path → this machine's path in the assembled runtime folder; `node` → the image's node. */
function imageCommand(image, argv) {
  const mapped = argv.map((arg, i) => {
    if (i === 0 && (arg === 'node' || arg === '/usr/local/bin/node')) return image.nodeBin
    if (arg.startsWith('/') && !arg.startsWith('//')) {
      const local = join(image.root, arg)
      if (existsSync(local) || existsSync(dirname(local))) return local
    }
    return arg
  })
  return { command: mapped[0], args: mapped.slice(1) }
}

/** The environment of a container of the image: Docker's PATH and HOME, the image's ENV, then `extra`. */
function containerEnv(image, extra) {
  return {
    PATH: `${dirname(image.nodeBin)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    // The node user's home; absent and unwritable here, as on a read-only root file system.
    HOME: join(image.root, 'home', 'node'),
    HOSTNAME: 'smoke',
    ...image.env,
    ...extra
  }
}

function spawnOptions(image, env) {
  return { cwd: join(image.root, image.workdir), env, ...(image.ids ?? {}) }
}

async function runHealthcheck(image, command, env, timeoutMs) {
  const { command: cmd, args } = imageCommand(image, command)
  return run(cmd, args, { ...spawnOptions(image, env), timeoutMs })
}

async function stopProcess(proc, graceMs) {
  const sent = Date.now()
  proc.child.kill('SIGTERM')
  const exit = await Promise.race([proc.exited, sleep(graceMs, undefined, { ref: false })])
  if (!exit) {
    proc.child.kill('SIGKILL')
    return { code: null, signal: 'SIGKILL', ms: Date.now() - sent, timedOut: true }
  }
  return { ...exit, ms: exit.at - sent }
}

// ---------------------------------------------------------------------------------------------
// The checks

function checkDockerfileStatic(stages, pkg, runtime, neededList) {
  const runtimeVersion = nodeVersionOfImage(runtime.image)
  expect(
    'Dockerfile: runtime stage is a slim, alpine or distroless Node image',
    runtimeVersion !== undefined && /(-slim|-alpine|distroless)/.test(runtime.image),
    `${runtime.label} FROM ${runtime.image}`
  )
  const builders = neededList.filter((s) => s !== runtime)
  expect(
    'Dockerfile: build stages use the same Node major as the runtime',
    builders.length > 0 && builders.every((s) => nodeVersionOfImage(s.image)?.split('.')[0] === runtimeVersion?.split('.')[0]),
    builders.map((s) => `${s.label} FROM ${s.image}`).join(', ')
  )
  expect('Dockerfile: multi-stage, the runtime copies from build stages', builders.length >= 1, `${neededList.length} stages needed: ${neededList.map((s) => s.label).join(', ')}`)
  const runs = (stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => parseFlags(i.args).rest)
  const allRuns = builders.flatMap(runs)
  expect('Dockerfile: dependencies come from the lock file (npm ci)', allRuns.some((r) => /\bnpm ci\b/.test(r)), allRuns.find((r) => /\bnpm ci\b/.test(r)))
  expect('Dockerfile: TypeScript is compiled in a build stage (npm run build)', allRuns.some((r) => /\bnpm run build\b/.test(r)))
  expect(
    'Dockerfile: production dependencies only (npm ci --omit=dev or npm prune --omit=dev)',
    allRuns.some((r) => /\bnpm (ci|prune)\b.*--omit=dev/.test(r) || /\bnpm prune --production\b/.test(r))
  )
  const runtimeRuns = runs(runtime)
  expect('Dockerfile: nothing runs npm in the runtime stage', runtimeRuns.every((r) => !/\bnpm\b/.test(r)), `${runtimeRuns.length} RUN line(s)`)
  expect('Dockerfile: ENV NODE_ENV=production', runtime.env.NODE_ENV === 'production', `NODE_ENV=${runtime.env.NODE_ENV}`)
  expect('Dockerfile: ENV HOST=0.0.0.0', runtime.env.HOST === '0.0.0.0', `HOST=${runtime.env.HOST}`)
  expect('Dockerfile: ENV PORT=3000 and EXPOSE 3000', runtime.env.PORT === '3000' && runtime.expose.some((p) => p.split('/')[0] === runtime.env.PORT), `PORT=${runtime.env.PORT}, EXPOSE ${runtime.expose.join(' ')}`)
  let owner
  try {
    owner = numericUser(runtime.user)
  } catch {
    owner = undefined
  }
  expect(
    'Dockerfile: USER is numeric and not root',
    owner !== undefined && owner.uid !== 0 && /^\d+(:\d+)?$/.test(runtime.user ?? ''),
    `USER ${runtime.user}`,
    `USER ${runtime.user ?? '(none: root)'}`
  )
  const command = [...(runtime.entrypoint ?? []), ...(runtime.cmd ?? [])]
  expect(
    'Dockerfile: CMD starts node itself in exec form (never npm or a shell as PID 1)',
    runtime.entrypoint === undefined && Array.isArray(runtime.cmd) && basename(command[0] ?? '') === 'node' && !command.includes('-c'),
    JSON.stringify(command)
  )
  const hc = runtime.healthcheck
  const hcTimeout = parseDuration(hc?.options.timeout ?? '30s')
  expect(
    'Dockerfile: HEALTHCHECK in exec form, with node, a short timeout and no curl/wget',
    hc !== undefined && hc.exec && basename(hc.command[0]) === 'node' && !/curl|wget/.test(hc.command.join(' ')) && hcTimeout <= 10_000,
    hc ? `${Object.entries(hc.options).map(([k, v]) => `--${k}=${v}`).join(' ')} ${JSON.stringify(hc.command)}` : 'none'
  )
  const labels = runtime.labels
  const wanted = ['title', 'description', 'source', 'licenses', 'version', 'revision'].map((k) => `org.opencontainers.image.${k}`)
  const missing = wanted.filter((k) => !(k in labels))
  expect('Dockerfile: OCI labels', missing.length === 0, `${Object.keys(labels).length} labels`, `missing ${missing.join(', ')}`)
  expect(
    'Dockerfile: label version matches package.json',
    labels['org.opencontainers.image.version'] === pkg.version,
    `${labels['org.opencontainers.image.version']} = ${pkg.version}`,
    `${labels['org.opencontainers.image.version']} != package.json ${pkg.version}: update ARG VERSION`
  )
  expect('Dockerfile: STOPSIGNAL is SIGTERM (or unset)', runtime.stopsignal === undefined || runtime.stopsignal === 'SIGTERM', runtime.stopsignal ?? 'default SIGTERM')
}

function checkDockerignore(isIgnored, context) {
  const mustExclude = [
    '.git/HEAD',
    'node_modules/fastify/package.json',
    'dist/server.js',
    'test/config.test.ts',
    'test-output/vitest-report.json',
    'coverage/index.html',
    'secrets/api_keys.json',
    '.env',
    '.env.production',
    'src/.env',
    'docs/container.md',
    'scripts/smoke-container.mjs',
    'docker-compose.yml',
    '.ci/run'
  ]
  const mustInclude = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/server.ts', 'src/simulator/server.ts', 'src/healthcheck.ts']
  const leaked = mustExclude.filter((p) => !isIgnored(p))
  expect('.dockerignore: keeps .git, node_modules, dist, tests, secrets, .env files, docs and scripts out', leaked.length === 0, `${mustExclude.length} paths`, `not excluded: ${leaked.join(', ')}`)
  const dropped = mustInclude.filter((p) => isIgnored(p))
  expect('.dockerignore: keeps what the build reads', dropped.length === 0, mustInclude.join(', '), `excluded: ${dropped.join(', ')}`)
  const risky = context.files.filter((f) => /(^|\/)(\.env(\..*)?|secrets\/.*|.*\.(pem|key))$/.test(f))
  expect('build context: holds no secret-looking file', risky.length === 0, `${context.files.length} files, ${mib(context.bytes)}`, risky.join(', '))
}

function checkImageContents(image, pkg) {
  const app = join(image.root, image.workdir)
  const entries = readdirSync(app).sort()
  expect('image: /app holds only dist, node_modules and package.json', JSON.stringify(entries) === JSON.stringify(['dist', 'node_modules', 'package.json']), entries.join(', '))
  const needed = ['dist/server.js', 'dist/simulator/server.js', 'dist/healthcheck.js', 'package.json']
  const absent = needed.filter((p) => !existsSync(join(app, p)))
  expect('image: the entry points exist', absent.length === 0, needed.join(', '), `missing ${absent.join(', ')}`)
  const prodMissing = Object.keys(pkg.dependencies ?? {}).filter((d) => !existsSync(join(app, 'node_modules', d, 'package.json')))
  expect('image: every production dependency is installed', prodMissing.length === 0, `${Object.keys(pkg.dependencies ?? {}).length} dependencies`, `missing ${prodMissing.join(', ')}`)
  // Dev-only packages as the lock file marks them (a dev dependency may also be a production one's).
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8'))
  const devOnly = Object.entries(lock.packages ?? {}).filter(([path, entry]) => path.startsWith('node_modules/') && entry.dev === true)
  const devPresent = devOnly.filter(([path]) => existsSync(join(app, path, 'package.json'))).map(([path]) => path.slice('node_modules/'.length))
  expect('image: no dev-only package is installed', devPresent.length === 0, `${devOnly.length} dev-only packages of the lock file absent`, `present: ${devPresent.slice(0, 10).join(', ')}`)
  const sources = walk(join(app, 'dist')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  expect('image: no TypeScript sources or tests', sources.length === 0 && !existsSync(join(app, 'src')) && !existsSync(join(app, 'test')), undefined, sources.join(', '))
  const size = duRecursive(app)
  info(`image /app: ${size.files} files, ${mib(size.bytes)} (plus the base image)`)
}

function composeChecks(label, model, ctx) {
  const { image, configVars, secretsDir } = ctx
  const services = model.services ?? {}
  const imageServices = Object.entries(services).filter(([, s]) => s.build !== undefined || s.image === services.proxy?.image)
  const isImage = (s) => imageServices.some(([, t]) => t === s)
  const active = Object.entries(services).filter(([, s]) => !s.profiles || s.profiles.length === 0)

  // Environment names: the configuration table, nothing else.
  const unknownVars = []
  for (const [name, s] of imageServices) {
    for (const key of Object.keys(s.environment ?? {})) if (!configVars.has(key)) unknownVars.push(`${name}.${key}`)
  }
  expect(`${label}: every environment variable is in the configuration table`, unknownVars.length === 0, `${imageServices.map(([n, s]) => `${n}: ${Object.keys(s.environment ?? {}).length}`).join(', ')}`, `unknown: ${unknownVars.join(', ')}`)

  // Paths and commands exist in the image.
  const missingPaths = []
  for (const [name, s] of imageServices) {
    const argvs = [s.command ?? image.cmd, s.healthcheck?.test?.[0] === 'CMD' ? s.healthcheck.test.slice(1) : undefined].filter(Boolean)
    for (const argv of argvs) {
      if (!Array.isArray(argv)) {
        missingPaths.push(`${name}: a string command (use the exec form)`)
        continue
      }
      if (basename(argv[0]) !== 'node') missingPaths.push(`${name}: ${argv[0]} is not node`)
      for (const arg of argv.slice(1)) {
        if (!arg.startsWith('/')) {
          if (/\.m?js$/.test(arg) && !existsSync(join(image.root, image.workdir, arg))) missingPaths.push(`${name}: ${arg}`)
          continue
        }
        if (arg.startsWith('/run/secrets/')) continue
        if (!existsSync(join(image.root, arg))) missingPaths.push(`${name}: ${arg}`)
      }
    }
    for (const [key, value] of Object.entries(s.environment ?? {})) {
      if (key.endsWith('_FILE') && !String(value).startsWith('/run/secrets/')) missingPaths.push(`${name}: ${key}=${value} is not a mounted secret`)
    }
  }
  expect(`${label}: every command and path names a file of the image`, missingPaths.length === 0, imageServices.map(([n, s]) => `${n}: ${JSON.stringify(s.command ?? image.cmd)}`).join('; '), missingPaths.join('; '))

  // Health checks on every started service.
  const noHealth = active.filter(([, s]) => !(s.healthcheck?.test ?? (isImage(s) ? image.healthcheck : undefined)) || s.healthcheck?.disable)
  const curl = active.filter(([, s]) => /\b(curl|wget)\b/.test(JSON.stringify(s.healthcheck?.test ?? '')))
  expect(`${label}: every service has a health check (no curl/wget)`, noHealth.length === 0 && curl.length === 0, active.map(([n]) => n).join(', '), `missing: ${noHealth.map(([n]) => n).join(', ')} curl: ${curl.map(([n]) => n).join(', ')}`)

  // Dependencies wait for health.
  const badDeps = []
  for (const [name, s] of active) {
    for (const [dep, spec] of Object.entries(s.depends_on ?? {})) {
      if (!services[dep]) badDeps.push(`${name} → ${dep} (no such service)`)
      else if (services[dep].profiles?.length) badDeps.push(`${name} → ${dep} (not started: profile)`)
      else if (spec?.condition !== 'service_healthy') badDeps.push(`${name} → ${dep} (${spec?.condition})`)
    }
  }
  expect(`${label}: depends_on waits for service_healthy`, badDeps.length === 0, active.map(([n, s]) => `${n} → ${Object.keys(s.depends_on ?? {}).join('+') || '-'}`).join(', '), badDeps.join(', '))

  // Hardening.
  const soft = []
  for (const [name, s] of active) {
    if (s.read_only !== true) soft.push(`${name}: read_only`)
    if (s.init !== true) soft.push(`${name}: init`)
    if (!(s.cap_drop ?? []).includes('ALL')) soft.push(`${name}: cap_drop ALL`)
    if (!(s.security_opt ?? []).some((o) => /^no-new-privileges(:true)?$/.test(o))) soft.push(`${name}: no-new-privileges`)
    const tmpfs = [].concat(s.tmpfs ?? [])
    if (!tmpfs.some((t) => String(t).split(':')[0] === '/tmp')) soft.push(`${name}: tmpfs /tmp`)
  }
  expect(`${label}: read_only with tmpfs /tmp, init, cap_drop ALL, no-new-privileges`, soft.length === 0, `${active.length} services`, soft.join(', '))

  // Grace periods.
  const graceProblems = []
  for (const [name, s] of imageServices.filter(([, t]) => active.some(([, a]) => a === t))) {
    const stop = parseDuration(s.stop_grace_period ?? '10s')
    const isProxy = JSON.stringify(s.command ?? image.cmd).includes('dist/server.js')
    if (!isProxy) continue
    const env = s.environment ?? {}
    if (env.SHUTDOWN_GRACE_MS === undefined) graceProblems.push(`${name}: SHUTDOWN_GRACE_MS not set explicitly`)
    const grace = Number(env.SHUTDOWN_GRACE_MS ?? Number(env.SECTIGO_TIMEOUT_MS ?? 60_000) + 5000)
    const timeout = Number(env.SECTIGO_TIMEOUT_MS ?? 60_000)
    if (!(stop > grace)) graceProblems.push(`${name}: stop_grace_period ${s.stop_grace_period} is not above SHUTDOWN_GRACE_MS ${grace}`)
    if (!(grace > timeout)) graceProblems.push(`${name}: SHUTDOWN_GRACE_MS ${grace} is not above SECTIGO_TIMEOUT_MS ${timeout}`)
    if (graceProblems.length === 0) info(`${name}: SECTIGO_TIMEOUT_MS ${timeout} < SHUTDOWN_GRACE_MS ${grace} < stop_grace_period ${stop} ms`)
  }
  expect(`${label}: stop_grace_period > SHUTDOWN_GRACE_MS > SECTIGO_TIMEOUT_MS`, graceProblems.length === 0, undefined, graceProblems.join('; '))

  // Secrets: declared, mounted, referenced through *_FILE, never inline.
  const secretProblems = []
  const declared = model.secrets ?? {}
  for (const [name, s] of active) {
    const mounted = new Map((s.secrets ?? []).map((sec) => [sec.target ? posix.resolve('/run/secrets', sec.target) : `/run/secrets/${sec.source}`, sec.source]))
    for (const sec of s.secrets ?? []) {
      if (!declared[sec.source]) secretProblems.push(`${name}: secret ${sec.source} is not declared`)
      else if (!declared[sec.source].file) secretProblems.push(`${sec.source}: not a file secret`)
    }
    for (const [key, value] of Object.entries(s.environment ?? {})) {
      if (key.endsWith('_FILE') && !mounted.has(String(value))) secretProblems.push(`${name}: ${key} names ${value}, which is not mounted`)
    }
    for (const secret of ['SECTIGO_LOGIN_PASSWORD', 'API_KEYS']) {
      if (s.environment?.[secret] !== undefined && s.environment[secret] !== '') secretProblems.push(`${name}: ${secret} inline; use ${secret}_FILE`)
    }
  }
  expect(`${label}: secrets are declared files, mounted and read through *_FILE`, secretProblems.length === 0, Object.entries(declared).map(([n, d]) => `${n} ← ${d.file}`).join(', '), secretProblems.join('; '))

  if (secretsDir) {
    const missing = Object.entries(declared)
      .filter(([n]) => active.some(([, s]) => (s.secrets ?? []).some((sec) => sec.source === n)))
      .map(([, d]) => d.file)
      .filter((file) => !existsSync(resolve(secretsDir.base, file)))
    expect(`${label}: every mounted secret file exists after compose-secrets.mjs`, missing.length === 0, undefined, `missing ${missing.join(', ')}`)
  }
  return { services, active, imageServices }
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = Date.now()
  const argv = process.argv.slice(2)
  const keep = argv.includes('--keep')
  const verbose = argv.includes('--verbose')
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const tmp = mkdtempSync(join(tmpdir(), 'sectigo-smoke-'))
  chmodSync(tmp, 0o755)
  const ctx = { tmp, root: isRoot, verbose, deadline: started + OVERALL_TIMEOUT_MS - 20_000, buildLog: join(tmp, 'build.log') }

  const cleanup = () => {
    killAll()
    if (keep) {
      console.log(`kept ${tmp}`)
      return
    }
    try {
      if (!isRoot) setMode(tmp, (m) => m | 0o700)
      rmSync(tmp, { recursive: true, force: true })
    } catch (err) {
      console.error(`could not remove ${tmp}: ${err.message}`)
    }
  }
  const overall = setTimeout(() => {
    fail('overall time limit', `${OVERALL_TIMEOUT_MS / 1000} s passed`)
    cleanup()
    process.exit(1)
  }, OVERALL_TIMEOUT_MS)
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      console.log(`interrupted (${signal})`)
      cleanup()
      process.exit(130)
    })
  }

  try {
    console.log(`smoke:container: replaying Dockerfile and compose files from ${REPO}`)
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'))

    // ---- Dockerfile, statically
    const dockerfile = parseDockerfile(readFileSync(join(REPO, 'Dockerfile'), 'utf8'))
    const stages = describeStages(dockerfile)
    const needed = neededStages(stages)
    const runtime = stages.at(-1)
    ctx.stages = stages
    ctx.globals = {}
    for (const ins of dockerfile.globalArgs) for (const [n, v] of assignments('ARG', ins.args, ctx.globals)) ctx.globals[n] = v ?? ''
    pass('Dockerfile: parsed', `${stages.length} stages: ${stages.map((s) => `${s.label} FROM ${s.image}`).join('; ')}`)
    checkDockerfileStatic(stages, pkg, runtime, needed)

    // ---- Build context
    const ignoreText = existsSync(join(REPO, '.dockerignore')) ? readFileSync(join(REPO, '.dockerignore'), 'utf8') : ''
    expect('.dockerignore: present', ignoreText !== '')
    const isIgnored = dockerignoreMatcher(ignoreText)
    const candidates = contextCandidates()
    const files = candidates.files.filter((f) => !isIgnored(f)).sort()
    const bytes = files.reduce((sum, f) => sum + statSync(join(REPO, f)).size, 0)
    ctx.context = { files, fileSet: new Set(files), bytes }
    info(`build context from ${candidates.source}: ${files.length} of ${candidates.files.length} files after .dockerignore`)
    checkDockerignore(isIgnored, ctx.context)

    // ---- Node of the image
    const nodeSpec = nodeVersionOfImage(runtime.image)
    if (!nodeSpec) throw new Abort(`cannot tell the Node version of ${runtime.image}`)
    const node = await ensureNode(nodeSpec)
    pass(`Node ${nodeSpec} for the replay`, `${node.version} from ${node.pkg}, ${node.how}`)
    ctx.nodeDir = dirname(node.bin)

    // ---- Replay the build stages, then assemble the runtime stage
    for (const stage of needed) {
      const t0 = Date.now()
      await replayStage(stage, ctx)
      if (stage !== runtime) pass(`stage ${stage.label} replayed`, seconds(Date.now() - t0))
    }
    const image = {
      root: runtime.root,
      workdir: runtime.workdir,
      env: runtime.env,
      cmd: runtime.cmd,
      healthcheck: runtime.healthcheck,
      nodeBin: join(runtime.root, 'usr', 'local', 'bin', 'node')
    }
    // The base image's node, where the official images have it.
    mkdirSync(dirname(image.nodeBin), { recursive: true })
    try {
      linkSync(node.bin, image.nodeBin)
    } catch {
      copyFileSync(node.bin, image.nodeBin)
    }
    chmodSync(image.nodeBin, 0o755)
    pass('stage runtime assembled', `${runtime.root}`)
    checkImageContents(image, pkg)
    // Read-only like `read_only: true`: no write bit anywhere, and owned by root when we are root.
    setMode(runtime.root, (m) => m & ~0o222)
    const owner = numericUser(runtime.user)
    if (isRoot) {
      image.ids = { uid: owner.uid, gid: owner.gid }
      pass('runs as the image USER', `uid ${owner.uid} gid ${owner.gid}, files owned by root and read-only`)
    } else {
      warn('runs as the current user, not the image USER', `this script is not root (uid ${process.getuid?.()}); the files are read-only`)
    }

    // ---- Run the image: sandbox mode
    await runImage(image, runtime)

    // ---- Compose files
    await composeStage(image, runtime, ctx)
  } catch (err) {
    if (err instanceof Abort) fail('smoke test stopped', err.message)
    else fail('smoke test crashed', err.stack ?? String(err))
  } finally {
    clearTimeout(overall)
    cleanup()
  }

  const counts = { PASS: 0, FAIL: 0, WARN: 0, SKIP: 0 }
  for (const r of results) counts[r.status]++
  console.log(
    `smoke:container: ${counts.FAIL === 0 ? 'PASSED' : 'FAILED'}: ${counts.PASS} passed, ${counts.FAIL} failed, ${counts.WARN} warnings, ${counts.SKIP} skipped in ${seconds(Date.now() - started)}`
  )
  process.exitCode = counts.FAIL === 0 ? 0 : 1
}

async function runImage(image, runtime) {
  const port = await freePort()
  const env = containerEnv(image, { SECTIGO_MODE: 'sandbox', PORT: String(port), SIMULATOR_SLOW_MS: String(SLOW_MS) })
  const { command, args } = imageCommand(image, [...(runtime.entrypoint ?? []), ...runtime.cmd])
  info(`docker run -e SECTIGO_MODE=sandbox -e PORT=${port} -e SIMULATOR_SLOW_MS=${SLOW_MS} ≈ ${relative(image.root, command)} ${args.map((a) => (a.startsWith(image.root) ? a.slice(image.root.length) : a)).join(' ')}`)
  const proc = startProcess(command, args, spawnOptions(image, env))
  const listening = await waitForLine(proc, (l) => /Server listening at http:\/\//.test(jsonLine(l)?.msg ?? ''), START_TIMEOUT_MS).catch((err) => err)
  if (listening instanceof Error) {
    fail('image: server starts and logs "Server listening"', listening.message)
    console.log([...proc.stdout, ...proc.stderr].slice(-30).join('\n'))
    proc.child.kill('SIGKILL')
    return
  }
  pass('image: server starts and logs "Server listening"', jsonLine(listening).msg)
  const sandboxWarnings = proc.stdout.map(jsonLine).filter((l) => isWarning(l) && /sandbox/i.test(l.msg ?? ''))
  expect('image: one sandbox warning line', sandboxWarnings.length === 1, sandboxWarnings[0]?.msg, `${sandboxWarnings.length} lines`)

  const hc = runtime.healthcheck
  const hcTimeout = parseDuration(hc.options.timeout ?? '30s')
  const healthy = await runHealthcheck(image, hc.command, env, hcTimeout)
  expect('image: HEALTHCHECK command exits 0', healthy.code === 0, `${healthy.output.trim()} in ${healthy.ms} ms`, `exit ${healthy.code ?? healthy.signal}: ${healthy.output.trim()}`)
  const closedPort = await freePort()
  const unhealthy = await runHealthcheck(image, hc.command, { ...env, PORT: String(closedPort) }, hcTimeout)
  expect('image: HEALTHCHECK command exits 1 when nothing answers', unhealthy.code === 1, `${unhealthy.output.trim()} in ${unhealthy.ms} ms`, `exit ${unhealthy.code ?? unhealthy.signal}`)

  const ready = await httpCall({ port, path: '/readyz' })
  expect('image: GET /readyz answers 200', ready.status === 200, ready.text, `${ready.status} ${ready.text}`)
  const dcv = await httpCall({ port, method: 'POST', path: `/orders/${DCV_ORDER}/dcv`, body: { method: 'CNAME_CSR_HASH' } })
  expect(`image: POST /orders/${DCV_ORDER}/dcv answers 200`, dcv.status === 200, dcv.text.slice(0, 120), `${dcv.status} ${dcv.text.slice(0, 300)}`)

  // Shutdown: a call in flight (the simulator's slow order) finishes, readiness turns 503, exit 0.
  const grace = Number(image.env.SHUTDOWN_GRACE_MS ?? Number(image.env.SECTIGO_TIMEOUT_MS ?? 60_000) + 5000)
  const inFlight = httpCall({ port, method: 'POST', path: `/orders/${SLOW_ORDER}/replacement`, body: {}, timeoutMs: SLOW_MS + 15_000 })
  // SIGTERM once the call waits on the (in-process) simulator, which logs the upstream request.
  const upstream = await waitForLine(proc, (l) => /!AutoReplaceMC/.test(l), 5000).catch(() => undefined)
  if (!upstream) info('no upstream log line for the slow call within 5 s: sending SIGTERM anyway')
  const sent = Date.now()
  proc.child.kill('SIGTERM')
  await sleep(200)
  const draining = await httpCall({ port, path: '/readyz', timeoutMs: 3000 })
  expect('image: after SIGTERM, GET /readyz answers 503', draining.status === 503, `${draining.status}`, `${draining.status} ${draining.error ?? draining.text.slice(0, 200)}`)
  const slow = await inFlight
  expect(
    'image: the call in flight at SIGTERM completes',
    slow.status === 200,
    `POST /orders/${SLOW_ORDER}/replacement → ${slow.status} after ${seconds(Date.now() - sent)}`,
    `${slow.status} ${slow.error ?? slow.text.slice(0, 200)}`
  )
  const exit = await Promise.race([proc.exited, sleep(grace + 2000, undefined, { ref: false })])
  if (!exit) proc.child.kill('SIGKILL')
  expect(
    `image: exits 0 within SHUTDOWN_GRACE_MS (${grace} ms) of SIGTERM`,
    exit !== undefined && exit.code === 0 && exit.at - sent <= grace,
    exit ? `exit ${exit.code} after ${exit.at - sent} ms` : undefined,
    exit ? `exit ${exit.code ?? exit.signal} after ${exit.at - sent} ms` : 'still running: killed'
  )
  if (exit?.code !== 0) console.log([...proc.stdout, ...proc.stderr].slice(-20).join('\n'))
  const nonJson = proc.stdout.filter((l) => !jsonLine(l))
  expect('image: every log line on stdout is JSON', nonJson.length === 0, `${proc.stdout.length} lines`, nonJson.slice(0, 3).join(' | '))
  if (proc.stderr.length > 0) warn('image: the server wrote to stderr', proc.stderr.slice(0, 3).join(' | '))
}

async function composeStage(image, runtime, ctx) {
  const configVars = configurationVariables(readFileSync(join(REPO, 'src', 'config', 'env-schema.ts'), 'utf8'))
  for (const name of Object.keys(runtime.env)) if (!configVars.has(name)) fail(`Dockerfile: ENV ${name} is in the configuration table`)

  // Secrets, as an operator makes them.
  const composeDir = join(ctx.tmp, 'compose')
  const secretsDir = join(composeDir, 'secrets')
  mkdirSync(composeDir, { recursive: true })
  const livePassword = 'smoke-live-password'
  const made = await run(process.execPath, [join(REPO, 'scripts', 'compose-secrets.mjs'), '--dir', secretsDir, '--sectigo-password-stdin'], { input: `${livePassword}\n`, timeoutMs: 20_000 })
  const apiKey = made.output
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /^spk_[A-Za-z0-9_-]{43}$/.test(l))
  expect('compose-secrets.mjs: writes the secrets and prints a new API key', made.code === 0 && apiKey !== undefined, `${readdirSync(secretsDir).join(', ')}`, `exit ${made.code}: ${made.output.slice(0, 400)}`)
  if (!apiKey) throw new Abort('no API key')
  const keysFile = join(secretsDir, 'api_keys.json')
  let keysOk = false
  try {
    const entries = JSON.parse(readFileSync(keysFile, 'utf8'))
    const sha = createHash('sha256').update(apiKey).digest('hex')
    keysOk =
      Array.isArray(entries) &&
      entries.length === 1 &&
      entries[0].sha256 === sha &&
      JSON.stringify([...entries[0].scopes].sort()) === JSON.stringify(['dcv:write', 'replacement:write']) &&
      !readFileSync(keysFile, 'utf8').includes(apiKey)
  } catch {
    keysOk = false
  }
  expect('compose-secrets.mjs: api_keys.json holds the SHA-256 of the printed key with both scopes, not the key', keysOk)
  const dirMode = statSync(secretsDir).mode & 0o777
  const fileModes = readdirSync(secretsDir).map((f) => statSync(join(secretsDir, f)).mode & 0o777)
  expect(
    'compose-secrets.mjs: private folder, files readable by the container user',
    dirMode === 0o700 && fileModes.every((m) => (m & 0o004) !== 0 && (m & 0o022) === 0),
    `folder ${dirMode.toString(8)}, files ${[...new Set(fileModes.map((m) => m.toString(8)))].join(' ')}`
  )
  const again = await run(process.execPath, [join(REPO, 'scripts', 'compose-secrets.mjs'), '--dir', secretsDir], { timeoutMs: 20_000 })
  expect('compose-secrets.mjs: a second run keeps the key', again.code === 0 && !/spk_/.test(again.output) && readFileSync(keysFile, 'utf8').includes(createHash('sha256').update(apiKey).digest('hex')))

  // docker-compose.yml alone.
  const baseText = readFileSync(join(REPO, 'docker-compose.yml'), 'utf8')
  const base = loadCompose([baseText], {})
  expect('docker-compose.yml: parses and needs no variable', base.errors.length === 0, undefined, base.errors.join('; '))
  const model = base.model
  const names = Object.keys(model.services ?? {})
  expect('docker-compose.yml: services simulator, proxy and redis', ['simulator', 'proxy', 'redis'].every((n) => names.includes(n)), names.join(', '))
  const { services } = composeChecks('docker-compose.yml', model, { image, configVars, secretsDir: { base: composeDir } })
  const sim = services.simulator ?? {}
  const proxy = services.proxy ?? {}
  const redis = services.redis ?? {}
  expect(
    'docker-compose.yml: proxy and simulator are this Dockerfile\'s image',
    [sim, proxy].every((s) => (s.build === '.' || s.build?.context === '.') && (s.build?.dockerfile ?? 'Dockerfile') === 'Dockerfile') && sim.image === proxy.image,
    `${proxy.image}, built from .`
  )
  expect(
    'docker-compose.yml: the simulator runs node dist/simulator/server.js on 0.0.0.0',
    JSON.stringify(sim.command ?? []).includes('dist/simulator/server.js') && sim.environment?.SIMULATOR_HOST === '0.0.0.0',
    JSON.stringify(sim.command)
  )
  const simPort = String(sim.environment?.SIMULATOR_PORT ?? '8081')
  const baseUrl = new URL(proxy.environment?.SECTIGO_BASE_URL ?? 'https://invalid/')
  const simHealthUrl = (sim.healthcheck?.test ?? []).find((a) => /^https?:/.test(a))
  expect(
    'docker-compose.yml: proxy is in live mode against the simulator (one port everywhere)',
    proxy.environment?.SECTIGO_MODE !== 'sandbox' &&
      baseUrl.hostname === 'simulator' &&
      baseUrl.port === simPort &&
      baseUrl.pathname === '/products/' &&
      proxy.environment?.SECTIGO_ALLOW_INSECURE_UPSTREAM === 'true' &&
      simHealthUrl !== undefined &&
      new URL(simHealthUrl).port === simPort &&
      (sim.expose ?? []).map(String).includes(simPort),
    `${baseUrl.href}, SIMULATOR_PORT ${simPort}, health ${simHealthUrl}`
  )
  const passwordFile = model.secrets?.[proxy.secrets?.find((s) => proxy.environment?.SECTIGO_LOGIN_PASSWORD_FILE === `/run/secrets/${s.source}`)?.source]?.file
  const password = passwordFile && existsSync(resolve(composeDir, passwordFile)) ? readFileSync(resolve(composeDir, passwordFile), 'utf8').replace(/\r?\n$/, '') : undefined
  expect(
    "docker-compose.yml: the proxy's account is the simulator's (login name, password secret)",
    proxy.environment?.SECTIGO_LOGIN_NAME === (sim.environment?.SIMULATOR_LOGIN_NAME ?? 'sandbox') && password === (sim.environment?.SIMULATOR_LOGIN_PASSWORD ?? 'sandbox'),
    `${proxy.environment?.SECTIGO_LOGIN_NAME}, password from ${passwordFile}`
  )
  const redisUrl = new URL(proxy.environment?.REDIS_URL ?? 'redis://invalid')
  expect(
    'docker-compose.yml: redis is the official image without persistence, the proxy uses it',
    /^redis:\d/.test(redis.image ?? '') && redisUrl.hostname === 'redis' && (redis.command ?? []).join(' ').includes('--appendonly yes') && /redis-cli/.test(JSON.stringify(redis.healthcheck?.test)),
    `${redis.image}, ${redisUrl.href}`
  )
  const published = (proxy.ports ?? []).map((p) => String(typeof p === 'object' ? p.target : p.split(':').at(-1)))
  expect('docker-compose.yml: the proxy publishes the image port', published.includes(image.env.PORT), (proxy.ports ?? []).join(', '))

  // The override, merged.
  const overrideText = readFileSync(join(REPO, 'docker-compose.sectigo.yml'), 'utf8')
  const withoutName = loadCompose([baseText, overrideText], {})
  expect('docker-compose.sectigo.yml: refuses to start without SECTIGO_LOGIN_NAME', withoutName.errors.some((e) => e.startsWith('SECTIGO_LOGIN_NAME')), withoutName.errors.join('; '))
  const merged = loadCompose([baseText, overrideText], { SECTIGO_LOGIN_NAME: 'example-account' })
  expect('docker-compose.sectigo.yml: merges with SECTIGO_LOGIN_NAME set', merged.errors.length === 0, undefined, merged.errors.join('; '))
  const live = composeChecks('docker-compose.yml + docker-compose.sectigo.yml', merged.model, { image, configVars, secretsDir: { base: composeDir } })
  const liveProxy = live.services.proxy ?? {}
  const liveEnv = liveProxy.environment ?? {}
  expect(
    'docker-compose.sectigo.yml: the proxy calls Sectigo over https with the real account',
    liveEnv.SECTIGO_BASE_URL === 'https://secure.trust-provider.com/products/' && liveEnv.SECTIGO_ALLOW_INSECURE_UPSTREAM !== 'true' && liveEnv.SECTIGO_LOGIN_NAME === 'example-account',
    `${liveEnv.SECTIGO_BASE_URL}, insecure=${liveEnv.SECTIGO_ALLOW_INSECURE_UPSTREAM}`
  )
  const liveActive = live.active.map(([n]) => n)
  expect(
    'docker-compose.sectigo.yml: the simulator is not started and nothing depends on it',
    !liveActive.includes('simulator') && !Object.keys(liveProxy.depends_on ?? {}).includes('simulator') && Object.keys(liveProxy.depends_on ?? {}).includes('redis'),
    `started: ${liveActive.join(', ')}; proxy depends on ${Object.keys(liveProxy.depends_on ?? {}).join(', ')}`
  )
  const livePasswordFile = merged.model.secrets?.sectigo_login_password?.file
  expect(
    'docker-compose.sectigo.yml: the password secret is the real account\'s file, written from stdin',
    livePasswordFile !== passwordFile && existsSync(resolve(composeDir, livePasswordFile ?? '-')) && readFileSync(resolve(composeDir, livePasswordFile), 'utf8') === `${livePassword}\n`,
    livePasswordFile
  )

  await replayCompose(image, runtime, model, { composeDir, apiKey, deadline: ctx.deadline, tmp: ctx.tmp })
}

/**
 * Runs the compose stack's simulator and proxy from the assembled image, with the compose
 * environment, secrets mounted as files, and the service names and ports mapped to free
 * loopback ports. Redis runs from this machine's redis-server when there is one.
 */
async function replayCompose(image, runtime, model, { composeDir, apiKey, tmp }) {
  const services = model.services
  const procs = []
  const hostPorts = {}
  try {
    // Redis.
    const redisServer = which('redis-server')
    if (redisServer) {
      const port = await freePort()
      const command = services.redis.command ?? ['redis-server']
      const proc = startProcess(redisServer, [...command.slice(1), '--port', String(port), '--bind', '127.0.0.1', '--dir', tmp], { env: { PATH: process.env.PATH } })
      procs.push(['redis', proc])
      let up = false
      for (let i = 0; i < 40 && !up; i++) {
        up = await redisPing(port)
        if (!up) await sleep(100)
      }
      expect('compose replay: redis starts with the compose command', up, `${JSON.stringify(command)} on port ${port}`)
      hostPorts.redis = { 6379: port }
    } else {
      skip('compose replay: redis', 'no redis-server on this machine: the proxy runs without REDIS_URL')
    }

    // The image's services, in dependency order.
    for (const name of ['simulator', 'proxy']) {
      const s = services[name]
      const containerPorts = [...(s.expose ?? []), ...(s.ports ?? []).map((p) => String(p).split(':').at(-1)), ...(s.command ? [] : [image.env.PORT])].map(String)
      hostPorts[name] = {}
      for (const p of new Set(containerPorts)) hostPorts[name][p] = await freePort()
      const mapUrl = (value) =>
        String(value).replace(/^(\w+):\/\/([A-Za-z0-9_.-]+):(\d+)/, (all, scheme, host, port) => {
          const target = ['127.0.0.1', 'localhost'].includes(host) ? hostPorts[name] : hostPorts[host]
          return target?.[port] ? `${scheme}://127.0.0.1:${target[port]}` : all
        })

      // Secrets: bind-mounted files keep their host mode, so copy them as they are.
      const secretsRoot = join(tmp, `run-${name}`, 'secrets')
      mkdirSync(secretsRoot, { recursive: true, mode: 0o755 })
      chmodSync(dirname(secretsRoot), 0o755)
      chmodSync(secretsRoot, 0o755)
      const mounts = {}
      for (const sec of s.secrets ?? []) {
        const target = join(secretsRoot, sec.source)
        cpSync(resolve(composeDir, model.secrets[sec.source].file), target, { preserveTimestamps: true })
        mounts[`/run/secrets/${sec.source}`] = target
      }

      const env = {}
      for (const [key, value] of Object.entries({ ...image.env, ...(s.environment ?? {}) })) {
        if (value === undefined || value === null) continue
        let v = String(value)
        if (mounts[v]) v = mounts[v]
        else if (containerPorts.includes(v) && /PORT$/.test(key)) v = String(hostPorts[name][v])
        else v = mapUrl(v)
        env[key] = v
      }
      if (!redisServer) delete env.REDIS_URL
      const fullEnv = containerEnv(image, env)
      const argv = s.command ?? [...(runtime.entrypoint ?? []), ...runtime.cmd]
      const { command, args } = imageCommand(image, argv)
      const proc = startProcess(command, args, spawnOptions(image, fullEnv))
      procs.push([name, proc])
      const mapped = Object.entries(hostPorts[name]).map(([c, h]) => `${c}→${h}`).join(', ')
      const listening = await waitForLine(proc, (l) => /listening at http:\/\//i.test(jsonLine(l)?.msg ?? ''), START_TIMEOUT_MS).catch((err) => err)
      if (listening instanceof Error) {
        fail(`compose replay: ${name} starts`, listening.message)
        console.log([...proc.stdout, ...proc.stderr].slice(-20).join('\n'))
        return
      }
      pass(`compose replay: ${name} starts`, `${JSON.stringify(argv)}, ports ${mapped}`)
      const test = s.healthcheck?.test ?? ['CMD', ...image.healthcheck.command]
      if (test[0] !== 'CMD') {
        skip(`compose replay: ${name} health check`, `${test[0]} is not replayed`)
        continue
      }
      const hcArgs = test.slice(1).map(mapUrl)
      const timeout = parseDuration(s.healthcheck?.timeout ?? image.healthcheck.options.timeout ?? '30s')
      let result
      for (let i = 0; i < 20; i++) {
        result = await runHealthcheck(image, hcArgs, fullEnv, timeout)
        if (result.code === 0) break
        await sleep(250)
      }
      expect(`compose replay: ${name} health check passes`, result.code === 0, result.output.trim(), `exit ${result.code}: ${result.output.trim()}`)
    }

    const proxyPort = hostPorts.proxy[image.env.PORT]
    const liveLines = procs.find(([n]) => n === 'proxy')[1].stdout.map(jsonLine).filter(Boolean)
    expect('compose replay: the proxy is in live mode (no sandbox warning)', !liveLines.some((l) => isWarning(l) && /sandbox/i.test(l.msg ?? '')), liveLines.filter(isWarning).map((l) => l.msg).join(' | '))
    const call = await httpCall({ port: proxyPort, method: 'POST', path: `/orders/${DCV_ORDER}/dcv`, headers: { authorization: `Bearer ${apiKey}` }, body: { method: 'CNAME_CSR_HASH' } })
    expect(
      `compose replay: POST /orders/${DCV_ORDER}/dcv with the generated key → 200 through the simulator`,
      call.status === 200,
      call.text.slice(0, 120),
      `${call.status} ${call.error ?? call.text.slice(0, 300)}`
    )
    const anonymous = await httpCall({ port: proxyPort, method: 'POST', path: `/orders/${DCV_ORDER}/dcv`, body: { method: 'CNAME_CSR_HASH' } })
    expect('compose replay: a call without a key → 401', anonymous.status === 401, anonymous.json?.type, `${anonymous.status} ${anonymous.error ?? anonymous.text.slice(0, 200)}`)

    for (const [name, proc] of [...procs].reverse()) {
      const grace = parseDuration(services[name].stop_grace_period ?? '10s')
      const exit = await stopProcess(proc, grace)
      if (name === 'redis') continue
      expect(`compose replay: ${name} exits 0 on SIGTERM within stop_grace_period`, exit.code === 0, `${exit.ms} ms`, `${exit.code ?? exit.signal} after ${exit.ms} ms`)
    }
    procs.length = 0
  } finally {
    for (const [, proc] of procs) proc.child.kill('SIGKILL')
  }
}

function isEntryPoint() {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
  } catch {
    return false
  }
}

if (isEntryPoint()) await main()
