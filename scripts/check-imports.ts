// The import graph of src/, checked: no import cycles and no upward imports between layers
// (GUIDE "Layers": command modules -> src/ops -> libraries). Faster than eslint-plugin-import's
// no-cycle, and it knows our layers. Run by scripts/test.sh; `--report` prints the figures only.
//
//   node scripts/check-imports.ts [--report] [--json] [SRC_DIR]
//
// Edges: static imports and `export … from` (runtime), `import type` (types only), and dynamic
// `import()` (lazy). Cycles are searched over all three: a lazy or type-only cycle still ties two
// files together, so neither can be understood, moved or tested alone. A layer may import its own
// layer and any lower one.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Lower number = lower layer. Folders of src/ (or top-level files) not named here are libraries (3). */
export const LAYERS: Readonly<Record<string, number>> = {
  'errors.ts': 0,
  'log.ts': 0,
  'progress.ts': 0,
  'version.ts': 0,
  util: 0,
  fs: 1,
  crypto: 2,
  config: 2,
  // Libraries: in-toto/DSSE, scanner reports and the gate, Sigstore, OCI, SBOM detection, OIDC logins, OpenVEX.
  attest: 3,
  scan: 3,
  sigstore: 3,
  oci: 3,
  sbom: 3,
  oidc: 3,
  vex: 3,
  // Built on them: cosign's conventions, scanner-specific reports.
  cosign: 4,
  report: 4,
  discover: 4,
  ops: 5,
  cli: 6,
};
const DEFAULT_LAYER = 3;

export type EdgeKind = 'static' | 'type' | 'dynamic';
export interface Edge {
  from: string;
  to: string;
  kind: EdgeKind;
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTs(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// What a library must not touch: the command line, the exit status, the standard streams, the
// environment, the working directory, signals.
const PROCESS_STATE = new Set(['argv', 'exit', 'exitCode', 'stdout', 'stderr', 'stdin', 'env', 'cwd', 'chdir', 'on', 'once', 'kill']);
/** Files that are a process's entry point (a child process seal starts), where process state is theirs. */
const ENTRY_POINTS = new Set(['crypto/pkcs11/agent.ts']);

export function importGraph(srcDir: string): { files: string[]; edges: Edge[]; processUses: string[] } {
  const files = listTs(srcDir)
    .map((f) => path.relative(srcDir, f))
    .sort();
  const known = new Set(files);
  const edges: Edge[] = [];
  const processUses: string[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(srcDir, file), 'utf8');
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const add = (spec: string, kind: EdgeKind) => {
      if (!spec.startsWith('.')) return;
      const to = path.normalize(path.join(path.dirname(file), spec));
      if (known.has(to)) edges.push({ from: file, to, kind });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'process' && PROCESS_STATE.has(node.name.text)) {
        const use = `${file}: process.${node.name.text}`;
        if (layerOf(file) < LAYERS.ops! && !ENTRY_POINTS.has(file) && !processUses.includes(use)) processUses.push(use);
      }
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const clause = node.importClause;
        const typeOnly =
          clause !== undefined &&
          (clause.isTypeOnly ||
            (!clause.name &&
              clause.namedBindings !== undefined &&
              ts.isNamedImports(clause.namedBindings) &&
              clause.namedBindings.elements.length > 0 &&
              clause.namedBindings.elements.every((e) => e.isTypeOnly)));
        add(node.moduleSpecifier.text, typeOnly ? 'type' : 'static');
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        add(node.moduleSpecifier.text, node.isTypeOnly ? 'type' : 'static');
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] &&
        ts.isStringLiteralLike(node.arguments[0])
      ) {
        add(node.arguments[0].text, 'dynamic');
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        add(node.argument.literal.text, 'type');
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { files, edges, processUses };
}

export const layerName = (file: string): string => file.split(path.sep)[0]!;
export const layerOf = (file: string): number => LAYERS[layerName(file)] ?? DEFAULT_LAYER;

/** Strongly connected components with more than one file (Tarjan), each sorted. */
export function cycles(files: string[], edges: Edge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)!.push(e.to);
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v)!) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) strong(f);
  return out;
}

/** Imports (of any kind) from a lower layer into a higher one, one per pair of files. */
export function upwardImports(edges: Edge[]): Edge[] {
  const seen = new Set<string>();
  return edges.filter((e) => {
    const key = `${e.from} ${e.to}`;
    if (layerOf(e.to) <= layerOf(e.from) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function main(argv: string[]): number {
  const report = argv.includes('--report');
  const json = argv.includes('--json');
  const srcDir = path.resolve(argv.find((a) => !a.startsWith('--')) ?? path.join(import.meta.dirname, '..', 'src'));
  const { files, edges, processUses: proc } = importGraph(srcDir);
  const found = cycles(files, edges);
  const upward = upwardImports(edges);
  const unknown = [...new Set(files.map(layerName))].filter((n) => !(n in LAYERS));
  if (json) {
    console.log(JSON.stringify({ files: files.length, edges: edges.length, cycles: found, upward, process: proc, unknown }, null, 2));
    return 0;
  }
  const say = (s: string) => console.log(s);
  say(`import graph of ${path.relative(process.cwd(), srcDir) || '.'}: ${files.length} files, ${edges.length} imports`);
  say(`cycles: ${found.length}`);
  for (const c of found) say(`  ${c.join(' <-> ')}`);
  say(`upward imports: ${upward.length}`);
  for (const e of upward) say(`  ${e.from} -> ${e.to} (${e.kind}; ${layerName(e.from)} is below ${layerName(e.to)})`);
  say(`process state in libraries: ${proc.length}`);
  for (const p of proc) say(`  ${p}`);
  if (unknown.length) say(`folders without a layer (treated as libraries; add them to LAYERS in scripts/check-imports.ts): ${unknown.join(', ')}`);
  if (report) return 0;
  return found.length || upward.length || proc.length ? 1 : 0;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
