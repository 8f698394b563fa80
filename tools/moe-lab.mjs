#!/usr/bin/env node
// `npx moe-lab <command>`: the lab's headless CLI. It runs the TypeScript sources directly
// (through tsx) so the CLI and the page share one engine.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
