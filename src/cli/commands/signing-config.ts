import { defineCommand } from '../command.ts';
import create from './signing-config-create.ts';
import show from './signing-config-show.ts';

const command = defineCommand({
  command: 'signing-config',
  describe: 'Signing configs: which Fulcio, Rekor, TSA and OIDC services signing uses (create, show)',
  subcommands: [create, show],
});

export default command;
