// Command-line parsing for the license CLI: strict options per command (node:util parseArgs) and
// the value formats they take (instants, whole numbers); each failure a USAGE_ERROR naming it.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { CliError } from './errors.ts'

export type Options = ParseArgsConfig['options']
export type Parsed = { values: Record<string, string | boolean | undefined>; positionals: string[] }

export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options

export function parseCommand(command: string, argv: string[], options: Options): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    })
    return { values: values as Parsed['values'], positionals }
  } catch (cause) {
    const message = cause instanceof Error ? cause.message.split('\n')[0] : String(cause)
    throw new CliError('USAGE_ERROR', `${command}: ${message} (see ${command} --help)`, { cause })
  }
}

export function required(parsed: Parsed, name: string, command: string): string {
  const value = parsed.values[name]
  if (typeof value !== 'string' || value === '') {
    throw new CliError('USAGE_ERROR', `${command}: --${name} is required (see ${command} --help)`)
  }
  return value
}

export function optional(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name]
  return typeof value === 'string' ? value : undefined
}

/** An instant given as ISO 8601 (`2026-06-01`, `2026-06-01T08:00:00+08:00`) or epoch seconds. */
export function parseInstant(value: string, flag: string): number {
  const seconds = /^\d+$/.test(value) ? Number(value) : Date.parse(value) / 1000
  if (!Number.isSafeInteger(Math.floor(seconds))) {
    const message = `--${flag} must be an ISO 8601 date or seconds since the epoch, not "${value}"`
    throw new CliError('USAGE_ERROR', message)
  }
  return Math.floor(seconds)
}

export function parseWholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) {
    throw new CliError('USAGE_ERROR', `--${flag} must be a whole number, not "${value}"`)
  }
  return Number(value)
}
