import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import { write } from '../output.ts';

/** Go's names for what Node calls the architecture, as cosign's Platform line spells them. */
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };

const command = defineCommand({
  command: 'version',
  describe: "Print seal's version (cosign version; --json for scripts)",
  builder: (y: Argv) => y.option('json', { type: 'boolean', default: false, describe: 'JSON (gitVersion, platform, nodeVersion, …) as cosign version --json' }),
  examples: [['seal version --json | jq -r .gitVersion', 'The version, for a log line']],
  run: async (argv, ctx) => {
    const { version } = await import('../../version.ts');
    const info = {
      gitVersion: `v${version}`,
      gitCommit: 'unknown',
      gitTreeState: 'unknown',
      buildDate: 'unknown',
      nodeVersion: process.version,
      compiler: 'node',
      platform: `${process.platform}/${GOARCH[process.arch] ?? process.arch}`,
    };
    if (argv.json) return write(ctx.stdout, JSON.stringify(info, null, 2) + '\n');
    const labels: [string, string][] = [
      ['GitVersion', info.gitVersion],
      ['GitCommit', info.gitCommit],
      ['GitTreeState', info.gitTreeState],
      ['BuildDate', info.buildDate],
      ['NodeVersion', info.nodeVersion],
      ['Compiler', info.compiler],
      ['Platform', info.platform],
    ];
    await write(ctx.stdout, labels.map(([k, v]) => `${(k + ':').padEnd(15)}${v}`).join('\n') + '\n');
  },
});

export default command;
