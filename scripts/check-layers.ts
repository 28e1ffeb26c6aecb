// The tier check CI runs: every import in src/ must go to a tier its own tier may use, tiers must not form a cycle,
// and daemon-side code must not block the event loop with node:fs / node:child_process *Sync calls.
//   node scripts/check-layers.ts [repo-root]
// A sync call that is truly needed (e.g. once at start-up) carries `// sync-ok: <reason>` on the same line.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ANY = '*';
const BELOW_ENGINE = [
  'base', 'spec', 'sys', 'store', 'remotes', 'image', 'runtime', 'logs', 'network', 'volume', 'stats', 'events',
  'builder',
];

/** Which top-level directories of src/ each tier may import (itself included). */
export const ALLOWED: Record<string, readonly string[]> = {
  base: ['base'],
  spec: ['base', 'spec'],
  sys: ['base', 'spec', 'sys'],
  store: ['base', 'spec', 'sys', 'store'],
  remotes: ['base', 'spec', 'sys', 'remotes'],
  image: ['base', 'spec', 'sys', 'store', 'remotes', 'image'],
  runtime: ['base', 'spec', 'sys', 'runtime'],
  logs: ['base', 'spec', 'sys', 'logs'],
  network: ['base', 'spec', 'sys', 'store', 'network'],
  volume: ['base', 'spec', 'sys', 'store', 'volume'],
  stats: ['base', 'spec', 'sys', 'store', 'stats'],
  events: ['base', 'spec', 'sys', 'store', 'events'],
  builder: ['base', 'spec', 'sys', 'store', 'image', 'runtime', 'builder'],
  engine: [...BELOW_ENGINE, 'engine'],
  // api owns the backend interfaces it needs; cmd binds them to engine.
  api: ['base', 'spec', 'api'],
  client: ['base', 'spec', 'client'],
  cli: ['base', 'spec', 'client', 'cli'],
  registry: ['base', 'spec', 'sys', 'registry'],
  cmd: [ANY],
};

/** base and spec do no I/O: the only node: modules they may use are pure ones. */
const PURE_TIERS = new Set(['base', 'spec']);
const PURE_NODE_MODULES = new Set(['crypto', 'util', 'buffer', 'events', 'string_decoder', 'path', 'url']);

/** Where blocking calls are fine: the CLI process and the entry points' wiring. */
const SYNC_EXEMPT_TIERS = new Set(['cli', 'cmd']);
const SYNC_MODULES = new Set(['fs', 'child_process']);

export interface Problem {
  file: string;
  line: number;
  message: string;
}

export interface CheckResult {
  files: number;
  problems: Problem[];
}

