// What pure libraries may say: they get a Log, never process.stderr.
export interface Log {
  /** A message for humans (stderr in the CLI). */
  info(message: string): void;
  warn(message: string): void;
  /** Only shown with --verbose. */
  debug(message: string): void;
}

export const silentLog: Log = { info() {}, warn() {}, debug() {} };
