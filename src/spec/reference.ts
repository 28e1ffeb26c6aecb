// Image references with Docker's grammar and normalization (distribution/reference):
//
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [ domain "/" ] path-component { "/" path-component }
//   domain     := host [ ":" port ]          host: DNS name, IPv4, or [IPv6]
//   path-comp  := [a-z0-9]+ { separator [a-z0-9]+ }      separator := [_.] | "__" | "-"+
//   tag        := [\w][\w.-]{0,127}
//   digest     := algorithm ":" hex{32,}
//
// Normalization: a first component without ".", ":" or "localhost" (and lowercase) is a path, not a domain; the domain
// then is docker.io, and single-component docker.io names live under "library/".

import { invalidArgument } from '../base/errors.ts';

export interface Reference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_TOTAL_MAX = 255;

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainName}|${ipv6})`;
const domainRe = `${host}(?::[0-9]+)?`;
const tagRe = '[\\w][\\w.-]{0,127}';
const digestRe = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const nameRe = `(?:${domainRe}/)?${pathComponent}(?:/${pathComponent})*`;

const REFERENCE = new RegExp(`^(${nameRe})(?::(${tagRe}))?(?:@(${digestRe}))?$`);
const DOMAIN = new RegExp(`^${domainRe}$`);
const ANCHORED_ID = /^[a-f0-9]{64}$/;
const TAG = new RegExp(`^${tagRe}$`);

const invalidFormat = (detail?: string) =>
  invalidArgument(detail ? `invalid reference format: ${detail}` : 'invalid reference format', 'invalid_reference');

/** Splits "name" into domain and path the way Docker decides whether the first component is a registry host. */
function splitDockerDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return [domain, remainder];
}

/** Parses a user-supplied reference ("busybox", "localhost:5000/a/b:1", "x@sha256:...") into its normalized form. */
export function parseReference(s: string): Reference {
  if (s === '') throw invalidFormat();
  if (ANCHORED_ID.test(s)) {
    throw invalidArgument(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`, 'invalid_reference');
  }
  const [domain, remainder] = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remoteName = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remoteName.toLowerCase() !== remoteName) {
    throw invalidFormat(`repository name (${remoteName}) must be lowercase`);
  }
  const m = REFERENCE.exec(`${domain}/${remainder}`);
  if (!m) throw invalidFormat();
  const full = m[1]!;
  if (full.length > NAME_TOTAL_MAX) throw invalidFormat(`repository name must not be more than ${NAME_TOTAL_MAX} characters`);
  const slash = full.indexOf('/');
  const ref: Reference = { domain: full.slice(0, slash), path: full.slice(slash + 1) };
  if (!DOMAIN.test(ref.domain)) throw invalidFormat();
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) ref.digest = m[3];
  return ref;
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Adds the default tag when the reference has neither tag nor digest (`docker pull busybox` means busybox:latest). */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** The repository name alone, fully qualified: docker.io/library/busybox. */
export const normalizedName = (ref: Reference): string => `${ref.domain}/${ref.path}`;

/** The repository name as users write it: busybox, user/app, localhost:5000/x. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return `${ref.domain}/${ref.path}`;
  const p = ref.path;
  if (p.startsWith(OFFICIAL_REPO_PREFIX) && !p.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
    return p.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return p;
}

const suffix = (ref: Reference) => (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');

/** busybox:latest, localhost:5000/x:1, user/app@sha256:... */
export const familiarString = (ref: Reference): string => familiarName(ref) + suffix(ref);

/** docker.io/library/busybox:latest */
export const normalizedString = (ref: Reference): string => normalizedName(ref) + suffix(ref);
