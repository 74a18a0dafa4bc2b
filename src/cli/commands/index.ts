// Every command, in the order `seal --help` lists them, loaded on demand: a run loads only its
// own command module (src/cli/fast-path.ts); help and error reporting load them all. Each module
// only declares flags; the work lives in src/ops and is imported when the command runs.
import type { SealCommand } from '../command.ts';

type Loader = () => Promise<{ default: SealCommand }>;

export const commandLoaders: Readonly<Record<string, Loader>> = {
  'generate-key-pair': () => import('./generate-key-pair.ts'),
  'import-key-pair': () => import('./import-key-pair.ts'),
  'public-key': () => import('./public-key.ts'),
  'sign-blob': () => import('./sign-blob.ts'),
  'verify-blob': () => import('./verify-blob.ts'),
  sign: () => import('./sign.ts'),
  generate: () => import('./generate.ts'),
  verify: () => import('./verify.ts'),
  attest: () => import('./attest.ts'),
  'verify-attestation': () => import('./verify-attestation.ts'),
  attach: () => import('./attach.ts'),
  download: () => import('./download.ts'),
  report: () => import('./report.ts'),
  'attest-blob': () => import('./attest-blob.ts'),
  'verify-blob-attestation': () => import('./verify-blob-attestation.ts'),
  tree: () => import('./tree.ts'),
  triangulate: () => import('./triangulate.ts'),
  clean: () => import('./clean.ts'),
  copy: () => import('./copy.ts'),
  save: () => import('./save.ts'),
  load: () => import('./load.ts'),
  login: () => import('./login.ts'),
  logout: () => import('./logout.ts'),
  'trusted-root': () => import('./trusted-root.ts'),
  initialize: () => import('./initialize.ts'),
  'signing-config': () => import('./signing-config.ts'),
  env: () => import('./env.ts'),
  manifest: () => import('./manifest.ts'),
  dockerfile: () => import('./dockerfile.ts'),
  bundle: () => import('./bundle.ts'),
  vex: () => import('./vex.ts'),
  completion: () => import('./completion.ts'),
  version: () => import('./version.ts'),
  'pkcs11-tool': () => import('./pkcs11-tool.ts'),
};

export async function loadAllCommands(): Promise<SealCommand[]> {
  return Promise.all(Object.values(commandLoaders).map(async (load) => (await load()).default));
}
