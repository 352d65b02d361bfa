// The standalone simulator's settings, read once from the environment it is given.

export interface SimulatorSettings {
  port: number
  host: string
  loginName: string
  loginPassword: string
  slowMs: number
  logLevel: string
}

/** A bad variable: the message names it and never holds its value (it may be the password). */
export class SimulatorSettingsError extends Error {
  constructor(
    readonly variable: string,
    problem: string
  ) {
    super(`${variable} ${problem}`)
    this.name = 'SimulatorSettingsError'
  }
}

type Env = Readonly<Record<string, string | undefined>>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const MAX_TIMER_MS = 2_147_483_647

/** An unset or empty variable takes its default. */
function read(env: Env, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = read(env, name)
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new SimulatorSettingsError(name, `must be an integer from ${min} to ${max}`)
  }
  return Number(value)
}

function text(env: Env, name: string, fallback: string, maxLength: number): string {
  const value = read(env, name) ?? fallback
  if (value.length > maxLength || /[\x00-\x1f\x7f]/.test(value)) {
    throw new SimulatorSettingsError(name, `must be 1 to ${maxLength} characters without control characters`)
  }
  return value
}

export function readSimulatorSettings(env: Env): SimulatorSettings {
  const host = read(env, 'SIMULATOR_HOST') ?? '127.0.0.1'
  if (/\s/.test(host)) throw new SimulatorSettingsError('SIMULATOR_HOST', 'must be a host name or an IP address')
  const logLevel = read(env, 'LOG_LEVEL') ?? 'info'
  if (!LOG_LEVELS.includes(logLevel)) throw new SimulatorSettingsError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`)
  return {
    port: integer(env, 'SIMULATOR_PORT', 8081, 0, 65535),
    host,
    // The pages' maximum lengths for the account's name and password.
    loginName: text(env, 'SIMULATOR_LOGIN_NAME', 'sandbox', 64),
    loginPassword: text(env, 'SIMULATOR_LOGIN_PASSWORD', 'sandbox', 128),
    slowMs: integer(env, 'SIMULATOR_SLOW_MS', 90_000, 0, MAX_TIMER_MS),
    logLevel
  }
}
