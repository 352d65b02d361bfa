// @peculiar/x509 resolves its algorithms through tsyringe, which refuses to load unless a Reflect
// metadata API exists ("tsyringe requires a reflect polyfill"), and no polyfill is installed.
// This is the smallest stand-in for `reflect-metadata` that tsyringe needs: import it before
// @peculiar/x509. It installs nothing when a real polyfill is already present.

type MetadataKey = unknown
type Target = object

interface ReflectMetadata {
  defineMetadata(key: MetadataKey, value: unknown, target: Target, property?: string | symbol): void
  getOwnMetadata(key: MetadataKey, target: Target, property?: string | symbol): unknown
  getMetadata(key: MetadataKey, target: Target, property?: string | symbol): unknown
  hasOwnMetadata(key: MetadataKey, target: Target, property?: string | symbol): boolean
  hasMetadata(key: MetadataKey, target: Target, property?: string | symbol): boolean
  metadata(key: MetadataKey, value: unknown): (target: Target, property?: string | symbol) => void
}

const reflect = Reflect as typeof Reflect & Partial<ReflectMetadata>

if (typeof reflect.getMetadata !== 'function') {
  const store = new WeakMap<Target, Map<string | symbol | undefined, Map<MetadataKey, unknown>>>()

  const own = (target: Target, property: string | symbol | undefined, create: boolean) => {
    let byProperty = store.get(target)
    if (!byProperty) {
      if (!create) return undefined
      byProperty = new Map()
      store.set(target, byProperty)
    }
    let entries = byProperty.get(property)
    if (!entries && create) {
      entries = new Map()
      byProperty.set(property, entries)
    }
    return entries
  }

  const shim: ReflectMetadata = {
    defineMetadata(key, value, target, property) {
      own(target, property, true)?.set(key, value)
    },
    getOwnMetadata(key, target, property) {
      return own(target, property, false)?.get(key)
    },
    hasOwnMetadata(key, target, property) {
      return own(target, property, false)?.has(key) ?? false
    },
    getMetadata(key, target, property) {
      for (let t: Target | null = target; t !== null; t = Object.getPrototypeOf(t) as Target | null) {
        const entries = own(t, property, false)
        if (entries?.has(key)) return entries.get(key)
      }
      return undefined
    },
    hasMetadata(key, target, property) {
      for (let t: Target | null = target; t !== null; t = Object.getPrototypeOf(t) as Target | null) {
        if (own(t, property, false)?.has(key)) return true
      }
      return false
    },
    metadata(key, value) {
      return (target, property) => shim.defineMetadata(key, value, target, property)
    }
  }
  Object.assign(Reflect, shim)
}

export {}
