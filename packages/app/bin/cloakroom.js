#!/usr/bin/env node
// The published command: runs the compiled CLI (`npm run build` first when working from a checkout).
import { program } from '../dist/cli/main.js';

await program().parseAsync(process.argv);
