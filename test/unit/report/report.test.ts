import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { buildVulnPredicate, summarizeVulns } from '../../../src/scan/vuln.ts';
import { evaluateVulnGate } from '../../../src/scan/gate.ts';
import { buildReportModel, shortAge, type ReportInput } from '../../../src/report/model.ts';
import { csvField, renderReport } from '../../../src/report/render.ts';
import { listBuiltinTemplates, loadBuiltinTemplate, renderTemplate } from '../../../src/report/template.ts';
import { SealError } from '../../../src/errors.ts';

const fixture = (p: string) => JSON.parse(readFileSync(new URL(`../../fixtures/${p}`, import.meta.url), 'utf8'));
const summary = (p: string) => summarizeVulns(buildVulnPredicate(fixture(p), { now: new Date() }).predicate);
const now = new Date('2024-05-23T09:41:27Z');

function rows(): ReportInput[] {
  const py = summary('grype/python-debian.json');
  return [
    { image: 'registry.example.com/team/api:1.4.2', summary: py, gate: evaluateVulnGate([py], { maxSeverity: 'high', now }) },
    { image: 'registry.example.com/team/api:1.4.2 (trivy)', summary: summary('trivy/python-debian.json') },
    { image: 'registry.example.com/base/debian-slim:12', summary: summary('grype/debian-negligible-only.json') },
    { image: 'registry.example.com/team/worker:0.9', error: 'no verified vulnerability attestation' },
  ];
}

test('table: aligned columns, numbers right-aligned, unscanned rows show why', () => {
  const out = renderReport(buildReportModel(rows(), { now }), 'table');
  assert.equal(
    out,
    [
      'IMAGE                                        CRITICAL  HIGH  MEDIUM  LOW  NEGLIGIBLE  UNKNOWN  FIXED/NOT FIXED  SCAN AGE  SCANNER                                GATE',
      'registry.example.com/team/api:1.4.2                 2     5       3    1           1        1              8/5        2d  grype 0.74.7                           FAIL',
      'registry.example.com/team/api:1.4.2 (trivy)         2     2       3    1           0        1              5/4        2d  trivy 0.52.2                           -',
      'registry.example.com/base/debian-slim:12            0     0       0    0           3        1              0/4    future  grype 0.74.7                           -',
      'registry.example.com/team/worker:0.9                -     -       -    -           -        -                -         -  no verified vulnerability attestation  -',
      '',
    ].join('\n'),
  );
});

test('model: totals, ages and fixed/not fixed', () => {
  const model = buildReportModel(rows(), { now });
  assert.equal(model.generatedAt, '2024-05-23T09:41:27Z');
  assert.deepEqual(model.totals, {
    images: 4,
    scanned: 3,
    unscanned: 1,
    counts: { critical: 4, high: 7, medium: 6, low: 2, negligible: 4, unknown: 3 },
    fixed: 13,
    notFixed: 13,
    total: 26,
    suppressed: 0,
    gateFailed: 1,
  });
  assert.equal(model.images[0].scanAge, '2d');
  assert.equal(model.images[0].ageMs, now.getTime() - Date.parse('2024-05-20T09:41:27.336Z'));
  assert.equal(model.images[3].scanned, false);
  assert.equal(model.images[3].ageMs, null);
  assert.equal(model.images[0].digest, 'sha256:16eb06ced985216bb14744c43dad833c58f56296d152e580542d0e8630f63316');
  assert.equal(shortAge(59_999), '59s');
  assert.equal(shortAge(-1), 'future');
});

test('json: the whole model, findings included', () => {
  const parsed = JSON.parse(renderReport(buildReportModel(rows(), { now }), 'json'));
  assert.equal(parsed.images.length, 4);
  assert.equal(parsed.images[0].findings[0].id, 'CVE-2023-38545');
  assert.equal(parsed.images[0].gate.ok, false);
  assert.equal(parsed.images[0].gate.reasons.length, 2);
  assert.equal(parsed.images[3].error, 'no verified vulnerability attestation');
});

test('csv: RFC 4180 quoting and CRLF record ends', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  const input = rows();
  input[3] = { image: 'weird,"name"', error: 'failed:\nline two' };
  const out = renderReport(buildReportModel(input, { now }), 'csv');
  const lines = out.split('\r\n');
  assert.equal(
    lines[0],
    'image,digest,critical,high,medium,low,negligible,unknown,fixed,not_fixed,total,suppressed,scan_finished,age_seconds,scanner,scanner_version,gate,error',
  );
  assert.equal(
    lines[1],
    'registry.example.com/team/api:1.4.2,sha256:16eb06ced985216bb14744c43dad833c58f56296d152e580542d0e8630f63316,2,5,3,1,1,1,8,5,13,0,2024-05-20T09:41:27.336721419Z,259199,grype,0.74.7,fail,',
  );
  assert.equal(lines[4], '"weird,""name""",,,,,,,,,,,,,,,,,"failed:\nline two"');
  assert.equal(lines[5], '');
  assert.equal(lines.length, 6);
});

