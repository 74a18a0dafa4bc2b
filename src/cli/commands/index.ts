// Every command, in the order `seal --help` lists them. Each module only declares flags; the
// work lives in src/ops and is imported when the command runs.
import type { SealCommand } from '../command.ts';

export const commands: readonly SealCommand[] = [];