interface ImportRef {
  spec: string;
  line: number;
  /** Named bindings, for the sync check: `{ readFileSync as rf }` gives readFileSync with its line. */
  names: { name: string; line: number }[];
  /** A default or namespace binding (`import fs from`, `import * as fs from`). */
  local?: string;
  /** `import type`: still a dependency between tiers, but no I/O. */
  typeOnly?: boolean;
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTs(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Blanks comments (keeping newlines and `sync-ok` markers' lines intact) so commented-out imports are ignored. */
function stripComments(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else if (src.startsWith('//', i)) {
      const j = src.indexOf('\n', i);
      const end = j < 0 ? src.length : j;
      out += ' '.repeat(end - i);
      i = end;
    } else if (src.startsWith('/*', i)) {
      const j = src.indexOf('*/', i + 2);
      const end = j < 0 ? src.length : j + 2;
      out += src.slice(i, end).replace(/[^\n]/g, ' ');
      i = end;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const lineAt = (src: string, index: number): number => {
  let n = 1;
  for (let i = src.indexOf('\n'); i >= 0 && i < index; i = src.indexOf('\n', i + 1)) n++;
  return n;
};

export function findImports(source: string): ImportRef[] {
  const src = stripComments(source);
  const refs: ImportRef[] = [];
  const fromRe = /\b(import|export)\b(\s+type\b)?([^'";()]*?)\bfrom\s*(['"])([^'"\n]+)\4/g;
  for (const m of src.matchAll(fromRe)) {
    const clause = m[3]!;
    const clauseStart = m.index + m[0].indexOf(clause, m[1]!.length);
    const names: ImportRef['names'] = [];
    const brace = /\{([^}]*)\}/.exec(clause);
    if (brace) {
      const inner = clauseStart + brace.index + 1;
      for (const b of brace[1]!.matchAll(/(?:\btype\s+)?([A-Za-z_$][\w$]*)(?:\s+as\s+[\w$]+)?/g)) {
        names.push({ name: b[1]!, line: lineAt(src, inner + b.index) });
      }
    }
    const local = /^\s*(?:\*\s+as\s+)?([A-Za-z_$][\w$]*)/.exec(clause.replace(/\{[^}]*\}/, ''))?.[1];
    const line = lineAt(src, m.index + m[0].lastIndexOf(m[5]!));
    refs.push({ spec: m[5]!, line, names, local, typeOnly: m[2] !== undefined });
  }
  for (const m of src.matchAll(/\bimport\s*(['"])([^'"\n]+)\1/g)) {
    refs.push({ spec: m[2]!, line: lineAt(src, m.index), names: [] });
  }
  for (const m of src.matchAll(/\bimport\s*\(\s*(['"`])([^'"`\n]+)\1\s*\)/g)) {
    refs.push({ spec: m[2]!, line: lineAt(src, m.index), names: [] });
  }
  return refs;
}

/** Tests and test support (fakes under a testing/ directory) may block: they never run in the daemon. */
const isTest = (file: string): boolean => file.endsWith('.test.ts') || file.split(sep).includes('testing');

export function checkLayers(root: string): CheckResult {
  const srcDir = resolve(root, 'src');
  const files = listTs(srcDir);
  const problems: Problem[] = [];
  // tier → imported tier → first place it happens, for the cycle report.
  const edges = new Map<string, Map<string, string>>();

  for (const file of files) {
    const rel = relative(root, file).split(sep).join('/');
    const parts = relative(srcDir, file).split(sep);
    const tier = parts.length > 1 ? parts[0]! : undefined;
    const report = (line: number, message: string) => problems.push({ file: rel, line, message });
    const source = readFileSync(file, 'utf8');
    const lines = source.split('\n');
    const hatch = (line: number) => /\/\/\s*sync-ok:\s*\S/.test(lines[line - 1] ?? '');
    const allowed = tier === undefined ? undefined : ALLOWED[tier];
    if (tier !== undefined && allowed === undefined) {
      report(1, `unknown tier "${tier}": add it to ALLOWED in scripts/check-layers.ts`);
    }
    const syncChecked = tier !== undefined && !SYNC_EXEMPT_TIERS.has(tier) && !isTest(file);
    const syncLocals: string[] = [];

    for (const ref of findImports(source)) {
      if (ref.spec.startsWith('.')) {
        const target = resolve(dirname(file), ref.spec);
        const targetRel = relative(srcDir, target);
        if (targetRel.startsWith('..')) {
          if (!isTest(file)) report(ref.line, `→ ${ref.spec}: imports from outside src/`);
          continue;
        }
        const targetParts = targetRel.split(sep);
        const targetTier = targetParts.length > 1 ? targetParts[0]! : '(src root)';
        if (tier === undefined || allowed === undefined || targetTier === tier) continue;
        if (!edges.has(tier)) edges.set(tier, new Map());
        if (!edges.get(tier)!.has(targetTier)) edges.get(tier)!.set(targetTier, `${rel}:${ref.line}`);
        if (!allowed.includes(ANY) && !allowed.includes(targetTier)) {
          report(ref.line, `→ ${ref.spec}: tier "${tier}" may not import "${targetTier}"`);
        }
        continue;
      }
      const nodeMod = /^(?:node:)?([a-z_]+)(?:\/.*)?$/.exec(ref.spec)?.[1];
      const isNode = ref.spec.startsWith('node:') || (nodeMod !== undefined && SYNC_MODULES.has(nodeMod));
      const pure = PURE_NODE_MODULES.has(nodeMod!) || ref.typeOnly;
      if (isNode && tier !== undefined && PURE_TIERS.has(tier) && !isTest(file) && !pure) {
        report(ref.line, `→ ${ref.spec}: tier "${tier}" does no I/O`);
      }
      if (isNode && syncChecked && SYNC_MODULES.has(nodeMod!)) {
        for (const n of ref.names) {
          if (/Sync$/.test(n.name) && !hatch(n.line)) {
            report(n.line, `→ ${ref.spec}: ${n.name} blocks the event loop (mark "// sync-ok: <reason>" if needed)`);
          }
        }
        if (ref.local) syncLocals.push(ref.local);
      }
    }
    // Namespace or default imports: look for fs.readFileSync(...) uses.
    for (const local of syncLocals) {
      const use = new RegExp(`\\b${local.replace(/\$/g, '\\$')}\\s*\\.\\s*(\\w+Sync)\\b`, 'g');
      const code = stripComments(source);
      for (const m of code.matchAll(use)) {
        const line = lineAt(code, m.index);
        if (!hatch(line)) report(line, `→ ${local}.${m[1]}: blocks the event loop (mark "// sync-ok: <reason>" if needed)`);
      }
    }
  }

  for (const cycle of findCycles(edges)) {
    const path = cycle.map((t, i) => `${t} (${edges.get(t)!.get(cycle[(i + 1) % cycle.length]!)})`).join(' → ');
    problems.push({ file: 'src', line: 0, message: `tier cycle: ${path} → ${cycle[0]}` });
  }
  return { files: files.length, problems };
}

/** One representative cycle per strongly connected component of the tier graph (Tarjan). */
function findCycles(edges: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  const next = (v: string) => [...(edges.get(v)?.keys() ?? [])];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) cycles.push(cyclePath(v, new Set(scc), next));
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** A concrete cycle through `start` inside one strongly connected component (BFS back to start). */
function cyclePath(start: string, scc: Set<string>, next: (v: string) => string[]): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of next(v)) {
      if (!scc.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(prev.get(path[0]!)!);
        return path;
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

function main(): void {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const { files, problems } = checkLayers(root);
  if (problems.length === 0) {
    console.log(`layers: ok (${files} files)`);
    return;
  }
  for (const p of problems) console.error(`${p.file}:${p.line} ${p.message}`);
  console.error(`layers: ${problems.length} problem(s) in ${files} files`);
  process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
