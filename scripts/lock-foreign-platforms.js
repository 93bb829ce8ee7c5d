#!/usr/bin/env node
// The npm registry this project is built from serves only the Linux builds of packages with native
// binaries, so `npm install` leaves the other platforms' optional packages out of package-lock.json
// and `npm ci` then refuses the lock as out of sync. This records each missing optional package with
// the os/cpu its name declares, so `npm ci` skips it as a foreign platform without fetching it.
// Run after `npm install` changes the lock: `node scripts/lock-foreign-platforms.js`.
const fs = require('node:fs');
const file = require('node:path').join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const OS = ['darwin', 'win32', 'linux', 'freebsd', 'android', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el'];
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = path === '' ? '' : `${path}/`;
    if (lock.packages[`${base}node_modules/${name}`] || lock.packages[`node_modules/${name}`]) continue;
    const parts = name.split(/[-/]/);
    const os = OS.find((o) => parts.includes(o) || (o === 'win32' && parts.includes('windows')));
    const cpu = CPU.find((c) => parts.includes(c));
    // A build for this very platform missing is a real problem: leave it for npm to report.
    if (!os || !cpu || (os === process.platform && cpu === process.arch)) continue;
    lock.packages[`node_modules/${name}`] = { version, optional: true, os: [os], cpu: [cpu] };
    added++;
  }
}
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`recorded ${added} foreign-platform optional packages`);
