// Read once from package.json, so the version has one source.
import { readFileSync } from 'node:fs';

export const version: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export const userAgent = `seal/${version} (${process.platform}; ${process.arch})`;
