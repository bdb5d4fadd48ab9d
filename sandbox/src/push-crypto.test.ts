import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createPushCrypto, pushSignature } from './push-crypto.ts'

// The official vectors of dingtalk.md §4.6, kept once in docs/dingtalk-crypto-vectors.json.
const VECTORS = JSON.parse(readFileSync(new URL('../../docs/dingtalk-crypto-vectors.json', import.meta.url), 'utf8'))
type Vector = { token: string; aesKey: string; ownerKey: string; signature: string; timestamp: string; nonce: string; encrypt: string; plaintext: string }
const V1: Vector & { random: Buffer } = { ...VECTORS.V1, random: Buffer.from(VECTORS.V1.randomHex, 'hex') }
const V3: Vector = VECTORS.V3

describe("the sandbox's DingTalk push crypto", () => {
  it('signs official vector V1 and the success reply V3', () => {
    expect(pushSignature(V1.token, V1.timestamp, V1.nonce, V1.encrypt)).toBe(V1.signature)
    expect(createPushCrypto(V3).sign(V3.timestamp, V3.nonce, V3.encrypt)).toBe(V3.signature)
  })

  it('seals V1 byte for byte from its random prefix (pad byte 22)', () => {
    expect(createPushCrypto(V1).seal(V1.plaintext, V1.random)).toBe(V1.encrypt)
  })

  it('opens V1 and V3', () => {
    expect(createPushCrypto(V1).open(V1.encrypt)).toBe(V1.plaintext)
    expect(createPushCrypto(V3).open(V3.encrypt)).toBe('success')
  })

  it('round-trips Chinese text, whose byte length differs from its string length', () => {
    const crypto = createPushCrypto(V3)
    const message = JSON.stringify({ title: '张三提交的软件许可申请', remark: '同意。' })
    expect(crypto.open(crypto.seal(message))).toBe(message)
  })

  it('refuses a message sealed for another owner key', () => {
    const sealed = createPushCrypto({ ...V3, ownerKey: 'dingotherappkey' }).seal('success')
    expect(() => createPushCrypto(V3).open(sealed)).toThrow(/owner key/)
  })

  it('refuses a ciphertext that is not whole AES blocks', () => {
    expect(() => createPushCrypto(V3).open(Buffer.alloc(40).toString('base64'))).toThrow(/AES blocks/)
  })
})
