// `POST {DINGTALK_API_BASE}/v1.0/gateway/connections/open` (dingtalk.md §6): the app's credentials
// and subscriptions in, `{endpoint, ticket}` out. The ticket is a credential: never logged.
import type { Dispatcher } from 'undici'
import type { FetchLike } from '../egress.ts'

export const OPEN_PATH = '/v1.0/gateway/connections/open'

export type OpenOptions = {
  apiBase: URL
  appKey: string
  appSecret: string
  fetch: FetchLike
  dispatcher?: Dispatcher
  ua?: string
  timeoutMs?: number
}

export type Opened = { endpoint: string; ticket: string }

/** Why a connection could not be opened; `dingtalkCode` is DingTalk's own code when it answered one. */
export class StreamOpenError extends Error {
  readonly code = 'STREAM_OPEN_FAILED'
  readonly status: number | null
  readonly dingtalkCode: string | undefined

  constructor(message: string, status: number | null, dingtalkCode?: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StreamOpenError'
    this.status = status
    this.dingtalkCode = dingtalkCode
  }
}

export async function openConnection(options: OpenOptions): Promise<Opened> {
  const url = new URL(`${options.apiBase.pathname.replace(/\/+$/, '')}${OPEN_PATH}`, options.apiBase)
  const body = JSON.stringify({
    clientId: options.appKey,
    clientSecret: options.appSecret,
    ua: options.ua ?? 'licensedesk-egress-proxy',
    subscriptions: [{ type: 'EVENT', topic: '*' }],
  })
  let response: Awaited<ReturnType<FetchLike>>
  try {
    response = await options.fetch(url, {
      method: 'POST',
      // without Accept: application/json DingTalk answers XML
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
      dispatcher: options.dispatcher,
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    })
  } catch (cause) {
    const what = (cause as Error)?.name === 'TimeoutError' ? 'did not answer in time' : 'cannot be reached'
    throw new StreamOpenError(`connections/open ${what}`, null, undefined, { cause })
  }
  const text = await response.text().catch(() => '')
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  if (response.status < 200 || response.status > 299) {
    throw new StreamOpenError(`connections/open answered ${response.status}`, response.status, typeof json?.code === 'string' ? json.code : undefined)
  }
  const { endpoint, ticket } = json ?? {}
  if (typeof endpoint !== 'string' || typeof ticket !== 'string' || !URL.canParse(endpoint) || ticket === '') {
    throw new StreamOpenError('connections/open answered without endpoint and ticket', response.status)
  }
  return { endpoint, ticket }
}

/** The WebSocket URL `endpoint?ticket=…`. */
export function connectUrl(opened: Opened): URL {
  const url = new URL(opened.endpoint)
  url.searchParams.set('ticket', opened.ticket)
  return url
}
