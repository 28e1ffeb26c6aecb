// `docker import --change` / `docker commit --change`: Dockerfile instructions applied to an image's runtime config.
// Each change is one Dockerfile line; errors name its line number (1-based position in the list) as Docker does.
// Not supported (as in Docker): FROM, RUN, COPY, ADD, ARG, SHELL, ... Variable expansion ($VAR) is not done.

import { invalidArgument } from '../base/errors.ts';
import type { ImageRuntimeConfig } from '../spec/docker-api.ts';

const CHANGE_INSTRUCTIONS = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);
const OTHER_INSTRUCTIONS = new Set(['ADD', 'ARG', 'COPY', 'FROM', 'HEALTHCHECK', 'MAINTAINER', 'RUN', 'SHELL']);
const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Splits on unquoted whitespace, removing quotes and backslash escapes (Dockerfile word rules for ENV/LABEL). */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '"' || c === "'") quote = c;
    else if (c === '\\' && i + 1 < s.length) cur += s[++i];
    else cur += c;
  }
  if (quote) throw invalidArgument(`unexpected end of statement while looking for matching ${quote}`);
  if (inWord) words.push(cur);
  return words;
}

/** JSON exec form (["a","b"]) or undefined for shell form. */
function parseJsonArray(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(rest);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // Not JSON: Docker falls back to the shell form.
  }
  return undefined;
}

/** KEY=VALUE pairs, or the legacy "KEY VALUE..." form. */
function keyValues(name: string, rest: string): [string, string][] {
  const words = splitWords(rest);
  if (words.length === 0) throw invalidArgument(`${name} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const m = /^(\S+)\s+(.*)$/s.exec(rest);
    if (!m) throw invalidArgument(`${name} must have two arguments`);
    const value = splitWords(m[2]!).join(' ');
    return [[m[1]!, value]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) throw invalidArgument(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    const key = w.slice(0, eq);
    if (!key) throw invalidArgument(`${name} names can not be blank`);
    return [key, w.slice(eq + 1)];
  });
}

function exposedPorts(words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    const m = /^(\d+)(?:-(\d+))?(?:\/([a-zA-Z]+))?$/.exec(w);
    if (!m) throw invalidArgument(`Invalid containerPort: ${w}`);
    const proto = (m[3] ?? 'tcp').toLowerCase();
    if (!['tcp', 'udp', 'sctp'].includes(proto)) throw invalidArgument(`Invalid proto: ${proto}`);
    const start = Number(m[1]);
    const end = m[2] === undefined ? start : Number(m[2]);
    if (start < 1 || end > 65535 || end < start) throw invalidArgument(`Invalid containerPort: ${w}`);
    for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  }
  return out;
}

function joinWorkdir(current: string | undefined, dir: string): string {
  const abs = dir.startsWith('/') ? dir : `${current || '/'}/${dir}`;
  const parts: string[] = [];
  for (const p of abs.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}

/** Returns a new config with `changes` applied in order. */
export function applyConfigChanges(base: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig {
  const cfg: ImageRuntimeConfig = structuredClone(base);
  let cmdSet = false;
  changes.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const m = /^(\S+)\s*(.*)$/s.exec(trimmed)!;
    const name = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    if (!CHANGE_INSTRUCTIONS.has(name)) {
      if (OTHER_INSTRUCTIONS.has(name)) throw invalidArgument(`${name} is not a valid change command`);
      throw invalidArgument(`dockerfile parse error line ${index + 1}: unknown instruction: ${name}`);
    }
    switch (name) {
      case 'CMD':
      case 'ENTRYPOINT': {
        const argv = parseJsonArray(rest) ?? (rest === '' ? [] : [...DEFAULT_SHELL, rest]);
        if (name === 'CMD') {
          cfg.Cmd = argv;
          cmdSet = true;
        } else {
          cfg.Entrypoint = argv;
          // As in a Dockerfile: a new ENTRYPOINT drops an inherited CMD unless CMD was set here too.
          if (!cmdSet) cfg.Cmd = null;
        }
        break;
      }
      case 'ENV': {
        const env = [...(cfg.Env ?? [])];
        for (const [k, v] of keyValues(name, rest)) {
          const i = env.findIndex((e) => e.split('=', 1)[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        cfg.Env = env;
        break;
      }
      case 'LABEL': {
        const labels = { ...(cfg.Labels ?? {}) };
        for (const [k, v] of keyValues(name, rest)) labels[k] = v;
        cfg.Labels = labels;
        break;
      }
      case 'EXPOSE': {
        const words = splitWords(rest);
        if (words.length === 0) throw invalidArgument('EXPOSE requires at least one argument');
        const ports = { ...(cfg.ExposedPorts ?? {}) };
        for (const p of exposedPorts(words)) ports[p] = {};
        cfg.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const vols = parseJsonArray(rest) ?? splitWords(rest);
        if (vols.length === 0) throw invalidArgument('VOLUME requires at least one argument');
        const volumes = { ...(cfg.Volumes ?? {}) };
        for (const v of vols) {
          if (v.trim() === '') throw invalidArgument('VOLUME specified can not be an empty string');
          volumes[v] = {};
        }
        cfg.Volumes = volumes;
        break;
      }
      case 'WORKDIR':
        if (rest === '') throw invalidArgument('WORKDIR requires exactly one argument');
        cfg.WorkingDir = joinWorkdir(cfg.WorkingDir, splitWords(rest).join(' '));
        break;
      case 'USER':
        if (rest === '') throw invalidArgument('USER requires exactly one argument');
        cfg.User = rest;
        break;
      case 'STOPSIGNAL':
        if (rest === '') throw invalidArgument('STOPSIGNAL requires exactly one argument');
        cfg.StopSignal = rest;
        break;
      case 'ONBUILD': {
        const inner = /^(\S+)\s*(.*)$/s.exec(rest);
        if (!inner) throw invalidArgument('ONBUILD requires at least one argument');
        const instr = inner[1]!.toUpperCase();
        if (instr === 'ONBUILD' || instr === 'FROM' || instr === 'MAINTAINER') {
          throw invalidArgument(`${instr} isn't allowed as an ONBUILD trigger`);
        }
        cfg.OnBuild = [...(cfg.OnBuild ?? []), `${instr} ${inner[2]}`.trim()];
        break;
      }
    }
  });
  return cfg;
}
