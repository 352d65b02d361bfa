import { createHash } from 'node:crypto'

export const KEYS = {
  both: 'spk_test-both-scopes-0123456789abcdef',
  dcvOnly: 'spk_test-dcv-only-0123456789abcdef',
  replacementOnly: 'spk_test-replacement-only-0123456789'
}

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex')

/** The API_KEYS value for the test keys: hashes only, as in production. */
export const API_KEYS_ENV = JSON.stringify([
  { id: 'billing-app', sha256: sha256(KEYS.both), scopes: ['dcv:write', 'replacement:write'] },
  { id: 'dcv-bot', sha256: sha256(KEYS.dcvOnly), scopes: ['dcv:write'] },
  { id: 'brand-team', sha256: sha256(KEYS.replacementOnly), scopes: ['replacement:write'] }
])

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` })
