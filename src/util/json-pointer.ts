/** The value at a `#/a/b` pointer (no escapes: the service's own pointers never need them). */
export function valueAt(root: unknown, pointer: string): unknown {
  let node = root
  for (const segment of pointer.replace(/^#\/?/, '').split('/')) {
    if (segment === '') continue
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) return undefined
    node = (node as Record<string, unknown>)[segment]
  }
  return node
}
