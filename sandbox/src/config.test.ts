import { describe, expect, it } from 'vitest'
import { defineSandboxConfig, readSandboxConfig, SANDBOX_DEFAULTS } from './config.ts'
import { SandboxConfigError } from './errors.ts'
import { buildSandbox } from './sandbox.ts'

function variableOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return error instanceof SandboxConfigError ? error.variable : 'OTHER'
  }
  return undefined
}

describe('sandbox config', () => {
  it('uses the local defaults when the environment is empty', () => {
    const config = readSandboxConfig({})
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8789,
      publicUrl: 'http://127.0.0.1:8789',
      stateFile: undefined,
      dingtalk: { appKey: SANDBOX_DEFAULTS.appKey, allowedIps: ['127.0.0.2'], qpsLimit: 20 },
      push: { url: undefined, retryDelays: [10_000, 30_000], timeoutMs: 2_500 },
      mail: { apiKeys: undefined, rateLimit: 2 },
    })
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.dingtalk.allowedIps)).toBe(true)
  })

  it('reads every documented variable', () => {
    const config = readSandboxConfig({
      SANDBOX_PORT: '9000',
      SANDBOX_HOST: '0.0.0.0',
      SANDBOX_PUBLIC_URL: 'http://sandbox.local:9000/',
      DINGTALK_APP_KEY: 'dingapp',
      DINGTALK_APP_SECRET: 'secret',
      DINGTALK_CALLBACK_TOKEN: 'tok123',
      DINGTALK_CALLBACK_AES_KEY: 'a'.repeat(43),
      DINGTALK_CORP_ID: 'dingcorp',
      DINGTALK_PROCESS_CODE: 'PROC-1',
      DINGTALK_ALLOWED_IPS: '127.0.0.2, 10.0.0.1',
      SANDBOX_PUSH_URL: 'http://127.0.0.1:8788/dingtalk/events',
      SANDBOX_RETRY_DELAYS: '100,200',
      RESEND_API_KEYS: 're_a,re_b',
      RESEND_RATE_LIMIT: '10',
      SANDBOX_STATE_FILE: '/tmp/sandbox.json',
    })
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      publicUrl: 'http://sandbox.local:9000',
      dingtalk: { appKey: 'dingapp', callbackToken: 'tok123', corpId: 'dingcorp', processCode: 'PROC-1', allowedIps: ['127.0.0.2', '10.0.0.1'] },
      push: { url: 'http://127.0.0.1:8788/dingtalk/events', retryDelays: [100, 200] },
      mail: { apiKeys: ['re_a', 're_b'], rateLimit: 10 },
      stateFile: '/tmp/sandbox.json',
    })
  })

  it('reads the Access settings: no front door unless its port is set', () => {
    expect(readSandboxConfig({}).access).toEqual({ aud: SANDBOX_DEFAULTS.accessAud, sessionSeconds: 86_400, frontDoor: undefined })
    const { access } = readSandboxConfig({ SANDBOX_ACCESS_PORT: '8790', SANDBOX_ACCESS_UPSTREAM: 'http://127.0.0.1:8787/', SANDBOX_ACCESS_AUD: 'aud-1', SANDBOX_ACCESS_SESSION_SECONDS: '600' })
    expect(access).toEqual({ aud: 'aud-1', sessionSeconds: 600, frontDoor: { port: 8790, upstream: 'http://127.0.0.1:8787', publicUrl: 'http://127.0.0.1:8790' } })
    expect(readSandboxConfig({ SANDBOX_ACCESS_PORT: '8790', SANDBOX_ACCESS_UPSTREAM: 'http://127.0.0.1:8787', SANDBOX_ACCESS_PUBLIC_URL: 'http://localhost:8790/' }).access.frontDoor?.publicUrl).toBe('http://localhost:8790')
  })

  it('turns the whitelist off when DINGTALK_ALLOWED_IPS is set but empty', () => {
    expect(readSandboxConfig({ DINGTALK_ALLOWED_IPS: '' }).dingtalk.allowedIps).toEqual([])
  })

  it.each([
    ['SANDBOX_PORT', { SANDBOX_PORT: 'eighty' }],
    ['SANDBOX_PORT', { SANDBOX_PORT: '70000' }],
    ['DINGTALK_CALLBACK_AES_KEY', { DINGTALK_CALLBACK_AES_KEY: 'short' }],
    ['DINGTALK_CALLBACK_TOKEN', { DINGTALK_CALLBACK_TOKEN: 'has space' }],
    ['DINGTALK_ALLOWED_IPS', { DINGTALK_ALLOWED_IPS: '127.0.0.2,proxy' }],
    ['SANDBOX_PUSH_URL', { SANDBOX_PUSH_URL: 'ftp://x' }],
    ['SANDBOX_RETRY_DELAYS', { SANDBOX_RETRY_DELAYS: '10s' }],
    ['RESEND_API_KEYS', { RESEND_API_KEYS: 'sk_123' }],
    ['RESEND_RATE_LIMIT', { RESEND_RATE_LIMIT: '-1' }],
    ['SANDBOX_PUBLIC_URL', { SANDBOX_PUBLIC_URL: 'not a url' }],
    ['SANDBOX_ACCESS_AUD', { SANDBOX_ACCESS_AUD: 'has space' }],
    ['SANDBOX_ACCESS_SESSION_SECONDS', { SANDBOX_ACCESS_SESSION_SECONDS: '0' }],
    ['SANDBOX_ACCESS_PORT', { SANDBOX_ACCESS_PORT: 'door' }],
    ['SANDBOX_ACCESS_UPSTREAM', { SANDBOX_ACCESS_PORT: '8790' }],
    ['SANDBOX_ACCESS_UPSTREAM', { SANDBOX_ACCESS_PORT: '8790', SANDBOX_ACCESS_UPSTREAM: 'worker' }],
  ])('stops with an error naming %s', (variable, env) => {
    expect(variableOf(() => readSandboxConfig(env))).toBe(variable)
  })

  it('checks a hand-built config when the sandbox is built', () => {
    const config = { ...defineSandboxConfig(), dingtalk: { ...defineSandboxConfig().dingtalk, callbackAesKey: 'bad' } }
    expect(variableOf(() => buildSandbox({ config }))).toBe('DINGTALK_CALLBACK_AES_KEY')
  })
})
