// Reading `trivy image -f json` reports (SchemaVersion 2). Trivy names package ecosystems by
// analyzer (`debian`, `python-pkg`, `gomod`, …); they are mapped to grype's package types so the
// gate and report speak one vocabulary. Older reports have no `Status`, only `FixedVersion`.
import { type Finding, type FixState, isObject, normalizeSeverity, str } from './findings.ts';
import type { ScanReportInfo } from './grype.ts';

export const TRIVY_URI = 'https://github.com/aquasecurity/trivy';

export function isTrivyReport(doc: unknown): doc is Record<string, unknown> {
  return isObject(doc) && typeof doc.SchemaVersion === 'number' && (typeof doc.ArtifactName === 'string' || Array.isArray(doc.Results));
}

const OS_TYPES: Record<string, string> = {
  debian: 'deb',
  ubuntu: 'deb',
  alpine: 'apk',
  wolfi: 'apk',
  chainguard: 'apk',
  redhat: 'rpm',
  centos: 'rpm',
  rocky: 'rpm',
  alma: 'rpm',
  amazon: 'rpm',
  oracle: 'rpm',
  fedora: 'rpm',
  photon: 'rpm',
  'cbl-mariner': 'rpm',
  azurelinux: 'rpm',
  opensuse: 'rpm',
  'opensuse.leap': 'rpm',
  'opensuse.tumbleweed': 'rpm',
  'suse linux enterprise server': 'rpm',
};

const LANG_TYPES: Record<string, string> = {
  'python-pkg': 'python',
  pip: 'python',
  pipenv: 'python',
  poetry: 'python',
  uv: 'python',
  'node-pkg': 'npm',
  npm: 'npm',
  yarn: 'npm',
  pnpm: 'npm',
  bun: 'npm',
  gomod: 'go-module',
  gobinary: 'go-module',
  jar: 'java-archive',
  pom: 'java-archive',
  gradle: 'java-archive',
  sbt: 'java-archive',
  cargo: 'rust-crate',
  'rust-binary': 'rust-crate',
  composer: 'php-composer',
  'composer-vendor': 'php-composer',
  bundler: 'gem',
  gemspec: 'gem',
  nuget: 'dotnet',
  'dotnet-core': 'dotnet',
  'packages-props': 'dotnet',
  conan: 'conan',
  hex: 'hex',
  pub: 'dart-pub',
  swift: 'swift',
  cocoapods: 'pod',
};

const PURL_TYPES: Record<string, string> = {
  deb: 'deb',
  apk: 'apk',
  rpm: 'rpm',
  pypi: 'python',
  npm: 'npm',
  golang: 'go-module',
  maven: 'java-archive',
  cargo: 'rust-crate',
  composer: 'php-composer',
  gem: 'gem',
  nuget: 'dotnet',
};

function packageType(resultType: string, purl: string): string {
  const t = resultType.toLowerCase();
  if (OS_TYPES[t]) return OS_TYPES[t];
  if (LANG_TYPES[t]) return LANG_TYPES[t];
  const m = /^pkg:([a-z0-9.+-]+)\//i.exec(purl);
  if (m && PURL_TYPES[m[1].toLowerCase()]) return PURL_TYPES[m[1].toLowerCase()];
  return t || 'unknown';
}

// https://github.com/aquasecurity/trivy/blob/main/pkg/types/vulnerability.go (Status strings).
const STATUS: Record<string, FixState> = {
  fixed: 'fixed',
  affected: 'not-fixed',
  fix_deferred: 'not-fixed',
  under_investigation: 'not-fixed',
  will_not_fix: 'wont-fix',
  end_of_life: 'wont-fix',
};

export function trivyFindings(doc: Record<string, unknown>): Finding[] {
  const out: Finding[] = [];
  for (const result of Array.isArray(doc.Results) ? doc.Results : []) {
    if (!isObject(result)) continue;
    for (const v of Array.isArray(result.Vulnerabilities) ? result.Vulnerabilities : []) {
      if (!isObject(v)) continue;
      const purl = isObject(v.PkgIdentifier) ? str(v.PkgIdentifier.PURL) : '';
      const fixedIn = str(v.FixedVersion)
        .split(/,\s*/)
        .map((s) => s.trim())
        .filter(Boolean);
      const status = str(v.Status);
      let fixState: FixState;
      if (status) fixState = STATUS[status] ?? 'unknown';
      else fixState = fixedIn.length ? 'fixed' : 'not-fixed';
      const finding: Finding = {
        id: str(v.VulnerabilityID) || 'UNKNOWN',
        severity: normalizeSeverity(v.Severity),
        package: str(v.PkgName),
        version: str(v.InstalledVersion),
        type: packageType(str(result.Type), purl),
        fixState,
      };
      if (fixedIn.length) finding.fixedIn = fixedIn;
      if (purl) finding.purl = purl;
      out.push(finding);
    }
  }
  return out;
}

export function trivyInfo(doc: Record<string, unknown>): ScanReportInfo {
  const trivy = isObject(doc.Trivy) ? doc.Trivy : {};
  const metadata = isObject(doc.Metadata) ? doc.Metadata : {};
  const repoDigest = Array.isArray(metadata.RepoDigests) ? str(metadata.RepoDigests[0]) : '';
  const at = repoDigest.lastIndexOf('@');
  return {
    format: 'trivy',
    scanner: { name: 'trivy', uri: TRIVY_URI, version: str(trivy.Version) },
    // Trivy's JSON does not say which database it used.
    db: { uri: '', version: '' },
    time: str(doc.CreatedAt) || undefined,
    parameters: null,
    target: {
      name: str(doc.ArtifactName) || undefined,
      digest: at >= 0 ? repoDigest.slice(at + 1) : undefined,
    },
    findings: trivyFindings(doc),
  };
}
