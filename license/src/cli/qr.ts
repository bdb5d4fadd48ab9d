// `license qr`: the apply link of a product and feature code (with its check value) as a QR code in
// the terminal, and as SVG/PNG files, for products with a console but no QR drawing of their own.
// The same link builder as the portal's GET /api/qr; the images from the `qrcode` package.
import QRCode from 'qrcode'
import {
  applyLink,
  LINK_LOCALES,
  PICKUP_PATTERN,
  type LinkLocale,
} from '../../../worker/src/contract/apply-link.ts'
import { isValidFeatureCode, MAX_FEATURE_CODE_LENGTH } from '../feature-code.ts'
import { isOrigin } from '../terms.ts'
import { optional, parseCommand, parseWholeNumber, required } from './args.ts'
import { CliError, EXIT } from './errors.ts'
import { writeNewFile, type Io } from './io.ts'

export const QR_HELP = `Usage: license qr --origin <url> --product <id> --fc <feature code>
                  [--pickup <code>] [--lang zh-CN|en] [--svg <file>] [--png <file>] [--size <px>]

Prints the apply link (docs/integration.md) and its QR code for the terminal.
  --origin <url>       the portal origin, e.g. https://licenses.example.com
  --product <id>       the product id (PRODUCTS), e.g. hypermotion
  --fc <code>          the feature code as the product reports it (also --feature-code)
  --pickup <code>      a pickup's user code (4–64 of A–Z a–z 0–9 -), when the product polls
  --lang zh-CN|en      the apply page's language; default: the phone's
  --svg <file>         also write the QR code as SVG to a new file
  --png <file>         also write it as PNG to a new file
  --size <px>          the PNG's side: 128–1024, default 512
  --json               print {"link", "svg", "png"} instead of the terminal QR code
Existing files are never overwritten. The portal serves the same images at GET /api/qr.
`

const TEXT = { type: 'string' } as const
/** The portal's product ids (PRODUCTS in the worker's config). */
const PRODUCT_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/
const SIZE = { min: 128, max: 1024, fallback: 512 }
/** As the portal draws it (worker/src/qr/render.ts): error correction M, 4-module quiet zone. */
const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const

const usage = (message: string) => new CliError('USAGE_ERROR', `qr: ${message} (see qr --help)`)

function featureCodeOf(parsed: ReturnType<typeof parseCommand>): string {
  const fc = optional(parsed, 'fc')
  const long = optional(parsed, 'feature-code')
  if (fc !== undefined && long !== undefined && fc !== long) {
    throw usage('give the feature code once (--fc or --feature-code)')
  }
  const code = fc ?? long
  if (code === undefined || code === '') throw usage('--fc is required')
  if (code.length > MAX_FEATURE_CODE_LENGTH) {
    throw usage(`--fc is longer than ${MAX_FEATURE_CODE_LENGTH} characters`)
  }
  if (/\s/.test(code) || !isValidFeatureCode(code)) {
    const rule = 'docs/license-format.md, "Feature codes"'
    throw usage(`--fc must be printable ASCII without spaces, not only dashes (${rule})`)
  }
  return code
}

export async function qr(argv: string[], io: Io): Promise<number> {
  const options = {
    origin: TEXT,
    product: TEXT,
    fc: TEXT,
    'feature-code': TEXT,
    pickup: TEXT,
    lang: TEXT,
    svg: TEXT,
    png: TEXT,
    size: TEXT,
  }
  const parsed = parseCommand('qr', argv, options)
  if (parsed.values.help) return io.stdout(QR_HELP), EXIT.OK
  if (parsed.positionals.length > 0) throw usage(`unexpected argument "${parsed.positionals[0]}"`)
  const origin = required(parsed, 'origin', 'qr')
  if (!isOrigin(origin)) {
    const example = 'https://licenses.example.com'
    throw usage(`--origin must be an http(s) origin, e.g. ${example} (no path), not "${origin}"`)
  }
  const product = required(parsed, 'product', 'qr')
  if (!PRODUCT_ID.test(product)) {
    const rule = 'lower-case letters, digits, . _ -'
    throw usage(`--product must be a product id (${rule}), not "${product}"`)
  }
  const featureCode = featureCodeOf(parsed)
  const pickup = optional(parsed, 'pickup')
  if (pickup !== undefined && !PICKUP_PATTERN.test(pickup)) {
    throw usage('--pickup must be 4–64 letters, digits and dashes')
  }
  const lang = optional(parsed, 'lang')
  if (lang !== undefined && !(LINK_LOCALES as readonly string[]).includes(lang)) {
    throw usage(`--lang must be ${LINK_LOCALES.join(' or ')}`)
  }
  const sizeFlag = optional(parsed, 'size')
  const size = sizeFlag === undefined ? SIZE.fallback : parseWholeNumber(sizeFlag, 'size')
  if (size < SIZE.min || size > SIZE.max) {
    throw usage(`--size must be within ${SIZE.min}..${SIZE.max} px`)
  }
  const svgFile = optional(parsed, 'svg')
  const pngFile = optional(parsed, 'png')
  if (sizeFlag !== undefined && pngFile === undefined) throw usage('--size is for --png')
  if (svgFile !== undefined && svgFile === pngFile) {
    throw usage('--svg and --png must be different files')
  }

  const locale = lang as LinkLocale | undefined
  const link = await applyLink({ origin, product, featureCode, pickup, lang: locale })
  if (svgFile !== undefined) {
    const svg = await QRCode.toString(link, { ...QR_OPTIONS, type: 'svg' })
    await writeNewFile(svgFile, svg, 'SVG')
  }
  if (pngFile !== undefined) {
    const png = await QRCode.toBuffer(link, { ...QR_OPTIONS, type: 'png', width: size })
    await writeNewFile(pngFile, png, 'PNG')
  }

  if (parsed.values.json) {
    const files = { svg: svgFile ?? null, png: pngFile ?? null }
    io.stdout(`${JSON.stringify({ link, ...files }, null, 2)}\n`)
    return EXIT.OK
  }
  const block = await QRCode.toString(link, { ...QR_OPTIONS, type: 'terminal', small: true })
  io.stdout(`${link}\n\n${block}\n`)
  for (const [file, kind] of [[svgFile, 'SVG'], [pngFile, 'PNG']] as const) {
    if (file !== undefined) io.stderr(`${kind} written to ${file}\n`)
  }
  return EXIT.OK
}
