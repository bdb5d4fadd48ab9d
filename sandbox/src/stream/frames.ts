// DingTalk Stream frames as the gateway sends them and the replies it reads (dingtalk.md §6):
// SYSTEM ping / disconnect, EVENT with the event headers, and `{code, headers.messageId, data}` replies.
import { randomUUID } from 'node:crypto'

export type FrameHeaders = Record<string, string>
export type Frame = { specVersion: '1.0'; type: 'SYSTEM' | 'EVENT'; headers: FrameHeaders; data: string }

export const SPEC_VERSION = '1.0'

function frame(type: Frame['type'], headers: FrameHeaders, data: unknown): Frame {
  return { specVersion: SPEC_VERSION, type, headers, data: JSON.stringify(data) }
}

/** A DingTalk-looking message id, e.g. `0b2c3d4e_1a2b_18c0f3a1b2c_3f4e`. */
export function messageId(): string {
  return randomUUID().replace(/-/g, '').slice(0, 24)
}

export function pingFrame(now: number): Frame {
  return frame('SYSTEM', { contentType: 'application/json', messageId: messageId(), time: String(now), topic: 'ping' }, { opaque: randomUUID() })
}

/** After it the gateway delivers nothing more on the connection and closes it (dingtalk.md §6). */
export function disconnectFrame(now: number): Frame {
  return frame('SYSTEM', { contentType: 'application/json', messageId: messageId(), time: String(now), topic: 'disconnect' }, { reason: 'persistent connection is timeout' })
}

export type EventFrameInput = {
  appId: string
  connectionId: string
  corpId: string
  eventType: string
  eventId: string
  bornAt: number
  now: number
  data: Record<string, unknown>
}

export function eventFrame(input: EventFrameInput): Frame {
  return frame(
    'EVENT',
    {
      appId: input.appId,
      connectionId: input.connectionId,
      contentType: 'application/json',
      messageId: messageId(),
      time: String(input.now),
      topic: '*',
      eventType: input.eventType,
      eventId: input.eventId,
      eventBornTime: String(input.bornAt),
      eventCorpId: input.corpId,
      eventUnifiedAppId: input.appId,
    },
    input.data,
  )
}

/** What a client frame says: an event ack (SUCCESS / LATER / other), a ping echo, or nothing usable. */
export type Reply = { messageId: string; status: string | undefined; data: string | undefined } | undefined

export function parseReply(text: string): Reply {
  let value: any
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  const id = value?.headers?.messageId
  if (typeof id !== 'string' || id === '') return undefined
  const data = typeof value.data === 'string' ? value.data : undefined
  let status: string | undefined
  try {
    const parsed = data === undefined ? undefined : JSON.parse(data)
    status = typeof parsed?.status === 'string' ? parsed.status : undefined
  } catch {
    status = undefined
  }
  return { messageId: id, status, data }
}
