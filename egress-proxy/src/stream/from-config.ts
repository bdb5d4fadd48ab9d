// Builds the Stream client from the proxy's config (DINGTALK_EVENTS=stream), with its own egress
// pools: DingTalk-bound traffic from EGRESS_LOCAL_ADDRESS, worker-bound traffic on its own agent.
import type { Logger } from 'pino'
import { fetch as undiciFetch } from 'undici'
import type { ProxyConfig } from '../config.ts'
import { createEgress } from '../egress.ts'
import { createStreamClient, type StreamClient } from './client.ts'

/** The worker may resolve an unknown instance through a relay first; DingTalk redelivers anyway. */
export const STREAM_WORKER_TIMEOUT_MS = 10_000

export function streamFromConfig(config: ProxyConfig, logger: Logger): StreamClient | undefined {
  if (config.events !== 'stream') return undefined
  const egress = createEgress(config.egressLocalAddress)
  const client = createStreamClient({
    apiBase: config.dingtalk.apiBase,
    appKey: config.dingtalk.appKey,
    appSecret: config.dingtalk.appSecret,
    dispatcher: egress.dingtalk,
    worker: { workerUrl: config.workerUrl, key: config.proxyKey, fetch: undiciFetch, dispatcher: egress.worker, now: Date.now, timeoutMs: STREAM_WORKER_TIMEOUT_MS },
    logger,
    silenceMs: config.streamSilenceMs,
  })
  return {
    ...client,
    async close() {
      await client.close()
      await egress.close()
    },
  }
}
