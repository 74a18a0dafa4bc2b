import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import { write } from '../output.ts';
import { SealError } from '../../errors.ts';

// Each script asks seal itself for the candidates (`seal --get-yargs-completions WORDS…`), so it
// stays right when commands and flags change.
const SCRIPTS: Record<string, string> = {
  bash: `###-begin-seal-completions-###
# seal completion for bash: source <(seal completion bash), or save it in
# /etc/bash_completion.d/seal or ~/.local/share/bash-completion/completions/seal
_seal_completions() {
  local cur_word type_list
  cur_word="\${COMP_WORDS[COMP_CWORD]}"
  type_list=$(seal --get-yargs-completions "\${COMP_WORDS[@]:0:COMP_CWORD+1}" 2>/dev/null)
  COMPREPLY=( $(compgen -W "\${type_list}" -- "\${cur_word}") )
  return 0
}
complete -o bashdefault -o default -F _seal_completions seal
###-end-seal-completions-###
`,
  zsh: `#compdef seal
###-begin-seal-completions-###
# seal completion for zsh: source <(seal completion zsh), or save it as _seal in a directory of $fpath
_seal_completions() {
  local reply
  local si=$IFS
  IFS=$'\\n' reply=($(COMP_CWORD="$((CURRENT-1))" COMP_LINE="$BUFFER" COMP_POINT="$CURSOR" seal --get-yargs-completions "\${words[@]}" 2>/dev/null))
  IFS=$si
  _describe 'values' reply
}
compdef _seal_completions seal
###-end-seal-completions-###
`,
  fish: `# seal completion for fish: seal completion fish > ~/.config/fish/completions/seal.fish
function __seal_completions
    set -l tokens (commandline -opc) (commandline -ct)
    seal --get-yargs-completions $tokens 2>/dev/null | string replace -r ':.*' ''
end
complete -c seal -f -a '(__seal_completions)'
`,
};

const command = defineCommand({
  command: 'completion [shell]',
  describe: 'Print a shell completion script (bash, zsh or fish)',
  builder: (y: Argv) =>
    y.positional('shell', {
      type: 'string',
      choices: ['bash', 'zsh', 'fish'],
      describe: 'The shell; default: the one in $SHELL, else bash',
    }),
  examples: [
    ['source <(seal completion bash)', 'Completion in the current bash'],
    ['seal completion fish > ~/.config/fish/completions/seal.fish', 'Install for fish'],
  ],
  run: async (argv, ctx) => {
    const fromEnv = /(zsh|fish)$/.exec(ctx.env.SHELL ?? '')?.[1];
    const shell = argv.shell ?? fromEnv ?? 'bash';
    const script = SCRIPTS[shell];
    // The fast path does not check positional choices: an unknown shell is a usage error here.
    if (script === undefined) throw new SealError('usage', `no completion script for the shell "${shell}"`, { hint: 'use bash, zsh or fish' });
    await write(ctx.stdout, script);
  },
});

export default command;
