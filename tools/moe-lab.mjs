#!/usr/bin/env node
// `npx moe-lab <command>`: the lab's headless CLI. It runs the TypeScript sources directly
// (through tsx) so the CLI and the page share one engine.
//
// onnxruntime-node crashes the process (SIGSEGV, a native stack overflow) when it creates a
// session in a process whose command line is longer than ~25 KB, e.g. a long `--text`: it reads
// the native argv, not process.argv. So a long command line is handed to a child process through
// an environment variable, and the child's own command line stays short.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const ARGS_ENV = 'MOE_LAB_ARGS';
/** bytes of arguments above which the CLI re-runs itself with them in the environment */
const LONG_ARGV = 8 * 1024;

const fromEnv = process.env[ARGS_ENV];
const args = fromEnv !== undefined ? JSON.parse(fromEnv) : process.argv.slice(2);
if (fromEnv === undefined && args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0) > LONG_ARGV) {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: { ...process.env, [ARGS_ENV]: JSON.stringify(args) },
  });
  // Ctrl-C reaches the child through the terminal's process group (the parent ignores it and
  // waits for the child's own clean stop); a kill of the parent is passed on.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 1);
  });
} else {
  delete process.env[ARGS_ENV];
  register();
  const { main } = await import('./cli/main.ts');
  process.exitCode = await main(args);
}
