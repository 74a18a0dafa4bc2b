import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import type { VerifyAttestationOptions } from '../../ops/verify-attestation.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { loadTrustPolicy, trustOptions } from '../options/trust.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { accepted, cosignVerifyFlags, refused } from '../options/cosign.ts';
import { write, writeJSON } from '../output.ts';
import { readInput } from '../../fs/read-input.ts';
import { loadVexOptions, vexOptions } from '../options/vex.ts';
import { opEnv } from '../op-env.ts';

const verifyAttestationCosignFlags = <T>(y: Argv<T>) => {
  let b = accepted(y, 'check-claims', 'boolean', 'seal always checks the claims (false is refused)');
  b = accepted(b, 'local-image', 'boolean', 'the image argument is an OCI layout directory (cosign save): seal reads it as oci:DIR');
  const detached = 'seal verifies keyless attestations by identity against the trusted root; use --certificate-identity and --certificate-oidc-issuer';
  for (const f of ['certificate', 'certificate-chain']) b = refused(b, f, 'string', detached);
  return b;
};

/** --max-age, with a message that says what is wrong with the value (before any key is read). */
function parseMaxAge(value: string, parse: (text: string) => number): number {
  if (value.trim().startsWith('-')) {
    throw usageError(`--max-age "${value}" is negative: give the greatest age a scan may have, e.g. 14d, 36h or 2w`);
  }
  try {
    return parse(value);
  } catch {
    throw usageError(`--max-age "${value}" is not a duration: use a positive number and a unit, e.g. 90m, 36h, 14d or 2w`);
  }
}

const usage = 'verify-attestation <images..>';

const flags = (y: Argv) =>
  verifyAttestationCosignFlags(vexOptions(registryOptions(cosignVerifyFlags(trustOptions(y)))))
    .positional('images', { type: 'string', array: true, describe: 'Image references' })
    .option('type', { type: 'string', describe: 'Only this predicate type (alias or URI); default: every type' })
    .option('max-severity', {
      choices: ['none', 'negligible', 'low', 'medium', 'high', 'critical'] as const,
      describe: 'Fail when the newest verified scan has a finding above this severity',
    })
    .option('max-age', { type: 'string', describe: 'Fail when the newest verified scan is older than this (14d, 36h, 2w)' })
    .option('ignore-unfixed', { type: 'boolean', default: false, describe: 'Gate only on findings that have a fix' })
    .option('policy', { type: 'string', describe: 'Policy file (JSON or YAML; see docs/policy.md)' })
    .option('output', {
      alias: 'o',
      choices: ['cosign', 'statements', 'json'] as const,
      default: 'cosign',
      describe:
        "cosign: each verified DSSE envelope on a line, as cosign prints them; statements: the decoded statements as JSON lines; json: seal's report with the gate verdict",
    })
    // As seal verify's; cosign's --max-workers sets it (options/cosign.ts).
    .option('concurrency', { type: 'number', default: 4, describe: 'Images verified at once' });

export async function toOptions(argv: FlagsOf<typeof flags, typeof usage>, ctx: CliContext): Promise<VerifyAttestationOptions> {
  // The gate's module only when --max-age is given (start-up, docs/design/startup.md).
  const maxAgeMs = argv.maxAge === undefined ? undefined : parseMaxAge(argv.maxAge, (await import('../../scan/gate.ts')).parseDuration);
  const trust = await loadTrustPolicy(argv, ctx);
  let policy: VerifyAttestationOptions['policy'];
  if (argv.policy) {
    const { loadPolicy, evaluatePolicy } = await import('../../scan/policy.ts');
    const text = Buffer.from(await readInput(argv.policy, ctx, 'policy file')).toString('utf8');
    const loaded = loadPolicy(text, argv.policy);
    policy = { evaluate: (statements, now) => evaluatePolicy(loaded, statements, { now }) };
  }
  return {
    images: argv.images,
    type: argv.type,
    maxSeverity: argv.maxSeverity,
    maxAgeMs,
    ignoreUnfixed: argv.ignoreUnfixed,
    policy,
    store: toStoreOptions(argv, ctx),
    vex: await loadVexOptions(argv, ctx),
    trust,
    concurrency: argv.concurrency,
  };
}

const command = defineCommand({
  command: usage,
  describe: 'Verify image attestations and gate on scan results or a policy',
  builder: flags,
  examples: [
    [
      'seal verify-attestation --key cosign.pub --type vuln --max-severity high --max-age 14d IMAGE',
      'The deploy gate: no critical CVE, scanned within 14 days',
    ],
    [
      'seal verify-attestation --key cosign.pub --vex-key security.pub --type vuln --max-severity high IMAGE',
      'The gate, honouring OpenVEX statements the security team signed (docs/vex.md)',
    ],
    ['seal verify-attestation --key cosign.pub --policy policy.yaml IMAGE', 'Apply a declarative policy'],
    [
      'seal verify-attestation --key cosign.pub --type slsaprovenance1 IMAGE | jq -r .payload | base64 -d | jq .predicate',
      'Read verified provenance from the envelopes, as with cosign',
    ],
    ['seal verify-attestation --key cosign.pub --type vuln -o statements IMAGE | jq .predicate.scanner', 'The decoded statements instead'],
  ],
  run: async (argv, ctx) => {
    const options = await toOptions(argv, ctx);
    const { verifyAttestations, attestationFailure } = await import('../../ops/verify-attestation.ts');
    const reports = await verifyAttestations(options, opEnv(ctx));
    for (const r of reports) {
      if (r.gate) {
        const g = r.gate;
        ctx.log.info(
          `${r.image}: vulnerability gate ${g.ok ? 'passed' : 'FAILED'} (scan by ${g.scanner ?? 'unknown'}, finished ${g.scanTime?.toISOString() ?? 'unknown'})`,
        );
        for (const reason of g.reasons) ctx.log.info(`  - ${reason}`);
        if (g.suppressed?.length) {
          const { describeSuppression } = await import('../../vex/apply.ts');
          for (const s of g.suppressed) ctx.log.info(`  - ${describeSuppression(s)}`);
        }
      }
      if (r.policy) for (const p of r.policy.results) ctx.log.info(`  policy ${p.ok ? 'ok' : 'FAILED'}: ${p.rule}: ${p.message}`);
      if (r.ok) ctx.log.info(`Verified ${r.statements.length} attestation(s) for ${r.image} (${r.digest})`);
    }
    const failure = attestationFailure(reports);
    if (argv.output === 'json') await writeJSON(ctx.stdout, reports);
    else if (argv.output === 'statements' || !failure) {
      const lines = reports.flatMap((r) => (argv.output === 'statements' ? r.statements.map((s) => JSON.stringify(s)) : r.envelopes));
      if (lines.length) await write(ctx.stdout, lines.join('\n') + '\n');
    }
    if (failure) throw failure;
  },
});

export default command;
