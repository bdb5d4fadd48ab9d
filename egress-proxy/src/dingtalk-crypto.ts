// DingTalk HTTP-push crypto (dingtalk.md §4.3): SHA-1 signature over the sorted four strings,
// AES-256-CBC with IV = key[0..16), 32-byte block padding, UTF-8 byte length, owner-key check.
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export type CallbackCryptoErrorCode =
  | 'CALLBACK_BAD_AES_KEY'
  | 'CALLBACK_BAD_SIGNATURE'
  | 'CALLBACK_DECRYPT_FAILED'
  | 'CALLBACK_BAD_LENGTH'
  | 'CALLBACK_OWNER_MISMATCH'

export class CallbackCryptoError extends Error {
  readonly code: CallbackCryptoErrorCode

  constructor(code: CallbackCryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CallbackCryptoError'
    this.code = code
  }
}

export type DingTalkCryptoOptions = {
  /** The callback 签名 token. */
  token: string
  /** The 43-character EncodingAESKey. */
  aesKey: string
  /** App key for a console event subscription, CorpId for register_call_back (dingtalk.md §4.3). */
  ownerKey: string
}

export type EncryptedReply = { msg_signature: string; timeStamp: string; nonce: string; encrypt: string }

// DingTalk pads to 32-byte blocks, not 16 (dingtalk.md §4.3); Java accepts pad bytes 1..32.
const BLOCK = 32
const AES_KEY_PATTERN = /^[A-Za-z0-9]{43}$/
const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

export function callbackSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  const joined = [token, timestamp, nonce, encrypt].sort().join('')
  return createHash('sha1').update(joined, 'utf8').digest('hex')
}

function randomNonce(length: number): string {
  const bytes = randomBytes(length)
  let out = ''
  for (const byte of bytes) out += NONCE_ALPHABET[byte % NONCE_ALPHABET.length]
  return out
}

export class DingTalkCrypto {
  readonly #token: string
  readonly #ownerKey: string
  readonly #key: Buffer
  readonly #iv: Buffer

  constructor(options: DingTalkCryptoOptions) {
    if (!AES_KEY_PATTERN.test(options.aesKey)) {
      throw new CallbackCryptoError('CALLBACK_BAD_AES_KEY', 'the AES key must be 43 letters or digits')
    }
    if (!options.token) throw new TypeError('the callback token is empty')
    if (!options.ownerKey) throw new TypeError('the owner key is empty')
    this.#token = options.token
    this.#ownerKey = options.ownerKey
    this.#key = Buffer.from(`${options.aesKey}=`, 'base64')
    this.#iv = this.#key.subarray(0, 16)
  }

  signature(timestamp: string, nonce: string, encrypt: string): string {
    return callbackSignature(this.#token, timestamp, nonce, encrypt)
  }

  /** Constant-time check of a received signature. */
  verifySignature(signature: string, timestamp: string, nonce: string, encrypt: string): boolean {
    const expected = Buffer.from(this.signature(timestamp, nonce, encrypt), 'utf8')
    const given = Buffer.from(signature.toLowerCase(), 'utf8')
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  /** Encrypts `plaintext` with the owner key appended; `random` is 16 bytes (tests pin it). */
  encrypt(plaintext: string, random: Uint8Array = randomBytes(16)): string {
    if (random.length !== 16) throw new RangeError('random must be 16 bytes')
    const msg = Buffer.from(plaintext, 'utf8')
    const length = Buffer.alloc(4)
    length.writeUInt32BE(msg.length)
    const body = Buffer.concat([random, length, msg, Buffer.from(this.#ownerKey, 'utf8')])
    const pad = BLOCK - (body.length % BLOCK)
    const padded = Buffer.concat([body, Buffer.alloc(pad, pad)])
    const cipher = createCipheriv('aes-256-cbc', this.#key, this.#iv).setAutoPadding(false)
    return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64')
  }

  /** Decrypts and checks length and owner key; returns the message text. */
  decrypt(encrypt: string): string {
    let plain: Buffer
    try {
      const data = Buffer.from(encrypt, 'base64')
      if (data.length === 0 || data.length % 16 !== 0) throw new RangeError('ciphertext is not whole AES blocks')
      const decipher = createDecipheriv('aes-256-cbc', this.#key, this.#iv).setAutoPadding(false)
      plain = Buffer.concat([decipher.update(data), decipher.final()])
    } catch (cause) {
      throw new CallbackCryptoError('CALLBACK_DECRYPT_FAILED', 'the message cannot be decrypted', { cause })
    }
    const pad = plain[plain.length - 1]
    if (pad < 1 || pad > BLOCK || pad > plain.length) {
      throw new CallbackCryptoError('CALLBACK_DECRYPT_FAILED', 'the message padding is invalid')
    }
    const body = plain.subarray(0, plain.length - pad)
    if (body.length < 20) throw new CallbackCryptoError('CALLBACK_BAD_LENGTH', 'the message is too short')
    const length = body.readUInt32BE(16)
    if (20 + length > body.length) {
      throw new CallbackCryptoError('CALLBACK_BAD_LENGTH', 'the message length does not match')
    }
    const owner = body.subarray(20 + length).toString('utf8')
    if (owner !== this.#ownerKey) {
      throw new CallbackCryptoError('CALLBACK_OWNER_MISMATCH', 'the message is for another owner key')
    }
    return body.subarray(20, 20 + length).toString('utf8')
  }

  /** The JSON reply DingTalk expects (§4.4): keys msg_signature, timeStamp, nonce, encrypt. */
  reply(plaintext = 'success', options: { timestamp?: string; nonce?: string; random?: Uint8Array } = {}): EncryptedReply {
    const timeStamp = options.timestamp ?? String(Date.now())
    const nonce = options.nonce ?? randomNonce(16)
    const encrypt = this.encrypt(plaintext, options.random)
    return { msg_signature: this.signature(timeStamp, nonce, encrypt), timeStamp, nonce, encrypt }
  }
}
