import { describe, expect, it } from 'vitest'
import { createPushCrypto, pushSignature } from './push-crypto.ts'

// The official vectors of dingtalk.md §4.6, checked against the sandbox's own implementation.
const V1 = {
  token: '123456',
  aesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij',
  ownerKey: 'suite4xxxxxxxxxxxxxxx',
  signature: '5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0',
  timestamp: '1445827045067',
  nonce: 'nEXhMP4r',
  encrypt:
    '1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7gTRWVdUBmfxjZ8Ej23JVYa9VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRHP8PYrfgnNOS9PhSBdHlegK+AGGanfwjXuQ9+0pZcy0w9lQ==',
  plaintext: '{"EventType":"check_create_suite_url","Random":"LPIdSnlF","TestSuiteKey":"suite4xxxxxxxxxxxxxxx"}',
  random: Buffer.from('685533624566475a5a65777a68473561', 'hex'),
}
const V3 = {
  token: '123456',
  aesKey: '1234567890123456789012345678901234567890123',
  ownerKey: 'dingsnotzck6pm5veliw',
  signature: '9a95a004dd16f5c307e849b994173f76aa26e5eb',
  timestamp: '1614767836',
  nonce: 'A7Co0cJLMzIDtMMI',
  encrypt: 'YvkvaGe4hQxd3VxRmEty0dVlnCOAqwf56xwTRHDHoOURqhalbmBJQk5FNcRk42Gl5T0YQXZNwpwWSm1xAFJ5ZA==',
  plaintext: 'success',
}

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
