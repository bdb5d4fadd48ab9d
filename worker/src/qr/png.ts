// A minimal PNG encoder for black-and-white images (1-bit grayscale, RFC 2083 / ISO 15948), for the
// QR route. Why not qrcode's own PNG: in workerd the package resolves to its browser build, whose
// toBuffer does not exist and whose toDataURL needs a <canvas>; its Node build leans on pngjs and
// node:zlib streams. The pixels come from QRCode.create; only the container is written here.

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** CRC-32 (ISO 3309, as PNG chunks use it), table-driven. */
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

export function crc32(bytes: Uint8Array, crc = 0xffffffff): number {
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  out.set(new TextEncoder().encode(type), 4)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)))
  return out
}

/** zlib (RFC 1950), which is what PNG's IDAT holds and what CompressionStream's 'deflate' writes. */
async function zlib(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Response(bytes).body!.pipeThrough(new CompressionStream('deflate'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

/**
 * A `width` × `height` image, pixel (x, y) black when `dark(x, y)`: 1 bit per pixel, 1 = white,
 * each row led by filter type 0 (none).
 */
export async function encodeBilevelPng(
  width: number,
  height: number,
  dark: (x: number, y: number) => boolean,
): Promise<Uint8Array> {
  const stride = 1 + Math.ceil(width / 8)
  const raw = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!dark(x, y)) raw[y * stride + 1 + (x >> 3)] |= 0x80 >> (x & 7)
    }
  }
  const header = new Uint8Array(13)
  const view = new DataView(header.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  header.set([1, 0, 0, 0, 0], 8) // bit depth 1, grayscale, deflate, adaptive filtering, no interlace
  const idat = await zlib(raw)
  const parts = [Uint8Array.from(SIGNATURE), chunk('IHDR', header), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) out.set(part, offset), (offset += part.length)
  return out
}
