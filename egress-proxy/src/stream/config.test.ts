import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../config.ts'
import { makeEnv, makeKeys } from '../test-kit.ts'

const urls = { dingtalk: 'http://127.0.0.1:1', worker: 'http://127.0.0.1:2' }

async function variableOf(extra: Record<string, string>): Promise<string | undefined> {
  try {
    await loadConfig(makeEnv(await makeKeys(), urls, extra))
  } catch (error) {
    return error instanceof ConfigError ? error.variable : 'OTHER'
  }
  return undefined
}

describe('proxy Stream settings', () => {
  it('defaults to Stream events with a 60 s silence limit', async () => {
    // makeEnv picks http for the other proxy tests; the default is what an unset variable gives.
    const config = await loadConfig(makeEnv(await makeKeys(), urls, { DINGTALK_EVENTS: undefined }))
    expect(config.events).toBe('stream')
    expect(config.streamSilenceMs).toBe(60_000)
  })

  it('reads DINGTALK_EVENTS=http and STREAM_SILENCE_MS', async () => {
    const config = await loadConfig(makeEnv(await makeKeys(), urls, { DINGTALK_EVENTS: 'http', STREAM_SILENCE_MS: '30000' }))
    expect(config).toMatchObject({ events: 'http', streamSilenceMs: 30_000 })
  })

  it('names DINGTALK_EVENTS or STREAM_SILENCE_MS when their value is bad', async () => {
    expect(await variableOf({ DINGTALK_EVENTS: 'webhook' })).toBe('DINGTALK_EVENTS')
    expect(await variableOf({ STREAM_SILENCE_MS: 'soon' })).toBe('STREAM_SILENCE_MS')
    expect(await variableOf({ STREAM_SILENCE_MS: '10' })).toBe('STREAM_SILENCE_MS')
  })
})
