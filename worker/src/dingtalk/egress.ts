// Builds the DingTalk client for a request or a cron run: through the EGRESS service binding
// (Workers VPC) when it is bound, else the global fetch to each EGRESS_URL.
import type { Config } from '../config.ts'
import type { Bindings } from '../env.ts'
import { createDingTalkClient, type DingTalkClient } from './client.ts'

export function dingtalkFor(env: Pick<Bindings, 'EGRESS'>, config: Config, requestId: string): DingTalkClient {
  const binding = env.EGRESS
  return createDingTalkClient({
    egressUrls: config.egressUrls,
    signingKey: config.workerSigningKey,
    requestId,
    timeoutMs: config.relayTimeoutMs,
    fetch: binding ? (input, init) => binding.fetch(input, init) : undefined,
  })
}
