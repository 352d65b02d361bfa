// The service's own pointers are a fixed set (one per upstream field), so each is split once.
const segmentsByPointer = new Map<string, readonly string[]>()

function segmentsOf(pointer: string): readonly string[] {
  let segments = segmentsByPointer.get(pointer)
  if (segments === undefined) {
    segments = pointer
      .replace(/^#\/?/, '')
      .split('/')
      .filter((segment) => segment !== '')
    segmentsByPointer.set(pointer, segments)
  }
  return segments
}

/** The value at a `#/a/b` pointer (no escapes: the service's own pointers never need them). */
export function valueAt(root: unknown, pointer: string): unknown {
  let node = root
  for (const segment of segmentsOf(pointer)) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) return undefined
    node = (node as Record<string, unknown>)[segment]
  }
  return node
}
