import { describe, expect, it } from 'vitest'
import {
  ANSWER_ALLOWANCE_BYTES,
  MemoryIdempotencyStore,
  RECORD_OVERHEAD_BYTES,
  recordBytes,
  stringBytes
} from '../../src/idempotency/memory-store.js'
import { StoreFullError, type IdempotencyEntry, type StoredResponse } from '../../src/idempotency/store.js'

type InFlight = Extract<IdempotencyEntry, { state: 'in-flight' }>
type Done = Extract<IdempotencyEntry, { state: 'done' }>

const FINGERPRINT = 'f'.repeat(64)
const inFlight = (token: string, startedAt = 0): InFlight => ({ state: 'in-flight', fingerprint: FINGERPRINT, startedAt, token })
const done = (body: string, extra: Partial<StoredResponse> = {}): Done => ({
  state: 'done',
  fingerprint: FINGERPRINT,
  response: { status: 200, contentType: 'application/json', body, ...extra }
})
/** What a key's in-flight record counts, with its answer allowance. */
const reserved = (key: string, token: string, allowance = ANSWER_ALLOWANCE_BYTES) => recordBytes(key, inFlight(token)) + allowance

function storeAt(clock: { now: number }, options: { maxBytes: number; maxEntries?: number; ttlMs?: number; answerAllowanceBytes?: number }) {
  return new MemoryIdempotencyStore({ ttlMs: 1000, maxEntries: 1000, ...options, now: () => clock.now })
}

describe('record size estimate', () => {
  it('counts one byte per Latin-1 character and two per character otherwise', () => {
    expect(stringBytes('')).toBe(0)
    expect(stringBytes('abc')).toBe(3)
    // é and ÿ are Latin-1: V8 keeps the string one byte per character.
    expect(stringBytes('café ÿ')).toBe(6)
    // One character above U+00FF makes the whole string UTF-16.
    expect(stringBytes('price: 5 €')).toBe(20)
    // A character outside the BMP is two UTF-16 units.
    expect(stringBytes('😀')).toBe(4)
  })

  it('adds the measured overhead to the strings of a record, from their lengths', () => {
    expect(recordBytes('k'.repeat(76), inFlight('t'.repeat(36)))).toBe(RECORD_OVERHEAD_BYTES + 76 + 64 + 36)
    const answer = done('x'.repeat(1000), { headers: { 'retry-after': '30', location: '/orders/3000001' } })
    expect(recordBytes('key', answer)).toBe(RECORD_OVERHEAD_BYTES + 3 + 64 + 'application/json'.length + 1000 + 2 + 15)
    expect(recordBytes('key', done('€'.repeat(1000)))).toBe(RECORD_OVERHEAD_BYTES + 3 + 64 + 16 + 2000)
  })
})

