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

/**
 * The same question answered by the first line of a piped stdin (`yes | seal clean IMAGE`, as
 * with cosign); undefined when stdin holds no line at all.
 */
export async function confirmFromPipe(ctx: CliContext, question: string): Promise<boolean | undefined> {
  ctx.stderr.write(`${question} [y/N] `);
  const rl = createInterface({ input: ctx.stdin, terminal: false });
  try {
    for await (const line of rl) {
      ctx.stderr.write(`${line.trim()}\n`);
      const answer = line.trim().toLowerCase();
      return answer === 'y' || answer === 'yes';
    }
    ctx.stderr.write('\n');
    return undefined;
  } finally {
    rl.close();
  }
}
