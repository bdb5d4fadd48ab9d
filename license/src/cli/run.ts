// Dispatches `license <command>` and turns every failure into a message and an exit code; no
// stack traces for mistakes an operator can fix.
import { CliError, EXIT } from './errors.ts'
import { inspect, INSPECT_HELP } from './inspect.ts'
import type { Io } from './io.ts'
import { issue, ISSUE_HELP } from './issue.ts'
import { keygen, KEYGEN_HELP } from './keygen.ts'
import { qr, QR_HELP } from './qr.ts'
import { revokeList, REVOKE_LIST_HELP } from './revoke-list.ts'
import { verify, VERIFY_HELP } from './verify.ts'

export const HELP = `Usage: npm run license -- <command> [options]

Commands:
  keygen   --out <file>        new Ed25519 key pair: private JWK to the file, public to stdout
  issue    --key <file> ...    sign a license (manual issuance)
  verify   <file> --product <id> --feature-code <code> --jwks <file|URL>
           [--revocations <file|URL>]
                               check a license as a product would
  inspect  <file>              show a license's header and claims, UNVERIFIED
  revoke-list --key <file> --iss <origin> --revoked <file>
                               sign a license revocation list
  qr       --origin <url> --product <id> --fc <code> [--svg <file>] [--png <file>]
                               a product's apply link as a QR code (terminal, SVG, PNG)
  help     [command]           this text, or a command's options

Every command takes --json (machine-readable output) and --help.
Format: docs/license-format.md   CLI and exit codes: docs/license-cli.md
`

type Command = { run: (argv: string[], io: Io) => Promise<number>; help: string }

const COMMANDS: Record<string, Command> = {
  keygen: { run: keygen, help: KEYGEN_HELP },
  issue: { run: issue, help: ISSUE_HELP },
  verify: { run: verify, help: VERIFY_HELP },
  inspect: { run: inspect, help: INSPECT_HELP },
  'revoke-list': { run: revokeList, help: REVOKE_LIST_HELP },
  qr: { run: qr, help: QR_HELP },
}

function commandNamed(name: string): Command {
  if (Object.hasOwn(COMMANDS, name)) return COMMANDS[name]
  const known = Object.keys(COMMANDS).join(', ')
  throw new CliError('USAGE_ERROR', `unknown command "${name}" (commands: ${known}; see --help)`)
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h') return io.stdout(HELP), EXIT.OK
  try {
    if (name === 'help') {
      io.stdout(rest[0] === undefined ? HELP : commandNamed(rest[0]).help)
      return EXIT.OK
    }
    return await commandNamed(name).run(rest, io)
  } catch (cause) {
    const { code, message } =
      cause instanceof CliError
        ? cause
        : new CliError('INPUT_ERROR', `unexpected failure: ${(cause as Error)?.message ?? cause}`)
    const json = rest.includes('--json')
    if (json) io.stdout(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`)
    else io.stderr(`error: ${message}\n`)
    return EXIT.USAGE_OR_INPUT
  }
}
