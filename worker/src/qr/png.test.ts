// The minimal PNG encoder, read back by pngjs: CRC-32 as PNG defines it, and 1-bit rows packed
// most significant bit first, padded at widths that are not a multiple of 8.
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { crc32, encodeBilevelPng } from './png.ts'

const read = (bytes: Uint8Array) =>
  new Promise<PNG>((resolve, reject) => new PNG().parse(Buffer.from(bytes), (error, data) => (error ? reject(error) : resolve(data))))

describe('encodeBilevelPng', () => {
  it('computes the CRC-32 check value of "123456789" (0xcbf43926)', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
  })

  it('writes a 1-bit grayscale PNG whose pixels pngjs reads back exactly (odd width, odd height)', async () => {
    const width = 11
    const height = 5
    const dark = (x: number, y: number) => (x * 7 + y * 3) % 5 < 2
    const png = await read(await encodeBilevelPng(width, height, dark))
    expect([png.width, png.height]).toEqual([width, height])
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const value = png.data[(y * width + x) * 4]
        expect(value, `(${x}, ${y})`).toBe(dark(x, y) ? 0 : 255)
      }
    }
  })
})
