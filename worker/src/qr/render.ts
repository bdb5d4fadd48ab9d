// The apply link as a QR code, drawn by the `qrcode` package: SVG through its own renderer, PNG from
// its module matrix (QRCode.create) through png.ts. Both use the same matrix: error correction M
// and the 4-module quiet zone of ISO/IEC 18004, so a scanner reads the same link from either.
import QRCode from 'qrcode'
import { encodeBilevelPng } from './png.ts'

export const QR_ERROR_CORRECTION = 'M' as const
/** Modules of white around the symbol (ISO/IEC 18004 §6.3.8). */
export const QR_MARGIN = 4

export type QrMatrix = { size: number; dark: (row: number, column: number) => boolean }

/** The symbol's modules, without the quiet zone. */
export function qrMatrix(text: string): QrMatrix {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: QR_ERROR_CORRECTION })
  return { size: modules.size, dark: (row, column) => Boolean(modules.get(row, column)) }
}

/** An SVG (viewBox in modules, quiet zone included); with `width`, also width and height in px. */
export function qrSvg(text: string, width?: number): Promise<string> {
  const options = { errorCorrectionLevel: QR_ERROR_CORRECTION, margin: QR_MARGIN, ...(width ? { width } : {}) }
  return QRCode.toString(text, { ...options, type: 'svg' })
}

/**
 * A PNG of `size` × `size` px: whole pixels per module (crisp edges), the spare pixels added to the
 * quiet zone. A symbol with more modules than `size` has pixels gets one pixel per module.
 */
export function qrPng(text: string, size: number): Promise<Uint8Array> {
  const matrix = qrMatrix(text)
  const modules = matrix.size + 2 * QR_MARGIN
  const scale = Math.max(1, Math.floor(size / modules))
  const side = Math.max(size, modules * scale)
  const offset = Math.floor((side - modules * scale) / 2) + QR_MARGIN * scale
  return encodeBilevelPng(side, side, (x, y) => {
    const column = Math.floor((x - offset) / scale)
    const row = Math.floor((y - offset) / scale)
    return x >= offset && y >= offset && row < matrix.size && column < matrix.size && matrix.dark(row, column)
  })
}
