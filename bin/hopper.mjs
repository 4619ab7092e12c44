#!/usr/bin/env node
// The `hopper` launcher. tsx's loader is registered in this same process and cli/main.ts is
// imported directly: one Node start-up instead of two (spawning the tsx binary would start a
// second Node), and exit codes and signals need no forwarding.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
