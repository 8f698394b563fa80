#!/usr/bin/env node
// Browser tests drive Debian's Chromium at /usr/bin/chromium (never a downloaded browser).
// Install it with apt-get when missing and we are root; otherwise say what to install.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(CHROMIUM)) process.exit(0);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(
    `Browser tests need Chromium at ${CHROMIUM}. Install Debian's package as root:\n` +
      '  apt-get update && apt-get install -y chromium\n' +
      '(or set CHROMIUM_PATH to a Chromium binary).',
  );
  process.exit(1);
}
console.log(`${CHROMIUM} is missing: installing Debian's chromium with apt-get …`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execSync('apt-get update -q', { stdio: 'inherit', env });
execSync('apt-get install -y -q chromium', { stdio: 'inherit', env });
if (!existsSync(CHROMIUM)) {
  console.error(`apt-get finished but ${CHROMIUM} is still missing.`);
  process.exit(1);
}
