// Search latency of GET /api/v1/users?q=TERM against a running server, one request at a time over
// one keep-alive connection (Node's fetch keeps connections alive by default).
//
//   node bench/search_latency.mjs --url http://127.0.0.1:8080 --token TOKEN --max-id 1000000
//        [--requests 3000] [--short-requests 120] [--sorted-requests 300] [--sample 200] [--seed 1]
//        [--terms-out FILE]
//
// The terms are taken from the data itself: it reads --sample random users (GET /api/v1/users/ID)
// and cuts 3-8 character substrings out of their names, usernames and e-mail addresses, the way a
// support agent types part of what they remember. A few terms that match nothing are added. The
// 1-2 character terms (which the SQLite driver cannot hand to the trigram index and answers with a
// LIKE scan) are measured and reported separately, and so are the 3-8 character terms with
// &sort=name (by default a search is sorted by id, which the index can stream; by name every match
// must be read and sorted). Each term is requested once as a warm-up first. --terms-out writes the
// per-term figures as TSV. Prints a report and, last, "RESULT name value" lines for bench/run.sh.

import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

function parseArgs(argv) {
  const o = { requests: 3000, shortRequests: 120, sortedRequests: 300, sample: 200, seed: 1 };
  for (let i = 2; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    const v = argv[i + 1];
    o[k] = ['requests', 'shortRequests', 'sortedRequests', 'sample', 'seed', 'maxId'].includes(k)
      ? Number(v)
      : v;
  }
  if (!o.url || !o.token || !o.maxId) {
    console.error(
      'usage: search_latency.mjs --url URL --token TOKEN --max-id N ' +
        '[--requests 3000] [--short-requests 120] [--sorted-requests 300] ' +
        '[--sample 200] [--seed 1] [--terms-out FILE]',
    );
    process.exit(2);
  }
  return o;
}

// mulberry32: a small deterministic generator so that a --seed gives the same term list.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const mean = s.reduce((x, y) => x + y, 0) / (s.length || 1);
  return {
    n: s.length,
    mean,
    p50: pct(s, 50),
    p95: pct(s, 95),
    p99: pct(s, 99),
    max: s[s.length - 1],
  };
}

const f = (x) => x.toFixed(2);

const opts = parseArgs(process.argv);
const rand = rng(opts.seed);
const headers = { Authorization: `Bearer ${opts.token}`, Accept: 'application/json' };

async function get(path) {
  const t0 = performance.now();
  const res = await fetch(opts.url + path, { headers });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - t0 };
}

// Terms from real rows; Chinese names (one or two characters each) give short terms of their own.
const hanTerms = new Set();
const HAN = /^\p{Script=Han}+$/u;
async function sampleTerms() {
  const terms = new Set();
  for (let i = 0; i < opts.sample; i++) {
    const id = 1 + Math.floor(rand() * opts.maxId);
    const r = await get(`/api/v1/users/${id}`);
    if (r.status !== 200) continue;
    const u = JSON.parse(r.body);
    if (HAN.test(u.last_name) && hanTerms.size < 12) {
      hanTerms.add(
        rand() < 0.5 ? u.last_name : [...(u.last_name + u.first_name)].slice(0, 2).join(''),
      );
    }
    const [local, domain] = String(u.email).split('@');
    const x = rand();
    const src = (
      x < 0.25
        ? u.last_name
        : x < 0.5
          ? u.first_name
          : x < 0.7
            ? u.username
            : x < 0.85
              ? local
              : domain
    ).toLowerCase();
    if (src.length < 3) continue;
    const len = 3 + Math.floor(rand() * (Math.min(8, src.length) - 2));
    const at = Math.floor(rand() * (src.length - len + 1));
    terms.add(src.slice(at, at + len));
  }
  for (const t of ['zqxj', 'xyzzy', 'qwv@']) terms.add(t); // match nothing
  return [...terms];
}

// Letters and digits (a word's start), a few rare ones, Han characters (any position) and short
// terms with other characters (no index: a walk with its budget).
const SHORT_TERMS = [
  'a',
  'e',
  'n',
  'z',
  '7',
  'li',
  'wu',
  'an',
  'zh',
  'qq',
  'xq',
  'q7',
  '李',
  '璐',
  '@q',
  'i.',
];

async function run(terms, count, perTerm, extra = '') {
  const ms = [];
  let errors = 0;
  for (let i = 0; i < count; i++) {
    const term = terms[i % terms.length];
    const r = await get(`/api/v1/users?q=${encodeURIComponent(term)}${extra}`);
    if (r.status !== 200) {
      errors++;
      continue;
    }
    ms.push(r.ms);
    if (perTerm) {
      const e = perTerm.get(term) ?? { ms: [], hits: '' };
      if (e.hits === '') {
        const page = JSON.parse(r.body);
        e.hits =
          (page.next_cursor ? `>${page.items.length}` : String(page.items.length)) +
          (page.partial ? ' (partial)' : '');
      }
      e.ms.push(r.ms);
      perTerm.set(term, e);
    }
  }
  return { ms, errors };
}

