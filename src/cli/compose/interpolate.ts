// Compose variable interpolation: ${VAR}, $VAR, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err},
// ${VAR:+alt}, ${VAR+alt}, and $$ for a literal dollar. Applied to every string value of a parsed compose file.

export type Lookup = (name: string) => string | undefined;

export class InterpolationError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Finds the end of a ${...} expression starting at `open` (index of '{'), honouring nested braces. */
function closingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

export function interpolate(s: string, lookup: Lookup, where = ''): string {
  if (!s.includes('$')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = closingBrace(s, i + 1);
      if (end < 0) throw new InterpolationError(`${where ? `${where}: ` : ''}invalid interpolation format for ${JSON.stringify(s)}: unterminated "\${"`);
      out += expand(s.slice(i + 2, end), lookup, where, s);
      i = end + 1;
      continue;
    }
    const m = NAME.exec(s.slice(i + 1));
    if (m) {
      out += lookup(m[0]) ?? '';
      i += 1 + m[0].length;
      continue;
    }
    // A lone '$' stays as it is.
    out += '$';
    i++;
  }
  return out;
}

function expand(body: string, lookup: Lookup, where: string, whole: string): string {
  const m = NAME.exec(body);
  if (!m) throw new InterpolationError(`${where ? `${where}: ` : ''}invalid interpolation format for ${JSON.stringify(whole)}: "\${${body}}"`);
  const name = m[0];
  const rest = body.slice(name.length);
  const value = lookup(name);
  if (rest === '') return value ?? '';
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0];
  if (!op) throw new InterpolationError(`${where ? `${where}: ` : ''}invalid interpolation format for ${JSON.stringify(whole)}: "\${${body}}"`);
  const arg = () => interpolate(rest.slice(op.length), lookup, where);
  const unsetOrEmpty = value === undefined || value === '';
  switch (op) {
    case ':-':
      return unsetOrEmpty ? arg() : value!;
    case '-':
      return value === undefined ? arg() : value;
    case ':+':
      return unsetOrEmpty ? '' : arg();
    case '+':
      return value === undefined ? '' : arg();
    case ':?':
    case '?': {
      const missing = op === ':?' ? unsetOrEmpty : value === undefined;
      if (missing) {
        const msg = arg();
        throw new InterpolationError(`${where ? `${where}: ` : ''}required variable ${name} is missing a value${msg ? `: ${msg}` : ''}`);
      }
      return value!;
    }
  }
  return value ?? '';
}

/** Interpolates every string (not keys) in a parsed YAML tree; `path` names the location in errors. */
export function interpolateTree(node: unknown, lookup: Lookup, path: string): unknown {
  if (typeof node === 'string') return interpolate(node, lookup, path);
  if (Array.isArray(node)) return node.map((v, i) => interpolateTree(v, lookup, `${path}[${i}]`));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, lookup, path ? `${path}.${k}` : k);
    return out;
  }
  return node;
}

/** Parses a .env / env_file: KEY=VALUE lines, # comments, optional `export `, single/double quotes. */
export function parseEnvFile(text: string, lookup?: Lookup): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trim();
    const eq = line.indexOf('=');
    if (eq < 0) {
      const v = lookup?.(line);
      if (v !== undefined) out[line] = v;
      continue;
    }
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.startsWith('"')) {
      // Double quotes may span lines and take escapes.
      let raw = value.slice(1);
      while (!/(^|[^\\])"\s*(#.*)?$/.test(raw) && n + 1 < lines.length) raw += '\n' + lines[++n]!;
      raw = raw.replace(/"\s*(#.*)?$/, '');
      value = raw.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      value = interpolate(value, (k) => out[k] ?? lookup?.(k));
    } else if (value.startsWith("'")) {
      value = value.slice(1).replace(/'\s*(#.*)?$/, '');
    } else {
      value = value.replace(/\s+#.*$/, '');
      value = interpolate(value, (k) => out[k] ?? lookup?.(k));
    }
    out[key] = value;
  }
  return out;
}