describe('the memory store in bytes', () => {
  it('counts a call in flight with its answer allowance, then its answer, and nothing once released or expired', async () => {
    const clock = { now: 0 }
    const store = storeAt(clock, { maxBytes: 10_000_000 })
    await store.begin('a', inFlight('1'))
    expect(store.bytes).toBe(reserved('a', '1'))
    await store.begin('b', inFlight('2'))
    expect(store.bytes).toBe(reserved('a', '1') + reserved('b', '2'))

    const answer = done('{"ok":true}', { headers: { 'retry-after': '5' } })
    await store.complete('a', '1', answer)
    expect(store.bytes).toBe(recordBytes('a', answer) + reserved('b', '2'))
    // Another token changes nothing.
    await store.complete('b', 'not-mine', answer)
    await store.release('b', 'not-mine')
    expect(store.bytes).toBe(recordBytes('a', answer) + reserved('b', '2'))

    await store.release('b', '2')
    expect(store.bytes).toBe(recordBytes('a', answer))
    expect(store.size).toBe(1)

    // The answer was stored at 0 and lives 1000 ms: found expired, it is dropped and uncounted.
    clock.now = 1000
    expect(await store.begin('a', inFlight('3', 1000))).toEqual({ acquired: true })
    expect(store.bytes).toBe(reserved('a', '3'))
    await store.close()
    expect(store.bytes).toBe(0)
  })

  it('refuses a new key when the records and allowances would pass the bound, and still answers for stored keys', async () => {
    const clock = { now: 0 }
    const room = reserved('a', '1') + reserved('b', '2')
    const store = storeAt(clock, { maxBytes: room + reserved('c', '3') - 1 })
    await store.begin('a', inFlight('1'))
    await store.begin('b', inFlight('2'))
    await expect(store.begin('c', inFlight('3'))).rejects.toBeInstanceOf(StoreFullError)
    expect(store.bytes).toBe(room)
    expect(store.size).toBe(2)

    // A done record is smaller than its reservation: room for the third key.
    await store.complete('a', '1', done('small'))
    expect(await store.begin('c', inFlight('3'))).toEqual({ acquired: true })
    await expect(store.begin('d', inFlight('4'))).rejects.toBeInstanceOf(StoreFullError)
    // Full or not, a stored key is found: its answer is replayed, an in-flight one is reported.
    expect(await store.begin('a', inFlight('5'))).toEqual({ acquired: false, existing: done('small') })
    expect(await store.begin('b', inFlight('6'))).toMatchObject({ acquired: false, existing: { state: 'in-flight', token: '2' } })
  })

  it('evicts expired records only, when the bound is reached, and admits the key in their room', async () => {
    const clock = { now: 0 }
    const per = reserved('a', '1')
    const store = storeAt(clock, { maxBytes: 3 * per })
    await store.begin('a', inFlight('1'))
    clock.now = 100
    await store.begin('b', inFlight('2'))
    clock.now = 200
    await store.begin('c', inFlight('3'))
    clock.now = 500
    // a's answer renews it: it lives until 1500.
    await store.complete('a', '1', done('answer'))
    const bytesBefore = store.bytes

    clock.now = 1099
    await expect(store.begin('d', inFlight('4'))).rejects.toBeInstanceOf(StoreFullError)
    expect(store.bytes).toBe(bytesBefore)
    // b (begun at 100) expires at 1100: swept, its reservation freed, d takes the room.
    clock.now = 1100
    expect(await store.begin('d', inFlight('4'))).toEqual({ acquired: true })
    expect(store.bytes).toBe(bytesBefore - per + reserved('d', '4'))
    expect(store.size).toBe(3)
    await expect(store.begin('e', inFlight('5'))).rejects.toBeInstanceOf(StoreFullError)
    // c (begun at 200) expires at 1200; a and d are live and stay.
    clock.now = 1200
    expect(await store.begin('e', inFlight('5'))).toEqual({ acquired: true })
    expect((await store.begin('a', inFlight('6'))).acquired).toBe(false)
    expect((await store.begin('d', inFlight('7'))).acquired).toBe(false)
    expect(store.size).toBe(3)
  })

  it('finds the room of a record that expires after a refusal, whichever order the records were written in', async () => {
    const clock = { now: 5000 }
    const per = reserved('a', '1')
    const store = storeAt(clock, { maxBytes: 2 * per })
    await store.begin('a', inFlight('1'))
    // The clock went back: b expires before a.
    clock.now = 4000
    await store.begin('b', inFlight('2'))
    await expect(store.begin('c', inFlight('3'))).rejects.toBeInstanceOf(StoreFullError)
    clock.now = 5000
    expect(await store.begin('c', inFlight('3'))).toEqual({ acquired: true })
    expect((await store.begin('a', inFlight('4'))).acquired).toBe(false)
  })

  it('stores an answer larger than its allowance, and than the bound itself: a sent call never loses its answer', async () => {
    const clock = { now: 0 }
    const maxBytes = 4 * reserved('a', '1')
    const store = storeAt(clock, { maxBytes })
    await store.begin('a', inFlight('1'))
    await store.begin('b', inFlight('2'))
    const huge = done('x'.repeat(maxBytes))
    await store.complete('a', '1', huge)
    expect(store.bytes).toBe(recordBytes('a', huge) + reserved('b', '2'))
    expect(store.bytes).toBeGreaterThan(maxBytes)
    // b was admitted before: its answer is stored too, past the bound.
    const second = done('y'.repeat(ANSWER_ALLOWANCE_BYTES * 2))
    await store.complete('b', '2', second)
    expect(store.bytes).toBe(recordBytes('a', huge) + recordBytes('b', second))
    // No new key until expiries make room; both answers are replayed whole.
    await expect(store.begin('c', inFlight('3'))).rejects.toBeInstanceOf(StoreFullError)
    expect(await store.begin('a', inFlight('4'))).toEqual({ acquired: false, existing: huge })
    expect(await store.begin('b', inFlight('5'))).toEqual({ acquired: false, existing: second })
    clock.now = 1000
    expect(await store.begin('c', inFlight('3'))).toEqual({ acquired: true })
    expect(store.bytes).toBe(reserved('c', '3'))
  })

  it('keeps the entry bound as well', async () => {
    const store = storeAt({ now: 0 }, { maxBytes: 100_000_000, maxEntries: 1 })
    await store.begin('a', inFlight('1'))
    await expect(store.begin('b', inFlight('2'))).rejects.toBeInstanceOf(StoreFullError)
  })

  it('holds the stated bound through random traffic: maxBytes, plus what answers of the calls in flight at the last admission exceed their allowance', async () => {
    // A small PRNG (mulberry32): the same run every time.
    let seed = 42
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    const allowance = 2000
    const maxBytes = 20 * (allowance + 1000)
    const ttlMs = 5000
    const clock = { now: 0 }
    const store = storeAt(clock, { maxBytes, ttlMs, answerAllowanceBytes: allowance })

    interface Modelled {
      entry: IdempotencyEntry
      expiresAt: number
      reservation: number
    }
    const model = new Map<string, Modelled>()
    /** Keys in flight when the last key was admitted, and what each answer exceeded its reservation by. */
    let inFlightAtLastAdmission = new Map<string, number>()
    let refused = 0
    let beyondBound = 0
    let next = 0

    for (let step = 0; step < 4000; step++) {
      const roll = random()
      const inFlightKeys = [...model].filter(([, r]) => r.entry.state === 'in-flight' && r.expiresAt > clock.now).map(([k]) => k)
      if (roll >= 0.92) {
        clock.now += Math.floor(random() * 1500)
      } else if (roll < 0.45 || inFlightKeys.length === 0) {
        const key = `key-${next++}`
        const entry = inFlight(`token-${key}`, clock.now)
        const admitted = await store.begin(key, entry).then(
          (result) => result.acquired,
          (err: unknown) => {
            expect(err).toBeInstanceOf(StoreFullError)
            return false
          }
        )
        if (admitted) {
          // The bound held at this moment, with the new record and its allowance.
          expect(store.bytes).toBeLessThanOrEqual(maxBytes)
          model.set(key, { entry, expiresAt: clock.now + ttlMs, reservation: recordBytes(key, entry) + allowance })
          inFlightAtLastAdmission = new Map([...model].filter(([, r]) => r.entry.state === 'in-flight').map(([k]) => [k, 0]))
        } else refused++
      } else if (roll < 0.85) {
        const key = inFlightKeys[Math.floor(random() * inFlightKeys.length)] as string
        const record = model.get(key) as Modelled
        // Mostly small answers, some larger than the allowance, a few far larger; some two-byte.
        const size = random() < 0.8 ? Math.floor(random() * allowance) : Math.floor(random() * allowance * 6)
        const answer = done((random() < 0.2 ? '€' : 'x').repeat(size))
        await store.complete(key, `token-${key}`, answer)
        const excess = Math.max(0, recordBytes(key, answer) - record.reservation)
        if (inFlightAtLastAdmission.has(key)) inFlightAtLastAdmission.set(key, excess)
        model.set(key, { entry: answer, expiresAt: clock.now + ttlMs, reservation: 0 })
      } else {
        const key = inFlightKeys[Math.floor(random() * inFlightKeys.length)] as string
        await store.release(key, `token-${key}`)
        model.delete(key)
        inFlightAtLastAdmission.delete(key)
      }

      const margin = [...inFlightAtLastAdmission.values()].reduce((sum, excess) => sum + excess, 0)
      expect(store.bytes).toBeLessThanOrEqual(maxBytes + margin)
      if (store.bytes > maxBytes) beyondBound++
      // No live record is ever dropped, and each is what was written last.
      for (const [key, record] of model) {
        if (record.expiresAt <= clock.now) {
          model.delete(key)
          continue
        }
        expect(await store.begin(key, inFlight('probe', clock.now))).toEqual({ acquired: false, existing: record.entry })
      }
    }
    // The run went through the cases the bound is about.
    expect(refused).toBeGreaterThan(100)
    expect(beyondBound).toBeGreaterThan(10)
  })

  it('never passes the bound while every answer fits its allowance', async () => {
    const clock = { now: 0 }
    const allowance = 5000
    const maxBytes = 10 * (allowance + 1000)
    const store = storeAt(clock, { maxBytes, ttlMs: 3000, answerAllowanceBytes: allowance })
    const open: string[] = []
    let refused = 0
    let fullest = 0
    for (let i = 0; i < 2000; i++) {
      const key = `k${i}`
      await store.begin(key, inFlight(`t${key}`, clock.now)).then(
        () => open.push(key),
        (err: unknown) => {
          expect(err).toBeInstanceOf(StoreFullError)
          refused++
        }
      )
      expect(store.bytes).toBeLessThanOrEqual(maxBytes)
      // The oldest call in flight finishes with an answer exactly as large as its allowance allows.
      if (open.length > 3 || i % 3 === 0) {
        const finished = open.shift()
        if (finished) {
          const token = `t${finished}`
          const answer = done('x'.repeat(allowance + token.length - 'application/json'.length))
          expect(recordBytes(finished, answer)).toBe(reserved(finished, token, allowance))
          await store.complete(finished, token, answer)
        }
      }
      expect(store.bytes).toBeLessThanOrEqual(maxBytes)
      fullest = Math.max(fullest, store.bytes)
      clock.now += 10
    }
    expect(refused).toBeGreaterThan(100)
    expect(fullest).toBeGreaterThan(maxBytes - (allowance + 1000))
  })
})
