import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, goJson, sprintf } from './go-template.ts';
import { isBerthError } from '../../base/errors.ts';

const container = {
  ID: 'abc123',
  Names: 'web',
  Labels: { b: '2', a: '1', 'com.example.x': 'y' },
  Mounts: [
    { Source: '/src', Destination: '/dst', RW: true },
    { Source: '/v', Destination: '/data', RW: false },
  ],
  State: { Status: 'running', Running: true, Pid: 1234, ExitCode: 0 },
  Args: ['-c', 'echo <hi> & bye'],
  Empty: [],
  Zero: 0,
  Nil: null,
  Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] },
};

const cases: [string, string][] = [
  ['plain text', 'plain text'],
  ['{{.ID}}\t{{.Names}}', 'abc123\tweb'],
  ['{{.State.Status}}', 'running'],
  ['{{.State.Pid}} {{.State.Running}}', '1234 true'],
  ['{{.Missing}}', '<no value>'],
  ['{{.Nil}}', '<no value>'],
  ['{{.Missing.Deeper}}', '<no value>'],
  ['{{index .Labels "a"}}', '1'],
  ['{{index .Labels "com.example.x"}}', 'y'],
  ['{{index .Labels "zz"}}', ''],
  ['{{index .Mounts 1 | json}}', '{"Source":"/v","Destination":"/data","RW":false}'],
  ['{{(index .Mounts 0).Source}}', '/src'],
  ['{{(index (index .Ports "80/tcp") 0).HostPort}}', '8080'],
  ['{{range .Mounts}}{{.Source}} {{end}}', '/src /v '],
  ['{{range $i, $m := .Mounts}}{{$i}}:{{$m.Destination}},{{end}}', '0:/dst,1:/data,'],
  ['{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}', 'a=1;b=2;com.example.x=y;'],
  ['{{range .Empty}}x{{else}}none{{end}}', 'none'],
  ['{{range .Args}}{{if eq . "-c"}}{{continue}}{{end}}[{{.}}]{{end}}', '[echo <hi> & bye]'],
  ['{{range .Args}}[{{.}}]{{break}}{{end}}', '[-c]'],
  ['{{range 3}}{{.}}{{end}}', '012'],
  ['{{json .}}', ''], // replaced below
  ['{{json .Labels}}', '{"b":"2","a":"1","com.example.x":"y"}'],
  ['{{json .Args}}', '["-c","echo <hi> & bye"]'],
  ['{{json .Missing}}', 'null'],
  ['{{.Args | json}}', '["-c","echo <hi> & bye"]'],
  ['{{.Labels}}', 'map[a:1 b:2 com.example.x:y]'],
  ['{{.Args}}', '[-c echo <hi> & bye]'],
  ['{{if .State.Running}}up{{else}}down{{end}}', 'up'],
  ['{{if .Zero}}yes{{else if .Empty}}empty{{else}}no{{end}}', 'no'],
  ['{{if not .Zero}}zero{{end}}', 'zero'],
  ['{{if and .State.Running (eq .State.Status "running")}}ok{{end}}', 'ok'],
  ['{{or .Zero "fallback"}}', 'fallback'],
  ['{{and .State.Running .Names}}', 'web'],
  ['{{if ne .Names "db"}}not db{{end}}', 'not db'],
  ['{{if eq .State.ExitCode 0 1}}listed{{end}}', 'listed'],
  ['{{if lt .State.Pid 2000}}small{{end}}', 'small'],
  ['{{with .State}}{{.Status}}{{end}}', 'running'],
  ['{{with .Missing}}x{{else}}nothing{{end}}', 'nothing'],
  ['{{with .Missing}}a{{else with .Names}}{{.}}{{end}}', 'web'],
  ['{{range $i := .Args}}{{$i}}{{end}}', '-cecho <hi> & bye'],
  ['{{index .Labels "a" | printf "%s!"}}', '1!'],
  ['{{println}}x', '\nx'],
  ['{{len .Mounts}} {{len .Labels}} {{len "héllo"}}', '2 3 6'],
  ['{{join .Args ", "}}', '-c, echo <hi> & bye'],
  ['{{upper .Names}} {{lower "ABC"}} {{title "hello wide-world"}}', 'WEB abc Hello Wide-World'],
  ['{{.Names | upper}}', 'WEB'],
  ['{{split "a:b:c" ":"}}', '[a b c]'],
  ['{{index (split "busybox:latest" ":") 1}}', 'latest'],
  ['{{truncate .ID 3}}|{{truncate "ab" 5}}', 'abc|ab'],
  ['{{pad .Names 2 1}}|{{pad "" 2 2}}|', '  web ||'],
  ['{{println .Names 1 2}}', 'web 1 2\n'],
  ['{{print 1 2 "a" 3}}', '1 2a3'],
  ['{{printf "%s has pid %d (%v) %q %%" .Names .State.Pid .State.Running .Names}}', 'web has pid 1234 (true) "web" %'],
  ['{{printf "%-6s|%5d|%05d" "ab" 42 42}}', 'ab    |   42|00042'],
  ['{{.Names | printf "name=%s"}}', 'name=web'],
  ['{{$n := .Names}}{{range .Mounts}}{{$n}}:{{.Source}} {{end}}', 'web:/src web:/v '],
  ['{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', '2'],
  ['{{range .Mounts}}{{$.Names}}{{end}}', 'webweb'],
  ['a  {{- .Names -}}  b', 'awebb'],
  ['{{- /* a comment */ -}}\n  x', 'x'],
  ['{{"quoted\\tstring"}} {{`raw\\n`}} {{42}} {{1.5}} {{-3}} {{0x1F}} {{\'a\'}}', 'quoted\tstring raw\\n 42 1.5 -3 31 97'],
  ['{{true}} {{false}}', 'true false'],
  ['{{slice "abcdef" 1 3}}', 'bc'],
  ['{{"{{"}}not an action}}', '{{not an action}}'],
];

