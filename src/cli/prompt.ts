// A y/N question on the terminal (stderr), for destructive commands.
import { createInterface } from 'node:readline/promises';
import type { CliContext } from './context.ts';

export async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  const rl = createInterface({ input: ctx.stdin, output: ctx.stderr, terminal: true });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    return answer === 'y' || answer === 'yes';
  } finally {
    rl.close();
  }
}
