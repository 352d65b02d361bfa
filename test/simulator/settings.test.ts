import { describe, expect, it } from 'vitest'
import { readSimulatorSettings, SimulatorSettingsError } from '../../src/simulator/settings.js'

function failure(env: Record<string, string>): SimulatorSettingsError {
  try {
    readSimulatorSettings(env)
  } catch (err) {
    if (err instanceof SimulatorSettingsError) return err
    throw err
  }
  throw new Error('expected a settings error')
}

describe('readSimulatorSettings', () => {
  it('has the contract defaults', () => {
    expect(readSimulatorSettings({})).toEqual({
      port: 8081,
      host: '127.0.0.1',
      loginName: 'sandbox',
      loginPassword: 'sandbox',
      slowMs: 90_000,
      logLevel: 'info'
    })
  })

  it('reads every variable; an empty one takes its default', () => {
    expect(
      readSimulatorSettings({
        SIMULATOR_PORT: '0',
        SIMULATOR_HOST: '0.0.0.0',
        SIMULATOR_LOGIN_NAME: 'demo',
        SIMULATOR_LOGIN_PASSWORD: 'p&ss w=rd',
        SIMULATOR_SLOW_MS: '250',
        LOG_LEVEL: 'warn'
      })
    ).toEqual({ port: 0, host: '0.0.0.0', loginName: 'demo', loginPassword: 'p&ss w=rd', slowMs: 250, logLevel: 'warn' })
    expect(readSimulatorSettings({ SIMULATOR_PORT: '', SIMULATOR_LOGIN_NAME: '' })).toMatchObject({ port: 8081, loginName: 'sandbox' })
  })

  it.each([
    ['SIMULATOR_PORT', '65536'],
    ['SIMULATOR_PORT', '80a'],
    ['SIMULATOR_PORT', '-1'],
    ['SIMULATOR_SLOW_MS', '1.5'],
    ['SIMULATOR_SLOW_MS', '2147483648'],
    ['SIMULATOR_HOST', 'local host'],
    ['SIMULATOR_LOGIN_NAME', 'x'.repeat(65)],
    ['SIMULATOR_LOGIN_PASSWORD', 'x'.repeat(129)],
    ['LOG_LEVEL', 'verbose']
  ])('refuses %s=%s, naming the variable', (variable, value) => {
    const err = failure({ [variable]: value })
    expect(err.variable).toBe(variable)
    expect(err.message.startsWith(`${variable} `)).toBe(true)
  })

  it('never puts the password in its message', () => {
    const password = `secret\u0001${'x'.repeat(10)}`
    const err = failure({ SIMULATOR_LOGIN_PASSWORD: password })
    expect(err.variable).toBe('SIMULATOR_LOGIN_PASSWORD')
    expect(err.message).not.toContain('secret')
  })
})