test('template outputs', () => {
  for (const [src, want] of cases) {
    if (src === '{{json .}}') continue;
    assert.equal(compileTemplate(src)(container), want, src);
  }
});

test('{{json .}} of plain data keeps key order and does not escape HTML', () => {
  const data = { Id: 'x', Args: ['<a&b>'], Labels: {}, N: 1.5, T: true, Nil: null };
  assert.equal(compileTemplate('{{json .}}')(data), '{"Id":"x","Args":["<a&b>"],"Labels":{},"N":1.5,"T":true,"Nil":null}');
  assert.equal(goJson('\u2028'), '"\\u2028"');
});

class ContainerContext {
  readonly #c: { id: string; labels: Record<string, string>; ports: string };
  constructor(c: { id: string; labels: Record<string, string>; ports: string }) {
    this.#c = c;
  }
  get ID(): string {
    return this.#c.id.slice(0, 3);
  }
  get Ports(): string {
    return this.#c.ports;
  }
  get Labels(): string {
    return Object.entries(this.#c.labels).map(([k, v]) => `${k}=${v}`).join(',');
  }
  Label(name: string): string {
    return this.#c.labels[name] ?? '';
  }
}

test('context objects: getters are fields, methods take arguments, json sorts keys and escapes HTML', () => {
  const ctx = new ContainerContext({ id: 'abcdef', labels: { a: '1' }, ports: '0.0.0.0:80->80/tcp' });
  assert.equal(compileTemplate('{{.ID}} {{.Label "a"}} {{.Label "b"}}|{{.Labels}}')(ctx), 'abc 1 |a=1');
  assert.equal(
    compileTemplate('{{json .}}')(ctx),
    '{"ID":"abc","Labels":"a=1","Ports":"0.0.0.0:80-\\u003e80/tcp"}',
  );
  assert.equal(compileTemplate('{{.constructor}}')(ctx), '<no value>');
});

test('parse errors are invalid_argument with Go-shaped messages', () => {
  const bad: [string, RegExp][] = [
    ['{{.Foo}', /^template: :1: bad character U\+007D '}'$/],
    ['{{if}}{{end}}', /missing value for if/],
    ['{{.Foo }', /^template: :1: unexpected "}" in operand$/],
    ['{{.Foo', /unclosed action/],
    ['{{if .X}}x', /unexpected EOF/],
    ['{{end}}', /unexpected \{\{end\}\}/],
    ['{{nosuch .X}}', /function "nosuch" not defined/],
    ['{{$y}}', /undefined variable "\$y"/],
    ['{{"abc}}', /unterminated quoted string/],
    ['{{.X | 3}}', /non executable command in pipeline stage 2/],
    ['{{break}}', /outside \{\{range\}\}/],
  ];
  for (const [src, re] of bad) {
    assert.throws(
      () => compileTemplate(src),
      (e: unknown) => isBerthError(e, 'invalid_argument') && re.test(e.message),
      src,
    );
  }
});

test('execution errors name the failing node', () => {
  const run = (src: string, opts = {}) => () => compileTemplate(src, opts)(container);
  assert.throws(run('{{index .Mounts 5}}'), /template: :1:2: executing "" at <index .Mounts 5>: error calling index: index out of range: 5/);
  assert.throws(run('{{.Names.Foo}}'), /can't evaluate field Foo in type string/);
  assert.throws(run('{{.Names 1}}'), /Names is not a method but has arguments/);
  assert.throws(run('{{if eq .Names 1}}{{end}}'), /:1:5: executing "" at <eq .Names 1>: error calling eq: incompatible types for comparison/);
  assert.throws(run('{{$z = 2}}'), /at <2>: undefined variable: \$z/);
  assert.throws(run('{{.State.Nope}}', { missingKey: 'error' }), /at <\.State\.Nope>: map has no entry for key "Nope"/);
});

test('sprintf covers bad verbs, missing and extra arguments', () => {
  assert.equal(sprintf('%d', ['x']), '%!d(string=x)');
  assert.equal(sprintf('%s %s', ['a']), 'a %!s(MISSING)');
  assert.equal(sprintf('%s', ['a', 2]), 'a%!(EXTRA int=2)');
  assert.equal(sprintf('%.2f|%x|%X|%q', [3.14159, 255, 'hi', 'a"b\n']), '3.14|ff|6869|"a\\"b\\n"');
  assert.equal(sprintf('%v %v', [[1, 'a'], null]), '[1 a] <nil>');
});

test('custom funcs override builtins (table headers)', () => {
  const t = compileTemplate('{{upper .Names}}', { funcs: { upper: (v) => v } });
  assert.equal(t({ Names: 'NAMES' }), 'NAMES');
});
