// PLACEHOLDER written by the lead so commands can register; the registry-client engineer replaces
// this file with the full flag set (same two exports).
import type { Argv } from 'yargs';
import type { StoreOptions } from '../../oci/store.ts';
import type { Args } from '../command.ts';
import type { CliContext } from '../context.ts';

export const registryOptions = (y: Argv): Argv =>
  y
    .option('registry-username', { type: 'string', describe: 'Registry user name' })
    .option('registry-password', { type: 'string', describe: 'Registry password (or SEAL_REGISTRY_PASSWORD)' })
    .option('allow-insecure-registry', { type: 'boolean', default: false, describe: 'Skip TLS certificate verification' })
    .option('allow-http-registry', { type: 'boolean', default: false, describe: 'Use plain HTTP' });

export function toStoreOptions(argv: Args, ctx: CliContext): StoreOptions {
  return {
    env: ctx.env,
    log: ctx.log,
    signal: ctx.signal,
    username: argv['registry-username'],
    password: argv['registry-password'] ?? ctx.env.SEAL_REGISTRY_PASSWORD,
    allowInsecure: argv['allow-insecure-registry'],
    allowHttp: argv['allow-http-registry'],
  };
}
