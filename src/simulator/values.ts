// Value rules for single arguments that the pages state: lengths, flags, countries, dates.

import countries from 'i18n-iso-countries'

/** Lengths count characters (code points), as the pages' "N chars" do. */
export const tooLong = (value: string, max: number | undefined): boolean =>
  max !== undefined && value.length > max && [...value].length > max

export const isFlag = (value: string): boolean => value === 'Y' || value === 'N'

/** An assigned ISO 3166-1 alpha-2 code, written in capitals as the standard does. */
export const isCountry = (value: string): boolean => /^[A-Z]{2}$/.test(value) && countries.isValid(value)

/** YYYY-MM-DD naming a day that exists (2023-02-30 does not). */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (!match) return false
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/** A D-U-N-S number: nine digits. */
export const isDunsNumber = (value: string): boolean => /^\d{9}$/.test(value)

/** Base64 or base64url (one alphabet, not a mix), padding optional but correct when present. */
export function isBase64(value: string): boolean {
  const body = value.replace(/={1,2}$/, '')
  const padded = body.length !== value.length
  if (body.length === 0) return false
  if (!/^[A-Za-z0-9+/]+$/.test(body) && !/^[A-Za-z0-9_-]+$/.test(body)) return false
  if (padded) return value.length % 4 === 0
  return body.length % 4 !== 1
}

/** A positive 32-bit integer in plain decimal. */
export const isPositiveInt32 = (value: string): boolean => /^[1-9]\d{0,9}$/.test(value) && Number(value) <= 2_147_483_647
