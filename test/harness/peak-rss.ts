// Preloaded (node --import) into a seal process by seal-process.ts: on exit, writes the process's
// peak resident set size in KiB (getrusage ru_maxrss) to $SEAL_TEST_RSS_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.SEAL_TEST_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
