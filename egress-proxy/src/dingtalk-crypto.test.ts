import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CallbackCryptoError, DingTalkCrypto, callbackSignature } from './dingtalk-crypto.ts'

// The official vectors of dingtalk.md §4.6, kept once in docs/dingtalk-crypto-vectors.json.
const VECTORS = JSON.parse(readFileSync(new URL('../../docs/dingtalk-crypto-vectors.json', import.meta.url), 'utf8'))
type Vector = { token: string; aesKey: string; ownerKey: string; signature: string; timestamp: string; nonce: string; encrypt: string; plaintext: string }
const V1: Vector & { random: Buffer } = { ...VECTORS.V1, random: Buffer.from(VECTORS.V1.randomHex, 'hex') }
const V3: Vector = VECTORS.V3

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return error instanceof CallbackCryptoError ? error.code : 'OTHER'
  }
  return undefined
}

describe('DingTalk callback crypto', () => {
  it('computes the signature of official vector V1', () => {
    expect(callbackSignature(V1.token, V1.timestamp, V1.nonce, V1.encrypt)).toBe(V1.signature)
  })

  it('decrypts official vector V1 (pad byte 22, above what Web Crypto accepts)', () => {
    const crypto = new DingTalkCrypto(V1)
    expect(crypto.verifySignature(V1.signature, V1.timestamp, V1.nonce, V1.encrypt)).toBe(true)
    expect(crypto.decrypt(V1.encrypt)).toBe(V1.plaintext)
  })

  it('re-encrypts V1 byte for byte when given its random prefix', () => {
    expect(new DingTalkCrypto(V1).encrypt(V1.plaintext, V1.random)).toBe(V1.encrypt)
  })

  it('verifies and decrypts the official success reply V3 (seconds timestamp)', () => {
    const crypto = new DingTalkCrypto(V3)
    expect(crypto.signature(V3.timestamp, V3.nonce, V3.encrypt)).toBe(V3.signature)
    expect(crypto.decrypt(V3.encrypt)).toBe('success')
  })

  it('builds a reply whose signature and plaintext check out', () => {
    const crypto = new DingTalkCrypto(V3)
    const reply = crypto.reply('success', { timestamp: '1614767836', nonce: 'abc' })
    expect(Object.keys(reply).sort()).toEqual(['encrypt', 'msg_signature', 'nonce', 'timeStamp'])
    expect(reply.timeStamp).toBe('1614767836')
    expect(crypto.verifySignature(reply.msg_signature, reply.timeStamp, reply.nonce, reply.encrypt)).toBe(true)
    expect(crypto.decrypt(reply.encrypt)).toBe('success')
  })

  it('round-trips Chinese text, whose UTF-8 byte length differs from its length', () => {
    const crypto = new DingTalkCrypto(V3)
    const text = JSON.stringify({ title: '张三提交的许可证申请', company: '杭州某某科技有限公司' })
    expect(Buffer.byteLength(text)).not.toBe(text.length)
    const encrypted = crypto.encrypt(text)
    const raw = Buffer.from(encrypted, 'base64')
    expect(raw.length % 32).toBe(0)
    expect(crypto.decrypt(encrypted)).toBe(text)
  })

  it('pads an already aligned message with a whole 32-byte block', () => {
    const crypto = new DingTalkCrypto({ ...V3, ownerKey: 'x'.repeat(12) })
    // 16 random + 4 length + 0 msg + 12 owner = 32 bytes: a full block of padding follows.
    expect(Buffer.from(crypto.encrypt(''), 'base64').length).toBe(64)
    expect(crypto.decrypt(crypto.encrypt(''))).toBe('')
  })

  it('rejects a tampered signature', () => {
    const crypto = new DingTalkCrypto(V1)
    const tampered = V1.signature.replace(/^5/, '6')
    expect(crypto.verifySignature(tampered, V1.timestamp, V1.nonce, V1.encrypt)).toBe(false)
    expect(crypto.verifySignature(V1.signature, V1.timestamp, 'other', V1.encrypt)).toBe(false)
    expect(crypto.verifySignature('', V1.timestamp, V1.nonce, V1.encrypt)).toBe(false)
  })

  it('rejects a message for another owner key with CALLBACK_OWNER_MISMATCH', () => {
    const crypto = new DingTalkCrypto({ ...V1, ownerKey: 'dingotherappkey' })
    expect(codeOf(() => crypto.decrypt(V1.encrypt))).toBe('CALLBACK_OWNER_MISMATCH')
  })

  it('rejects garbage and a wrong key with a coded error', () => {
    const crypto = new DingTalkCrypto(V1)
    expect(codeOf(() => crypto.decrypt('not base64 at all!!'))).toBe('CALLBACK_DECRYPT_FAILED')
    expect(codeOf(() => crypto.decrypt(Buffer.alloc(32, 1).toString('base64')))).toMatch(/CALLBACK_(DECRYPT_FAILED|BAD_LENGTH)/)
    const other = new DingTalkCrypto({ ...V1, aesKey: V3.aesKey })
    expect(codeOf(() => other.decrypt(V1.encrypt))).toMatch(/^CALLBACK_/)
  })

  it('refuses an AES key that is not 43 letters or digits', () => {
    expect(codeOf(() => new DingTalkCrypto({ ...V1, aesKey: 'short' }))).toBe('CALLBACK_BAD_AES_KEY')
  })
})
