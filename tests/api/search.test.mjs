// Finding people by what a support agent types: Chinese names by one or two characters, accents
// and letter case folded, full-width letters, mixed scripts, parts of e-mail addresses; a search
// sorted by name takes the same matches in name order whether the term is rare (the index finds
// every match) or common (a walk through the names keeps the matches); a walk that reaches its
// budget answers a partial page whose cursor goes on; rows written before the search columns
// existed are found after a restart. The server runs with --search-budget 40 (so a term with more
// than 10 matches is "common"), on SQLite or, under `make pg`, PostgreSQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, restartServer, listAll, dbExec, BIN } from './lib/server.mjs';
import { assertProblem } from './lib/helpers.mjs';

let srv;
const BUDGET = 40;
const made = {}; // username -> id

// username, first name, last name, e-mail
const PEOPLE = [
  ['liwei', '伟', '李', 'wei.li@example.cn'],
  ['wangfang', '芳', '王', 'fang.wang@example.cn'],
  ['ouyang', '娜娜', '欧阳', 'nana.ouyang@example.cn'],
  ['liqiang', '强', '李', 'qiang.li@example.cn'],
  ['mixed', 'Wei', '李', 'mixed@example.cn'],
  ['tanaka', 'はると', '田中', 'haruto@example.jp'],
  ['kim', '민준', '김', 'minjun.kim@example.kr'],
  ['emile', 'Émile', 'Zola', 'emile.zola@lettres.example'],
  ['jose', 'José', 'Núñez', 'jnunez@acme-corp.example'],
  ['MEI.CHEN', 'Mei', 'Chen', 'Mei.Chen@ACME-Corp.example'],
  ['wide', 'Ｊｕｌｉａ', 'Ｗｉｄｅ', 'julia.wide@example.com'],
  ['mr.x', 'Xavier', 'Ray', 'x@example.org'],
];

// Names that sort first (aaa...) and come before the markers in name order.
const FILLERS = 50;
const MARKERS = [
  'One',
  'Two',
  'Three',
  'Four',
  'Five',
  'Six',
  'Seven',
  'Eight',
  'Nine',
  'Ten',
  'Eleven',
  'Twelve',
].map((n) => `Zz Marker ${n}`);

const names = (items) => items.map((u) => u.username);
const find = async (q, extra = '') =>
  names(await listAll(srv, `/api/v1/users?q=${encodeURIComponent(q)}${extra}`));

