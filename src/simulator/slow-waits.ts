// The slow order's waits. They never hold the process (unref) and end at once when the app
// closes, so close() does not wait SIMULATOR_SLOW_MS for them.

export class SlowWaits {
  private readonly pending = new Set<() => void>()
  private ended = false

  /** Resolves after `ms`, or at once once the app is closing. */
  wait(ms: number): Promise<void> {
    if (this.ended) return Promise.resolve()
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer)
        this.pending.delete(finish)
        resolve()
      }
      const timer = setTimeout(finish, ms)
      timer.unref()
      this.pending.add(finish)
    })
  }

  /** Ends every wait now, and every later one at once: each slow call answers as if its time had come. */
  endAll(): void {
    this.ended = true
    for (const finish of [...this.pending]) finish()
  }
}
