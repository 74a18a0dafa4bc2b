// The one environment every operation in src/ops receives beside its options: where messages go,
// when to stop, where progress goes, the standard streams, the process environment and the
// password prompt. The CLI makes it from its context (src/cli/op-env.ts); tests make their own.
// Libraries below ops get the pieces they need (a Log, a signal), never the whole env.
import type { Log } from '../log.ts';
import type { OnProgress } from '../progress.ts';

export interface PasswordRequest {
  /** What the password opens, for the prompt: "private key cosign.key". */
  label: string;
  /** Ask twice and compare (a new key). */
  confirm?: boolean;
  /** Set when stdin carries something else (the file being signed); names what it carries. */
  stdinInUse?: string;
  /**
   * The password of an existing encrypted key being imported (`label` names its file), not of a
   * key being written: it has its own source (SEAL_IMPORT_PASSWORD or a prompt, never stdin).
   */
  importing?: boolean;
}

export interface OpEnv {
  log: Log;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** The process environment (SIGSTORE_ID_TOKEN, env://VAR keys, ...). */
  vars: Readonly<Record<string, string | undefined>>;
  /** Relative paths in options are resolved against this. */
  cwd: string;
  /** Standard input; opened on first use. */
  readonly stdin: AsyncIterable<Uint8Array | string>;
  /** Results (stdout in the CLI). */
  writeStdout(data: string | Uint8Array): Promise<void>;
  /** A progress callback for one transfer, named by `label` ("Signing app.tar"); absent: none drawn. */
  progress?(label: string): OnProgress | undefined;
  /** The password for a private key (env variable, prompt or stdin, as the CLI decides). */
  password(request: PasswordRequest): Promise<Uint8Array>;
  /** A secret asked on a terminal only, never from variables or stdin (a token PIN); absent without one. */
  askSecret?(prompt: string): Promise<Uint8Array>;
  /** A person at a terminal (stdin and stderr): interactive logins may start. */
  interactive: boolean;
  /** Opens a URL in a browser where there is a desktop (keyless login); absent: the URL printed is all. */
  openBrowser?(url: string): void;
}