before(async () => {
  srv = await startServer({ args: ['--search-budget', String(BUDGET)] });
  for (const [username, first_name, last_name, email] of PEOPLE) {
    const r = await srv.api('POST', '/api/v1/users', {
      body: {
        username,
        first_name,
        last_name,
        email,
        password: 'a long enough password for search',
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    made[username] = r.body.id;
  }
  for (let i = 0; i < FILLERS; i++) {
    const username = `filler${String(i).padStart(2, '0')}`;
    const r = await srv.api('POST', '/api/v1/users', {
      body: {
        username,
        first_name: 'Aaa',
        last_name: `Filler ${i}`,
        email: `${username}@example.net`,
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    made[username] = r.body.id;
  }
  for (const [i, full] of MARKERS.entries()) {
    const [first_name, ...rest] = full.split(' ');
    const username = `marker${i}`;
    const r = await srv.api('POST', '/api/v1/users', {
      body: {
        username,
        first_name,
        last_name: rest.join(' '),
        email: `${username}+zz@example.net`,
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    made[username] = r.body.id;
  }
});

after(async () => {
  await srv?.stop();
});

test('Chinese names are found by one character, by two, and family name first', async () => {
  assert.deepEqual((await find('李')).sort(), ['liqiang', 'liwei', 'mixed']);
  assert.deepEqual(await find('伟'), ['liwei']);
  assert.deepEqual(await find('李伟'), ['liwei'], 'family name and given name written together');
  assert.deepEqual(await find('王芳'), ['wangfang']);
  assert.deepEqual(await find('芳'), ['wangfang']);
  assert.deepEqual(await find('欧阳'), ['ouyang'], 'a two-character family name');
  assert.deepEqual(await find('阳'), ['ouyang'], 'any character of a name');
  assert.deepEqual(await find('欧阳娜'), ['ouyang'], 'three characters');
  assert.deepEqual(await find('欧阳娜娜'), ['ouyang']);
  assert.deepEqual(await find('娜娜'), ['ouyang']);
  assert.deepEqual(await find('李明'), [], 'no such person');
  assert.deepEqual(await find('伟李'), [], 'given name first is not how the name is written');
});

test('Japanese and Korean names are found by their characters', async () => {
  assert.deepEqual(await find('田中'), ['tanaka']);
  assert.deepEqual(await find('はると'), ['tanaka']);
  assert.deepEqual(await find('はる'), ['tanaka']);
  assert.deepEqual(await find('김'), ['kim']);
  assert.deepEqual(await find('민준'), ['kim']);
  assert.deepEqual(await find('김민준'), ['kim']);
});

test('mixed scripts: a Latin given name with a Chinese family name', async () => {
  assert.deepEqual((await find('wei')).sort(), ['liwei', 'mixed']);
  assert.deepEqual(await find('李wei'), ['mixed']);
  assert.deepEqual(await find('李 wei'), [], 'the written-together form has no space');
});

test('letter case, accents and full-width letters are folded', async () => {
  for (const q of ['emile', 'EMILE', 'Émile', 'émile', 'ÉMILE', 'Emi', 'em', 'E']) {
    assert.ok((await find(q)).includes('emile'), `q=${q}`);
  }
  for (const q of ['nunez', 'NÚÑEZ', 'Núñez', 'nuñ', 'jose', 'JOSÉ']) {
    assert.deepEqual(await find(q), ['jose'], `q=${q}`);
  }
  for (const q of ['julia', 'JULIA', 'Ｊｕｌｉａ', 'ｊｕ', 'wide']) {
    assert.deepEqual(await find(q), ['wide'], `q=${q}`);
  }
  assert.deepEqual(await find('mei.chen'), ['MEI.CHEN']);
  assert.deepEqual(await find('MEI.CHEN'), ['MEI.CHEN']);
});

test('parts of e-mail addresses: local part, domain, with and without @', async () => {
  assert.deepEqual((await find('acme-corp')).sort(), ['MEI.CHEN', 'jose']);
  assert.deepEqual((await find('@acme')).sort(), ['MEI.CHEN', 'jose']);
  assert.deepEqual((await find('ac')).sort(), ['MEI.CHEN', 'jose'], 'the start of a domain word');
  assert.deepEqual(await find('lettres'), ['emile']);
  assert.deepEqual(await find('zola@'), ['emile']);
  assert.deepEqual(await find('example.jp'), ['tanaka']);
  assert.deepEqual(await find('x@'), ['mr.x'], 'a short term with other characters: anywhere');
  assert.deepEqual(await find('r.'), ['mr.x']);
});

test('one and two letters match the start of a word, not its inside', async () => {
  const z = await find('zo');
  assert.ok(z.includes('emile'), 'Zola');
  assert.ok(!z.includes('ouyang'));
  assert.ok(!(await find('ul')).includes('wide'), 'julia has "ul" inside only');
  assert.ok((await find('ju')).includes('wide'));
});

test('sorted by name: a rare term (index) and a common one (walk) give the matches in name order', async () => {
  // rare: three matches, at most a quarter of the budget
  const rare = await listAll(srv, '/api/v1/users?q=%E6%9D%8E&sort=name', { limit: 2 });
  assert.deepEqual(names(rare).sort(), ['liqiang', 'liwei', 'mixed']);
  const keys = rare.map((u) => `${u.first_name} ${u.last_name}`.toLowerCase());
  assert.deepEqual(keys, [...keys].sort(), 'name order');
  // common: every filler (50 > 4) and several others; pages of 7 through the walk
  const common = await listAll(srv, '/api/v1/users?q=filler&sort=name', { limit: 7 });
  assert.equal(common.length, FILLERS);
  const fk = common.map((u) => `${u.first_name} ${u.last_name}`.toLowerCase());
  assert.deepEqual(fk, [...fk].sort(), 'name order');
  assert.equal(new Set(common.map((u) => u.id)).size, FILLERS, 'each once');
  // descending
  const desc = await listAll(srv, '/api/v1/users?q=filler&sort=-name', { limit: 9 });
  assert.deepEqual(names(desc), [...names(common)].reverse());
  // by username, a column the walk reads from the rows
  const byUser = await listAll(srv, '/api/v1/users?q=filler&sort=username', { limit: 11 });
  assert.deepEqual(names(byUser), [...names(byUser)].sort());
  assert.equal(byUser.length, FILLERS);
});

test('a common term clustered late in name order: the walk ends short, the index completes the page', async () => {
  // "marker": 12 matches (common for a budget of 40), all after the 50 fillers in name order
  const r = await srv.api('GET', '/api/v1/users?q=marker&sort=name&limit=50');
  assert.equal(r.status, 200);
  assert.equal(r.body.partial, false, JSON.stringify(r.body));
  assert.deepEqual(
    r.body.items.map((u) => u.last_name),
    MARKERS.map((m) => m.slice(3)).sort(),
  );
  assert.equal(r.body.next_cursor, null);
});

test('a walk that reaches its budget answers a partial page; its cursor goes on to every match', async () => {
  // "+z" (a short term with other characters than letters: no index serves it) is in the
  // markers' e-mail addresses only, which sort after the 50 fillers
  const first = await srv.api('GET', '/api/v1/users?q=%2Bz&sort=name&limit=50');
  assert.equal(first.status, 200);
  assert.equal(first.body.partial, true, JSON.stringify(first.body));
  assert.equal(first.body.items.length, 0, 'no marker among the first 40 names');
  assert.ok(first.body.next_cursor);
  const all = await listAll(srv, '/api/v1/users?q=%2Bz&sort=name', { limit: 50 });
  assert.deepEqual(
    all.map((u) => u.last_name),
    MARKERS.map((m) => m.slice(3)).sort(),
  );
  // by id as well (the walk goes along the ids)
  const byId = await listAll(srv, '/api/v1/users?q=%2Bz', { limit: 5 });
  assert.deepEqual(
    byId.map((u) => u.id),
    MARKERS.map((_, i) => made[`marker${i}`]),
  );
  // a page filled before the budget ran out is not partial
  const full = await srv.api('GET', '/api/v1/users?q=filler&sort=name&limit=7');
  assert.equal(full.body.partial, false);
  assert.equal(full.body.items.length, 7);
  assert.ok(full.body.next_cursor);
  // the index's answers are never partial
  const rare = await srv.api('GET', '/api/v1/users?q=%E6%9D%8E&sort=name');
  assert.equal(rare.body.partial, false);
  assert.equal(rare.body.next_cursor, null);
  const rareById = await srv.api('GET', '/api/v1/users?q=%E6%9D%8E');
  assert.equal(rareById.body.partial, false);
});

test('q folding to nothing lists everyone; spaces around a term are ignored', async () => {
  const all = await srv.api('GET', '/api/v1/users?limit=1');
  const blank = await srv.api('GET', `/api/v1/users?limit=1&q=${encodeURIComponent('   ')}`);
  assert.equal(blank.status, 200);
  assert.deepEqual(names(blank.body.items), names(all.body.items));
  assert.deepEqual(await find('  李伟  '), ['liwei']);
  const long = await srv.api('GET', `/api/v1/users?q=${'李'.repeat(101)}`);
  assertProblem(long, 400, 'q');
});

test('users written before the search columns existed are found after a restart', async () => {
  dbExec(srv, 'UPDATE users SET search_key = NULL, search_grams = NULL');
  assert.deepEqual(await find('伟'), [], 'the columns are empty');
  await srv.kill('SIGTERM');
  srv = await restartServer(srv, { args: ['--search-budget', String(BUDGET)] });
  assert.deepEqual(await find('伟'), ['liwei']);
  assert.deepEqual(await find('nunez'), ['jose']);
  assert.deepEqual((await find('ac')).sort(), ['MEI.CHEN', 'jose']);
});

test('--search-budget out of its range is refused at start with the range', () => {
  for (const v of ['5', '10000001']) {
    const r = spawnSync(
      BIN,
      ['serve', '--db', srv.db, '--listen', '127.0.0.1:0', '--search-budget', v],
      {
        encoding: 'utf8',
        timeout: 10000,
      },
    );
    assert.equal(r.status, 2, `--search-budget ${v}: ${r.stderr}`);
    assert.match(r.stderr, /--search-budget takes 20 to 10000000/);
  }
});
