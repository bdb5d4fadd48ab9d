// The license CLI's entry point (`npm run license -- <command>`): keygen, issue, verify, inspect,
// revoke-list, qr. Usage and exit codes: docs/license-cli.md. The library itself never imports node:.
import { processIo } from './cli/io.ts'
import { runCli } from './cli/run.ts'

process.exitCode = await runCli(process.argv.slice(2), processIo)
