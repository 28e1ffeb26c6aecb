import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderFormat, tabwrite } from './table.ts';

const rows = [
  { ID: '4fa6e0f0c678', Image: 'busybox', Names: 'web', Status: 'Up 2 hours', Ports: '0.0.0.0:80->80/tcp' },
  { ID: 'aaaabbbbcccc', Image: 'debian:bookworm', Names: 'a_very_long_container_name_here', Status: 'Exited (0) 3 minutes ago', Ports: '' },
];
const headers = { ID: 'CONTAINER ID', Image: 'IMAGE', Names: 'NAMES', Status: 'STATUS' };
const defaultFormat = 'table {{.ID}}\t{{.Image}}\t{{.Names}}\t{{.Status}}';

// Expected outputs below were produced by docker CLI 28 (`docker ps -a --format ...`) on the same rows.
test('default table aligns like docker ps', () => {
  assert.equal(
    renderFormat({ defaultFormat, headers, rows }),
    'CONTAINER ID   IMAGE             NAMES                             STATUS\n' +
      '4fa6e0f0c678   busybox           web                               Up 2 hours\n' +
      'aaaabbbbcccc   debian:bookworm   a_very_long_container_name_here   Exited (0) 3 minutes ago\n',
  );
  assert.equal(renderFormat({ format: 'table', defaultFormat, headers, rows: [rows[0]] }).split('\n')[0],
    'CONTAINER ID   IMAGE     NAMES     STATUS');
});

test('an empty table still prints its header', () => {
  assert.equal(renderFormat({ defaultFormat, headers, rows: [] }), 'CONTAINER ID   IMAGE     NAMES     STATUS\n');
});

test('literal \\t and \\n, header functions, multi-line rows', () => {
  assert.equal(
    renderFormat({ format: 'table {{.ID}}\\t{{.Names}}\\n{{.Image}}\\t{{.Status}}', defaultFormat, headers, rows }),
    'CONTAINER ID      NAMES\nIMAGE             STATUS\n4fa6e0f0c678      web\nbusybox           Up 2 hours\n' +
      'aaaabbbbcccc      a_very_long_container_name_here\ndebian:bookworm   Exited (0) 3 minutes ago\n',
  );
  assert.equal(
    renderFormat({ format: 'table {{upper .Names}}\t{{.Custom}}', defaultFormat, headers, rows: [rows[0]] }),
    'NAMES     CUSTOM\nWEB       <no value>\n',
  );
});

test('raw templates, json and quiet', () => {
  assert.equal(renderFormat({ format: '{{.ID}}\\t{{.Names}}', defaultFormat, headers, rows }),
    '4fa6e0f0c678\tweb\naaaabbbbcccc\ta_very_long_container_name_here\n');
  assert.equal(renderFormat({ format: '{{.ID}}', defaultFormat, headers, rows: [] }), '');
  assert.equal(renderFormat({ format: 'json', defaultFormat, headers, rows: [rows[0]] }),
    '{"ID":"4fa6e0f0c678","Image":"busybox","Names":"web","Status":"Up 2 hours","Ports":"0.0.0.0:80->80/tcp"}\n');
  assert.equal(renderFormat({ defaultFormat, headers, rows, quiet: true }), '4fa6e0f0c678\naaaabbbbcccc\n');
  assert.equal(renderFormat({ format: '{{.Names}}', defaultFormat, headers, rows, quiet: true }),
    'web\na_very_long_container_name_here\n');
});

test('tabwriter: columns are sized per block of lines that have them', () => {
  assert.equal(tabwrite('a\tb\tc\nlonger-cell-x\tb\n\nx\ty\n'),
    'a               b         c\nlonger-cell-x   b\n\nx         y\n');
  assert.equal(tabwrite('日本\tx\n'), '日本        x\n');
});
