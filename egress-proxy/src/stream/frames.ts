// DingTalk Stream frames as the proxy reads and answers them (dingtalk.md §6): downstream
// `{specVersion, type, headers, data}`, the ping echo and the event ack `{code, headers, message, data}`.

export type DownstreamFrame = {
  specVersion?: string
  type: 'SYSTEM' | 'EVENT' | 'CALLBACK' | string
  headers: Record<string, string | undefined>
  data: string
}

/** The frame, or undefined when it is not one (not JSON, no type, no headers.messageId). */
export function parseFrame(text: string): DownstreamFrame | undefined {
  let value: any
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!value || typeof value !== 'object' || typeof value.type !== 'string') return undefined
  const headers = value.headers
  if (!headers || typeof headers !== 'object' || typeof headers.messageId !== 'string') return undefined
  return { specVersion: value.specVersion, type: value.type, headers, data: typeof value.data === 'string' ? value.data : '' }
}

/** SYSTEM ping → the same headers and data back with code 200. */
export function pingEcho(frame: DownstreamFrame): string {
  return JSON.stringify({ code: 200, headers: frame.headers, message: 'OK', data: frame.data })
}

export type AckStatus = 'SUCCESS' | 'LATER'

export function eventAck(messageId: string, status: AckStatus = 'SUCCESS'): string {
  return JSON.stringify({ code: 200, headers: { contentType: 'application/json', messageId }, message: 'OK', data: JSON.stringify({ status }) })
}

/**
 * The body forwarded to the worker: the event's own `data` bytes when it carries an `eventId`,
 * else `data` with the frame's `eventId` added. Undefined when `data` is not a JSON object.
 */
export function workerBody(frame: DownstreamFrame): Buffer | undefined {
  let data: unknown
  try {
    data = JSON.parse(frame.data)
  } catch {
    return undefined
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined
  const record = data as Record<string, unknown>
  if (typeof record.eventId === 'string' && record.eventId !== '') return Buffer.from(frame.data, 'utf8')
  const eventId = frame.headers.eventId
  return Buffer.from(JSON.stringify(eventId ? { ...record, eventId } : record), 'utf8')
}