const terms = await sampleTerms();
SHORT_TERMS.push(...hanTerms);
if (terms.length < 10) {
  console.error(
    `only ${terms.length} terms could be sampled; is the token valid and --max-id right?`,
  );
  process.exit(1);
}
await run(terms, terms.length); // warm-up
await run(SHORT_TERMS, SHORT_TERMS.length);

const perTerm = new Map();
const main = await run(terms, opts.requests, perTerm);
const shortPer = new Map();
const short = await run(SHORT_TERMS, opts.shortRequests, shortPer);
const sortedPer = new Map();
const sorted = await run(terms, opts.sortedRequests, sortedPer, '&sort=name');
const sm = stats(main.ms),
  ss = stats(short.ms),
  so = stats(sorted.ms);

console.log(
  `search terms: ${terms.length} (3-8 characters, from ${opts.sample} sampled users), ` +
    `for example: ${terms.slice(0, 12).join(', ')}`,
);
console.log(
  `3-8 chars: ${sm.n} requests, ${main.errors} errors: mean ${f(sm.mean)} ms, ` +
    `p50 ${f(sm.p50)} ms, p95 ${f(sm.p95)} ms, p99 ${f(sm.p99)} ms, max ${f(sm.max)} ms`,
);
const slow = [...perTerm.entries()]
  .map(([t, e]) => [t, stats(e.ms), e.hits])
  .sort((a, b) => b[1].p50 - a[1].p50)
  .slice(0, 10);
console.log('slowest terms (median ms, rows on the first page):');
for (const [t, s, hits] of slow)
  console.log(`  ${JSON.stringify(t).padEnd(12)} ${f(s.p50).padStart(8)} ms  ${hits}`);
console.log(
  `1-2 chars: ${ss.n} requests, ${short.errors} errors: mean ${f(ss.mean)} ms, ` +
    `p50 ${f(ss.p50)} ms, p95 ${f(ss.p95)} ms, p99 ${f(ss.p99)} ms, max ${f(ss.max)} ms`,
);
for (const [t, e] of shortPer) {
  const s = stats(e.ms);
  console.log(`  ${JSON.stringify(t).padEnd(6)} median ${f(s.p50).padStart(8)} ms  ${e.hits}`);
}
console.log(
  `3-8 chars with &sort=name: ${so.n} requests, ${sorted.errors} errors: mean ${f(so.mean)} ms, ` +
    `p50 ${f(so.p50)} ms, p95 ${f(so.p95)} ms, p99 ${f(so.p99)} ms, max ${f(so.max)} ms`,
);
const slowSorted = [...sortedPer.entries()]
  .map(([t, e]) => [t, stats(e.ms), e.hits])
  .sort((a, b) => b[1].p50 - a[1].p50)
  .slice(0, 5);
console.log('  slowest with sort=name (median ms, rows on the first page):');
for (const [t, s, hits] of slowSorted)
  console.log(`    ${JSON.stringify(t).padEnd(12)} ${f(s.p50).padStart(8)} ms  ${hits}`);
if (opts.termsOut) {
  const lines = ['kind\tterm\trequests\tmedian_ms\tmax_ms\tfirst_page_rows'];
  for (const [kind, m] of [
    ['search', perTerm],
    ['short', shortPer],
    ['sort_name', sortedPer],
  ])
    for (const [t, e] of m) {
      const s = stats(e.ms);
      lines.push(`${kind}\t${t}\t${s.n}\t${f(s.p50)}\t${f(s.max)}\t${e.hits}`);
    }
  writeFileSync(opts.termsOut, lines.join('\n') + '\n');
}
console.log(`RESULT search_requests ${sm.n}`);
console.log(`RESULT search_errors ${main.errors + short.errors}`);
console.log(`RESULT search_p50_ms ${f(sm.p50)}`);
console.log(`RESULT search_p95_ms ${f(sm.p95)}`);
console.log(`RESULT search_p99_ms ${f(sm.p99)}`);
console.log(`RESULT search_short_p50_ms ${f(ss.p50)}`);
console.log(`RESULT search_short_p95_ms ${f(ss.p95)}`);
console.log(`RESULT search_short_p99_ms ${f(ss.p99)}`);
console.log(`RESULT search_sorted_p50_ms ${f(so.p50)}`);
console.log(`RESULT search_sorted_p95_ms ${f(so.p95)}`);
console.log(`RESULT search_sorted_p99_ms ${f(so.p99)}`);
