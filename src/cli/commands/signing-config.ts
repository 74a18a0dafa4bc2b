import { defineCommand } from '../command.ts';
import create from './signing-config-create.ts';

const command = defineCommand({
  command: 'signing-config',
  describe: 'Signing configs: which Fulcio, Rekor, TSA and OIDC services signing uses (create)',
  subcommands: [create],
});

export default command;
