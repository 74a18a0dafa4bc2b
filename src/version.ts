// Read once from package.json, so the version has one source. node:fs through getBuiltinModule:
// this module is on every command's start-up path (see src/fs/stream.ts for why).
const { readFileSync } = process.getBuiltinModule('node:fs');

export const version: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export const userAgent = `seal/${version} (${process.platform}; ${process.arch})`;
