import { describe, expect, it, beforeAll } from 'vitest'
import { ConfigError, loadConfig, type Env } from './config.ts'
import { makeEnv, makeKeys, SECRETS, type Keys } from './test-kit.ts'

let keys: Keys
let env: Env
beforeAll(async () => {
  keys = await makeKeys()
  env = makeEnv(keys, { dingtalk: 'http://127.0.0.1:9', worker: 'http://127.0.0.1:8787' })
})

async function failure(overrides: Env): Promise<ConfigError> {
  const error = await loadConfig({ ...env, ...overrides }).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ConfigError)
  return error as ConfigError
}

describe('config', () => {
  it('loads a valid environment with defaults, frozen, keys imported', async () => {
    const { PORT: _p, HOST: _h, DINGTALK_API_BASE: _a, DINGTALK_OAPI_BASE: _o, LOG_LEVEL: _l, ...rest } = env
    const config = await loadConfig(rest)
    expect(config.port).toBe(8788)
    expect(config.host).toBe('0.0.0.0')
    expect(config.dingtalk.apiBase.href).toBe('https://api.dingtalk.com/')
    expect(config.dingtalk.oapiBase.href).toBe('https://oapi.dingtalk.com/')
    expect(config.dingtalk.ownerKey).toBe(SECRETS.appKey)
    expect(config.logLevel).toBe('info')
    expect(config.logPretty).toBe(false)
    expect(config.egressLocalAddress).toBeUndefined()
    expect(config.dingtalk.applicationField).toBe('申请编号')
    expect(config.upstreamTimeoutMs).toBe(10_000)
    expect(config.workerKeys.size).toBe(1)
    expect(config.proxyKey.kid).toBe(JSON.parse(keys.proxyPrivate).kid)
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.dingtalk)).toBe(true)
  })

  it('defaults the proxy id to <hostname>-<6 hex>, stream events, 15 s drain delay and timeout', async () => {
    const { PROXY_ID: _i, DINGTALK_EVENTS: _e, DRAIN_DELAY_MS: _d, DRAIN_TIMEOUT_MS: _t, ...rest } = env
    const config = await loadConfig(rest)
    expect(config.proxyId).toMatch(/^[A-Za-z0-9._-]+-[0-9a-f]{6}$/)
    expect(config.events).toBe('stream')
    expect([config.drainDelayMs, config.drainTimeoutMs]).toEqual([15_000, 15_000])
  })

  it('accepts a JWK Set for WORKER_PUBLIC_JWK and an explicit owner key', async () => {
    const other = await makeKeys()
    const config = await loadConfig({
      ...env,
      WORKER_PUBLIC_JWK: JSON.stringify({ keys: [JSON.parse(keys.workerPublic), JSON.parse(other.workerPublic)] }),
      DINGTALK_OWNER_KEY: 'dingcorp123',
      EGRESS_LOCAL_ADDRESS: '127.0.0.2',
    })
    expect(config.workerKeys.size).toBe(2)
    expect(config.dingtalk.ownerKey).toBe('dingcorp123')
    expect(config.egressLocalAddress).toBe('127.0.0.2')
  })

  const required = [
    'WORKER_URL',
    'WORKER_PUBLIC_JWK',
    'PROXY_PRIVATE_JWK',
    'DINGTALK_APP_KEY',
    'DINGTALK_APP_SECRET',
    'DINGTALK_CALLBACK_TOKEN',
    'DINGTALK_CALLBACK_AES_KEY',
    'DINGTALK_PROCESS_CODE',
    'DINGTALK_ORIGINATOR_USER_ID',
  ]
  for (const name of required) {
    it(`stops on a missing ${name}, naming it`, async () => {
      const error = await failure({ [name]: undefined })
      expect(error.variable).toBe(name)
      expect(error.message).toBe(`${name}: is required`)
    })
  }

  const bad: [string, string][] = [
    ['PORT', '99999'],
    ['PORT', 'eighty'],
    ['WORKER_URL', 'not a url'],
    ['WORKER_URL', 'ftp://worker.example'],
    ['DINGTALK_API_BASE', 'https://user:pw@api.example'],
    ['DINGTALK_OAPI_BASE', 'https://oapi.example/?x=1'],
    ['WORKER_PUBLIC_JWK', '{not json'],
    ['WORKER_PUBLIC_JWK', '{"kty":"RSA","n":"x","e":"AQAB"}'],
    ['PROXY_PRIVATE_JWK', 'PUBLIC'],
    ['DINGTALK_CALLBACK_AES_KEY', 'too-short-secret-aes'],
    ['DINGTALK_CALLBACK_TOKEN', 'has space'],
    ['EGRESS_LOCAL_ADDRESS', 'localhost'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_PRETTY', 'yes'],
    ['DINGTALK_EVENTS', 'websocket'],
    ['PROXY_ID', 'has space'],
    ['DRAIN_DELAY_MS', '-1'],
    ['DRAIN_TIMEOUT_MS', '15s'],
    ['UPSTREAM_TIMEOUT_MS', '999999'],
  ]
  for (const [name, value] of bad) {
    it(`stops on a bad ${name} (${value.slice(0, 20)}), naming it without echoing the value`, async () => {
      const actual = name === 'PROXY_PRIVATE_JWK' && value === 'PUBLIC' ? keys.workerPublic : value
      const error = await failure({ [name]: actual })
      expect(error.variable).toBe(name)
      expect(error.message.startsWith(`${name}: `)).toBe(true)
      if (actual.length > 8) expect(error.message).not.toContain(actual)
    })
  }

  it('never echoes secrets in its messages', async () => {
    const error = await failure({ DINGTALK_CALLBACK_AES_KEY: SECRETS.appSecret })
    expect(error.message).not.toContain(SECRETS.appSecret)
    const jwk = await failure({ PROXY_PRIVATE_JWK: JSON.stringify({ ...JSON.parse(keys.proxyPrivate), x: 'AAAA' }) })
    expect(jwk.variable).toBe('PROXY_PRIVATE_JWK')
    expect(jwk.message).not.toContain(JSON.parse(keys.proxyPrivate).d)
  })
})
