// The compose files as `docker compose -f a -f b config` reads them, for the checks that a
// running stack cannot make: the Sectigo override (podman-compose cannot read its `!override`
// tag), every variable against the configuration table, and the grace periods.
import YAML from 'yaml'

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
      if (key === '<<') throw new Error('YAML merge keys are not supported here')
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
