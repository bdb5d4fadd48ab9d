// `license qr` as operators run it: a child process, real files; the terminal block, the SVG and the
// PNG are read back (pngjs, jsQR, the SVG's path) and must hold exactly the apply link.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import QRCode from 'qrcode'
import { describe, expect, it } from 'vitest'
import { applyLink } from '../../../worker/src/contract/apply-link.ts'
import { decodeModules, decodePng, svgModules } from '../../../worker/test/qr-decode.ts'

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url))
const NODE_FLAGS = ['--experimental-strip-types', '--no-warnings=ExperimentalWarning']
const dir = await mkdtemp(join(tmpdir(), 'license-qr-'))
const ORIGIN = 'https://licenses.example.com'
const BASE = ['qr', '--origin', ORIGIN, '--product', 'hypermotion']

type Result = { code: number; stdout: string; stderr: string }

function cli(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...NODE_FLAGS, CLI, ...args], { cwd: dir }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr })
    })
  })
}

/**
 * The modules of qrcode's small terminal rendering: after the ANSI colours, each character is two
 * rows (' ' ▄ ▀ █), framed by one module of white; the last line is the frame's lower half.
 */
function terminalModules(block: string): boolean[][] {
  const lines = block.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((line) => line !== '')
  const halves: Record<string, [boolean, boolean]> = { ' ': [false, false], '▄': [false, true], '▀': [true, false], '█': [true, true] }
  const rows: boolean[][] = []
  for (const line of lines.slice(0, -1)) {
    const pairs = [...line].map((char) => halves[char] ?? [false, false])
    rows.push(pairs.map(([top]) => top), pairs.map(([, bottom]) => bottom))
  }
  return rows.slice(1).map((row) => row.slice(1, -1))
}

const withMargin = (grid: boolean[][], margin: number) => {
  const side = grid.length + 2 * margin
  return Array.from({ length: side }, (_, y) => Array.from({ length: side }, (_, x) => grid[y - margin]?.[x - margin] ?? false))
}

describe.concurrent('license qr', () => {
  it('prints the link and a terminal QR code of exactly that link, and writes an SVG and a PNG of it', async () => {
    const fc = 'hm-7f3a+9c2b'
    const result = await cli([...BASE, '--fc', fc, '--pickup', 'WDJB-MJHT', '--lang', 'en', '--svg', 'a.svg', '--png', 'a.png', '--size', '300'])
    expect(result.code).toBe(0)
    const link = await applyLink({ origin: ORIGIN, product: 'hypermotion', featureCode: fc, pickup: 'WDJB-MJHT', lang: 'en' })
    const [first, , ...block] = result.stdout.split('\n')
    expect(first).toBe(link)

    const { modules } = QRCode.create(link, { errorCorrectionLevel: 'M' })
    const expected = Array.from({ length: modules.size }, (_, y) => Array.from({ length: modules.size }, (_, x) => Boolean(modules.get(y, x))))
    const printed = terminalModules(block.join('\n'))
    expect(printed).toEqual(expected)
    expect(decodeModules(withMargin(printed, 4))).toBe(link)

    expect(decodeModules(svgModules(await readFile(join(dir, 'a.svg'), 'utf8')))).toBe(link)
    expect(await decodePng(await readFile(join(dir, 'a.png')))).toEqual({ text: link, width: 300, height: 300 })
    expect(result.stderr).toContain('PNG written to a.png')
  })

  it('prints {link, svg, png} with --json', async () => {
    const result = await cli([...BASE, '--fc', 'HM7F3A9C2B', '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ link: `${ORIGIN}/apply?product=hypermotion&fc=HM7F3A9C2B&c=015505`, svg: null, png: null })
  })

  it('refuses to overwrite an existing file (exit 1, file unchanged)', async () => {
    await writeFile(join(dir, 'taken.png'), 'keep')
    const result = await cli([...BASE, '--fc', 'HM1', '--png', 'taken.png'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('refusing to overwrite taken.png')
    expect(await readFile(join(dir, 'taken.png'), 'utf8')).toBe('keep')
  })

  const refusals: [string, string[], string][] = [
    ['no --fc', [...BASE], '--fc is required'],
    ['a feature code with a space', [...BASE, '--fc', 'HM 1'], '--fc must be printable ASCII'],
    ['a feature code of dashes only (given as --fc=…, as a code starting with - must be)', [...BASE, '--fc=---'], '--fc must be printable ASCII'],
    ['a feature code over 256 characters', [...BASE, '--fc', 'A'.repeat(257)], 'longer than 256'],
    ['an origin with a path', ['qr', '--origin', `${ORIGIN}/apply`, '--product', 'hypermotion', '--fc', 'HM1'], '--origin must be an http(s) origin'],
    ['no --origin', ['qr', '--product', 'hypermotion', '--fc', 'HM1'], '--origin is required'],
    ['a product id with capitals', ['qr', '--origin', ORIGIN, '--product', 'HyperMotion', '--fc', 'HM1'], '--product must be a product id'],
    ['a bad pickup code', [...BASE, '--fc', 'HM1', '--pickup', 'ab'], '--pickup must be'],
    ['an unknown language', [...BASE, '--fc', 'HM1', '--lang', 'de'], '--lang must be zh-CN or en'],
    ['a PNG size out of range', [...BASE, '--fc', 'HM1', '--png', 'x.png', '--size', '2000'], '--size must be within 128..1024'],
    ['an unknown option', [...BASE, '--fc', 'HM1', '--bogus'], "Unknown option '--bogus'"],
  ]
  for (const [what, args, message] of refusals) {
    it(`refuses ${what} with exit 1 and says why`, async () => {
      const result = await cli(args)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(message)
      expect(result.stdout).toBe('')
    })
  }

  it('is listed in the help, with its own options under `help qr`', async () => {
    expect((await cli(['--help'])).stdout).toContain('qr       --origin <url>')
    const help = await cli(['help', 'qr'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--png <file>')
  })
})
