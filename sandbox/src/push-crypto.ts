// DingTalk's side of the HTTP-push crypto (dingtalk.md §4.3), written for the sandbox on its own so
// that a bug in the proxy's implementation cannot hide behind the same bug here: seal a message
// (random ‖ length ‖ message ‖ owner key, padded to 32-byte blocks, AES-256-CBC), open a reply,
// and sign the sorted four strings with SHA-1.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

export type PushKeys = Readonly<{ token: string; aesKey: string; ownerKey: string }>

export type PushCrypto = {
  sign(timestamp: string, nonce: string, encrypt: string): string
  seal(message: string, random?: Uint8Array): string
  /** The message inside `encrypt`; throws an Error saying what is wrong. */
  open(encrypt: string): string
}

const PAD_BLOCK = 32

function keyMaterial(aesKey: string): { key: Buffer; iv: Buffer } {
  if (!/^[A-Za-z0-9]{43}$/.test(aesKey)) throw new Error('the EncodingAESKey must be 43 letters or digits')
  const key = Buffer.from(aesKey + '=', 'base64')
  return { key, iv: key.subarray(0, 16) }
}

export function pushSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  const parts = [token, timestamp, nonce, encrypt]
  parts.sort()
  const hash = createHash('sha1')
  for (const part of parts) hash.update(part, 'utf8')
  return hash.digest('hex')
}

export function createPushCrypto(keys: PushKeys): PushCrypto {
  const { key, iv } = keyMaterial(keys.aesKey)
  const owner = Buffer.from(keys.ownerKey, 'utf8')

  return {
    sign: (timestamp, nonce, encrypt) => pushSignature(keys.token, timestamp, nonce, encrypt),

    seal(message, random = randomBytes(16)) {
      const text = Buffer.from(message, 'utf8')
      const header = Buffer.alloc(20)
      header.set(random.subarray(0, 16), 0)
      header.writeUInt32BE(text.byteLength, 16)
      const unpadded = header.byteLength + text.byteLength + owner.byteLength
      const padLength = PAD_BLOCK - (unpadded % PAD_BLOCK)
      const plain = Buffer.concat([header, text, owner, Buffer.alloc(padLength, padLength)])
      const cipher = createCipheriv('aes-256-cbc', key, iv)
      cipher.setAutoPadding(false)
      return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
    },

    open(encrypt) {
      const sealed = Buffer.from(encrypt, 'base64')
      if (sealed.byteLength < 32 || sealed.byteLength % 16 !== 0) throw new Error('the ciphertext is not whole AES blocks')
      const decipher = createDecipheriv('aes-256-cbc', key, iv)
      decipher.setAutoPadding(false)
      const plain = Buffer.concat([decipher.update(sealed), decipher.final()])
      const padLength = plain.at(-1) ?? 0
      if (padLength < 1 || padLength > PAD_BLOCK) throw new Error(`bad padding byte ${padLength}`)
      const body = plain.subarray(0, plain.byteLength - padLength)
      const length = body.readUInt32BE(16)
      const end = 20 + length
      if (end > body.byteLength) throw new Error('the length field runs past the message')
      if (!body.subarray(end).equals(owner)) throw new Error('the owner key does not match')
      return body.subarray(20, end).toString('utf8')
    },
  }
}
