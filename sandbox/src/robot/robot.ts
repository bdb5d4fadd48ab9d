// A DingTalk group's custom robot (自定义机器人), as the worker's alert notices meet it:
// `POST /robot/send?access_token=…[&timestamp=…&sign=…]` with a JSON message. Like the real one it
// checks the token, the 加签 signature (timestamp in ms within an hour; sign = Base64(HMAC-SHA256(
// secret, timestamp + "\n" + secret)), URL-encoded), takes at most 20 messages a minute, and
// answers `{errcode, errmsg}` with HTTP 200 either way. The messages are shown at /robot.
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isRecord, parseJson, readBody, sendJson } from '../http.ts'

/** The sandbox group robot's webhook token and signing secret (`npm start` gives them to the worker). */
export const SANDBOX_ROBOT_TOKEN = 'sandbox-robot-licensedesk'
export const SANDBOX_ROBOT_SECRET = 'SECsandboxlicensedeskrobot0000000000000000000000000000000000000'

export const ROBOT_PATH = '/robot/send'
const PER_MINUTE = 20
const HOUR_MS = 3_600_000
const BODY_LIMIT = 20 * 1024
const MSG_TYPES = new Set(['text', 'link', 'markdown', 'actionCard', 'feedCard'])

export type RobotMessage = { at: number; msgtype: string; title: string; text: string }
export type RobotState = { messages: RobotMessage[]; sent: number[] }

export function createRobotState(): RobotState {
  return { messages: [], sent: [] }
}

// The error codes public DingTalk pages give for these cases (docs/sandbox.md lists them).
const answer = (res: ServerResponse, errcode: number, errmsg: string) => sendJson(res, 200, { errcode, errmsg })

export function robotSignature(secret: string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64')
}

function signatureMatches(secret: string, timestamp: string, sign: string): boolean {
  const expected = Buffer.from(robotSignature(secret, timestamp))
  const given = Buffer.from(sign)
  return expected.length === given.length && timingSafeEqual(expected, given)
}

export function createRobot(state: RobotState, now: () => number, secret: string | null = SANDBOX_ROBOT_SECRET) {
  return async function robot(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'POST') return answer(res, 43002, '需要POST请求')
    if (url.searchParams.get('access_token') !== SANDBOX_ROBOT_TOKEN) return answer(res, 300001, 'token is not exist')
    if (secret) {
      const timestamp = url.searchParams.get('timestamp') ?? ''
      const sign = url.searchParams.get('sign') ?? ''
      if (!/^\d{13}$/.test(timestamp) || Math.abs(now() - Number(timestamp)) > HOUR_MS) return answer(res, 310000, 'invalid timestamp')
      if (!signatureMatches(secret, timestamp, sign)) return answer(res, 310000, 'sign not match')
    }
    const raw = await readBody(req, BODY_LIMIT)
    const parsed = parseJson(raw)
    if (!parsed.ok || !isRecord(parsed.value)) return answer(res, 400105, 'param error')
    const body = parsed.value
    const msgtype = typeof body.msgtype === 'string' ? body.msgtype : ''
    if (!MSG_TYPES.has(msgtype)) return answer(res, 400105, `不支持的消息类型 ${msgtype}`)
    const content = isRecord(body[msgtype]) ? (body[msgtype] as Record<string, unknown>) : {}
    const title = typeof content.title === 'string' ? content.title : ''
    const text = typeof content.text === 'string' ? content.text : typeof content.content === 'string' ? content.content : ''
    if (text === '' || (msgtype === 'markdown' && title === '')) return answer(res, 400105, 'param error')
    const at = now()
    state.sent = state.sent.filter((t) => at - t < 60_000)
    if (state.sent.length >= PER_MINUTE) return answer(res, 410100, 'send too fast, exceed 20 times per minute')
    state.sent.push(at)
    state.messages.push({ at, msgtype, title, text })
    return answer(res, 0, 'ok')
  }
}
