// Every command, in the order `seal --help` lists them. Each module only declares flags; the
// work lives in src/ops and is imported when the command runs.
import type { SealCommand } from '../command.ts';
import attach from './attach.ts';
import attestBlob from './attest-blob.ts';
import attest from './attest.ts';
import clean from './clean.ts';
import download from './download.ts';
import generateKeyPair from './generate-key-pair.ts';
import importKeyPair from './import-key-pair.ts';
import publicKey from './public-key.ts';
import report from './report.ts';
import signBlob from './sign-blob.ts';
import sign from './sign.ts';
import tree from './tree.ts';
import triangulate from './triangulate.ts';
import verifyAttestation from './verify-attestation.ts';
import verifyBlobAttestation from './verify-blob-attestation.ts';
import verifyBlob from './verify-blob.ts';
import verify from './verify.ts';

export const commands: readonly SealCommand[] = [generateKeyPair, importKeyPair, publicKey, signBlob, verifyBlob, sign, verify, attest, verifyAttestation, attach, download, report, attestBlob, verifyBlobAttestation, tree, triangulate, clean];
