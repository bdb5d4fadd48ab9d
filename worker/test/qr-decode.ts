// Reading QR images back in tests, with code that is not the route's: pngjs decodes the PNG, jsQR
// finds and decodes the symbol; an SVG from qrcode's renderer is rasterised from its path.
import jsQR from 'jsqr'
import { PNG } from 'pngjs'

/** The text a PNG's QR code holds (null when jsQR finds none), and the image's size. */
export async function decodePng(bytes: Uint8Array): Promise<{ text: string | null; width: number; height: number }> {
  // The streaming parser: PNG.sync's inflate relies on zlib internals workerd does not have.
  const png = await new Promise<PNG>((resolve, reject) => new PNG().parse(Buffer.from(bytes), (error, data) => (error ? reject(error) : resolve(data))))
  const found = jsQR(new Uint8ClampedArray(png.data), png.width, png.height)
  return { text: found?.data ?? null, width: png.width, height: png.height }
}

/**
 * The modules an SVG from qrcode's renderer draws, quiet zone included (`grid[row][column]`): its
 * viewBox gives the side, its stroked path runs `M x y+.5`, `m dx 0` and `h length` along rows.
 */
export function svgModules(svg: string): boolean[][] {
  const side = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1])
  const path = /<path stroke="#000000" d="([^"]*)"\/>/.exec(svg)?.[1]
  if (!side || path === undefined) throw new Error('not an SVG from qrcode')
  const grid = Array.from({ length: side }, () => new Array<boolean>(side).fill(false))
  let x = 0
  let y = 0
  for (const [, command, a, b] of path.matchAll(/([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
    if (command === 'M') (x = Number(a)), (y = Math.floor(Number(b)))
    else if (command === 'm') (x += Number(a)), (y += Math.floor(Number(b)))
    else for (const end = x + Number(a); x < end; x++) grid[y][x] = true
  }
  return grid
}

/** jsQR over a module grid drawn at `scale` px per module (white outside it). */
export function decodeModules(grid: boolean[][], scale = 4): string | null {
  const side = grid.length * scale
  const rgba = new Uint8ClampedArray(side * side * 4).fill(255)
  for (let py = 0; py < side; py++) {
    for (let px = 0; px < side; px++) {
      if (grid[Math.floor(py / scale)][Math.floor(px / scale)]) rgba.fill(0, (py * side + px) * 4, (py * side + px) * 4 + 3)
    }
  }
  return jsQR(rgba, side, side)?.data ?? null
}
