// Who may do what to which repository. The ACL file is JSON:
//   [{"account":"alice","name":"alice/*","actions":["pull","push"]}, {"account":"*","name":"public/*","actions":["pull"]}]
// `account` "*" matches everyone, anonymous included; `name` is a glob where "*" matches any run of characters
// (slashes included); action "*" means every action. Without an ACL, authenticated accounts may do everything and
// anonymous clients nothing. Scope names follow the token spec: "repository:<name>:pull,push", "registry:catalog:*".
import { readFile } from 'node:fs/promises';

export const ALL_ACTIONS = ['pull', 'push', 'delete'] as const;

export interface AclEntry {
  account: string;
  name: string;
  actions: string[];
}

export interface Access {
  type: string;
  name: string;
  actions: string[];
}

export function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const actions = scope.slice(last + 1).split(',').filter((a) => a !== '');
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

export const formatScope = (a: Access): string => `${a.type}:${a.name}:${a.actions.join(',')}`;

const globRe = (glob: string): RegExp =>
  new RegExp('^' + glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');

export class Acl {
  private readonly entries: { account: string; name: RegExp; actions: Set<string> }[] | undefined;

  /** `entries` undefined: the default policy (authenticated → everything, anonymous → nothing). */
  constructor(entries?: AclEntry[]) {
    this.entries = entries?.map((e) => ({ account: e.account, name: globRe(e.name), actions: new Set(e.actions) }));
  }

  static async load(path: string): Promise<Acl> {
    const doc = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (!Array.isArray(doc)) throw new Error(`${path}: the ACL must be a JSON array`);
    for (const e of doc as AclEntry[]) {
      if (typeof e?.account !== 'string' || typeof e.name !== 'string' || !Array.isArray(e.actions)) {
        throw new Error(`${path}: each entry needs "account", "name" and "actions"`);
      }
    }
    return new Acl(doc as AclEntry[]);
  }

  /** The subset of `access.actions` that `account` (undefined: anonymous) may perform. */
  granted(account: string | undefined, access: Access): string[] {
    if (this.entries === undefined) return account === undefined ? [] : [...access.actions];
    const names = access.type === 'registry' ? `registry:${access.name}` : access.name;
    const allowed = new Set<string>();
    for (const e of this.entries) {
      if (e.account !== '*' && e.account !== account) continue;
      if (!e.name.test(names)) continue;
      for (const a of e.actions) allowed.add(a);
    }
    return access.actions.filter((a) => allowed.has('*') || allowed.has(a));
  }
}
