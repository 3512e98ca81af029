// Latency of GET /api/v1/users/counts (the users list's tab counts: five counts, each exact up to
// 10,000) against a running server, one request at a time over one keep-alive connection.
//
//   node bench/counts_latency.mjs --url http://127.0.0.1:8080 --token TOKEN --max-id 1000000
//        [--requests 200] [--sample 100] [--seed 1]
//
// Three kinds of request: no filter (every tab counts up to 10,001 rows of an index range), a
// service provider's users (tenant_id of a random user's provider) and a search of 3-6
// characters cut out of a random user's user name or last name (the search index, then the
// status). Each kind gets --requests requests after one warm-up. Prints a report and, last,
// "RESULT name value" lines.

import { performance } from 'node:perf_hooks';

function parseArgs(argv) {
  const o = { requests: 200, sample: 100, seed: 1 };
  for (let i = 2; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    o[k] = ['requests', 'sample', 'seed', 'maxId'].includes(k) ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!o.url || !o.token || !o.maxId) {
    console.error('usage: counts_latency.mjs --url URL --token TOKEN --max-id N [--requests 200]');
    process.exit(2);
  }
  return o;
}

// mulberry32, so that a --seed gives the same requests
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

const o = parseArgs(process.argv);
const rand = rng(o.seed);
console.log(`seed ${o.seed}`);
const headers = { authorization: `Bearer ${o.token}` };

async function get(path) {
  const r = await fetch(`${o.url}${path}`, { headers });
  const body = await r.json();
  return { status: r.status, body };
}

// filters drawn from the data
const providers = new Set();
const terms = [];
for (let i = 0; i < o.sample; i++) {
  const id = 1 + Math.floor(rand() * o.maxId);
  const { status, body } = await get(`/api/v1/users/${id}`);
  if (status !== 200) continue;
  if (body.provider_id) providers.add(body.provider_id);
  const src = rand() < 0.5 ? body.username : body.last_name || body.username;
  const len = 3 + Math.floor(rand() * 4);
  if (src.length >= len) {
    const at = Math.floor(rand() * (src.length - len + 1));
    terms.push([...src].slice(at, at + len).join(''));
  }
}
const providerList = [...providers];

function pct(sorted, p) {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

async function measure(name, pathOf) {
  await get(pathOf(0));
  const ms = [];
  let errors = 0,
    capped = 0;
  for (let i = 0; i < o.requests; i++) {
    const t0 = performance.now();
    const { status, body } = await get(pathOf(i));
    ms.push(performance.now() - t0);
    if (status !== 200) errors++;
    else if (body.active?.more) capped++;
  }
  ms.sort((a, b) => a - b);
  const r = { name, n: ms.length, p50: pct(ms, 50), p95: pct(ms, 95), p99: pct(ms, 99), errors };
  console.log(
    `${name.padEnd(10)} n=${r.n} p50 ${r.p50.toFixed(2)} ms  p95 ${r.p95.toFixed(2)} ms  ` +
      `p99 ${r.p99.toFixed(2)} ms  errors ${errors}  (Active at its cap in ${capped})`,
  );
  return r;
}

const results = [
  await measure('all', () => '/api/v1/users/counts'),
  ...(providerList.length
    ? [
        await measure(
          'provider',
          (i) => `/api/v1/users/counts?tenant_id=${providerList[i % providerList.length]}`,
        ),
      ]
    : []),
  await measure(
    'search',
    (i) => `/api/v1/users/counts?q=${encodeURIComponent(terms[i % terms.length])}`,
  ),
];
for (const r of results) {
  console.log(`RESULT counts_${r.name}_p50_ms ${r.p50.toFixed(2)}`);
  console.log(`RESULT counts_${r.name}_p99_ms ${r.p99.toFixed(2)}`);
  console.log(`RESULT counts_${r.name}_errors ${r.errors}`);
}
