// Outbound connections. Everything bound for DingTalk leaves from EGRESS_LOCAL_ADDRESS (the address
// DingTalk whitelists) over keep-alive connections; calls to the worker use their own pool.
import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import { Agent, fetch as undiciFetch } from 'undici'

export type FetchLike = typeof undiciFetch

export type Egress = {
  /** For http-proxy-3 (native http/https path); keep-alive, bound to the egress address. */
  agentFor(url: URL): http.Agent
  /** undici dispatcher for the proxy's own DingTalk calls (token), bound to the egress address. */
  dingtalk: Agent
  /** undici dispatcher for calls to the worker. */
  worker: Agent
  close(): Promise<void>
}

export function createEgress(localAddress: string | undefined): Egress {
  // http-proxy-3 without a keep-alive agent opens a connection per call (docs: platform.md).
  // A bound source address only works towards the same family (DingTalk hosts also have AAAA records).
  const family = localAddress ? isIP(localAddress) : undefined
  const agentOptions = { keepAlive: true, keepAliveMsecs: 1000, maxSockets: 64, maxFreeSockets: 16, timeout: 30_000, localAddress, family }
  const httpAgent = new http.Agent(agentOptions)
  const httpsAgent = new https.Agent(agentOptions)
  // undici takes localAddress at the top level: a `connect.localAddress` is overridden by it (null).
  const dingtalk = new Agent({ localAddress, connect: { timeout: 5_000, family }, keepAliveTimeout: 30_000 })
  const worker = new Agent({ connect: { timeout: 5_000 }, keepAliveTimeout: 30_000 })
  return {
    agentFor: (url) => (url.protocol === 'https:' ? httpsAgent : httpAgent),
    dingtalk,
    worker,
    async close() {
      httpAgent.destroy()
      httpsAgent.destroy()
      await Promise.allSettled([dingtalk.close(), worker.close()])
    },
  }
}