test('markdown: a table with escaped cells', () => {
  const input = rows().slice(0, 1);
  input.push({ image: 'a|b', error: 'bad | worse' });
  const out = renderReport(buildReportModel(input, { now }), 'markdown');
  const lines = out.trimEnd().split('\n');
  assert.equal(lines[0], '| Image | Critical | High | Medium | Low | Negligible | Unknown | Fixed/not fixed | Scan age | Scanner | Gate |');
  assert.equal(lines[1], '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|');
  assert.equal(lines[2], '| `registry.example.com/team/api:1.4.2` | 2 | 5 | 3 | 1 | 1 | 1 | 8/5 | 2d | grype 0.74.7 | FAIL |');
  assert.equal(lines[3], '| `a|b` | - | - | - | - | - | - | - | - | bad \\| worse | - |');
});

test('templates: helpers, no HTML escaping', async () => {
  const model = buildReportModel(rows(), { now });
  const out = await renderTemplate(
    '{{#each images}}{{pad image 45}}|{{pad total 3 align="right"}}|{{upper scannerName}}|{{age scanFinishedOn}}|{{default scanner "none"}}\n{{/each}}<&>{{json totals.counts}}',
    model,
    { now },
  );
  const lines = out.split('\n');
  assert.equal(lines[0], 'registry.example.com/team/api:1.4.2          | 13|GRYPE|2d|grype 0.74.7');
  assert.equal(lines[3], 'registry.example.com/team/worker:0.9         |  0|||none');
  assert.equal(lines[4], '<&>{"critical":4,"high":7,"medium":6,"low":2,"negligible":4,"unknown":3}');
});

test('templates: errors name the template', async () => {
  const model = buildReportModel([], { now });
  await assert.rejects(
    renderTemplate('{{#each images}}', model, { now, name: 'mine.hbs' }),
    (e: unknown) => e instanceof SealError && e.code === 'TEMPLATE_INVALID' && e.kind === 'input' && /^template mine\.hbs: /.test(e.message),
  );
  await assert.rejects(renderTemplate('{{nosuchhelper 1}}', model, { now }), (e: unknown) => e instanceof SealError && /nosuchhelper/.test(e.message));
});

test('built-in templates: listed, selectable by name, and they render', async () => {
  assert.deepEqual(await listBuiltinTemplates(), ['findings.md', 'slack', 'summary.md']);
  assert.equal(await loadBuiltinTemplate('nope'), undefined);
  assert.equal(await loadBuiltinTemplate('summary'), await loadBuiltinTemplate('summary.md.hbs'));
  const model = buildReportModel(rows(), { now });

  const summaryMd = await renderTemplate((await loadBuiltinTemplate('summary.md'))!, model, { now });
  assert.match(summaryMd, /^## Vulnerability report\n\nGenerated 2024-05-23T09:41:27Z for 4 images \(1 without a verified scan\)\./);
  assert.match(summaryMd, /\n\| `registry\.example\.com\/team\/api:1\.4\.2` \| 2 \| 5 \| 3 \| 1 \| 1 \| 1 \| 8 \/ 5 \| 2d \| grype 0\.74\.7 \|\n/);
  assert.match(summaryMd, /\n\| `registry\.example\.com\/team\/worker:0\.9` \| - .* \| no verified vulnerability attestation \|\n/);
  assert.match(summaryMd, /\*\*1 image failed the gate\.\*\*/);

  const slack = JSON.parse(await renderTemplate((await loadBuiltinTemplate('slack'))!, model, { now }));
  assert.equal(slack.text, 'Vulnerability report: 4 images, 4 critical, 7 high');
  assert.equal(slack.blocks.length, 6);
  assert.equal(slack.blocks[2].text.text, '`registry.example.com/team/api:1.4.2`\n2 critical, 5 high, 3 medium, 1 low (8 fixable) - grype 0.74.7, 2d old');

  const findings = await renderTemplate((await loadBuiltinTemplate('findings'))!, model, { now });
  assert.match(findings, /- \*\*CRITICAL\*\* CVE-2023-38545: libcurl4 7\.88\.1-10\+deb12u3 \(fixed in 7\.88\.1-10\+deb12u4\)/);
  assert.match(findings, /- \*\*CRITICAL\*\* CVE-2023-45853: zlib1g 1:1\.2\.13\.dfsg-1 \(wont-fix\)/);
  assert.doesNotMatch(findings, /CVE-2011-3374/);
});

test('Handlebars is loaded only when a template is rendered', () => {
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const loaded = () => Object.keys(require.cache).some((k) => k.includes('/handlebars/'));
    const t = await import(${JSON.stringify(new URL('../../../src/report/template.ts', import.meta.url).href)});
    await import(${JSON.stringify(new URL('../../../src/report/render.ts', import.meta.url).href)});
    const before = loaded();
    await t.renderTemplate('x', { images: [] }, { now: new Date() });
    console.log(JSON.stringify([before, loaded()]));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), [false, true]);
});
