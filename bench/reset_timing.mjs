// Forgot-password timing (`make bench-reset`, SECURITY A6): does POST /api/v1/password-reset take
// as long for a name that exists as for one that does not? Starts `gatehouse serve` on a fresh
// SQLite database with a real SMTP sink (as the API tests do: tests/api/lib/server.mjs), creates
// known users (each gets at most 5 reset e-mails an hour, so the known requests rotate over
// ceil(N / 5) of them and every one of them really queues an e-mail), then sends N requests for a
// known name and N for an unknown one, interleaved (known, unknown, known, ...) after a warm-up,
// one at a time over a keep-alive connection, and prints the median, p90 and mean of each and the
// difference of the medians. Also: N requests for rate-limited and disabled names, interleaved
// the same way with unknown ones, for the other paths that must look alike.
//
//   node bench/reset_timing.mjs [--n 60] [--warmup 10]      (GATEHOUSE_BIN: default build/gatehouse)
//
// A benchmark, not a test: it asserts nothing about the figures.
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { startServer, createUser } from '../tests/api/lib/server.mjs';
import { startSmtp } from '../tests/api/lib/smtp.mjs';

const o = { n: 60, warmup: 10 };
for (let i = 2; i < process.argv.length; i += 2)
  o[process.argv[i].replace(/^--/, '')] = Number(process.argv[i + 1]);

const smtp = await startSmtp();
const srv = await startServer({ args: ['--smtp-url', smtp.url] });
let seq = 0;
const unknownName = () => `nobody${process.pid}x${(seq++).toString(36)}`;

async function ask(username) {
  const t0 = performance.now();
  const r = await fetch(`${srv.base}/api/v1/password-reset`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  await r.arrayBuffer();
  const ms = performance.now() - t0;
  if (r.status !== 202) throw new Error(`status ${r.status}`);
  return ms;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x) => x.toFixed(3).padStart(8);
function report(label, xs) {
  console.log(
    `${label.padEnd(28)} n=${xs.length}  median ${fmt(pct(xs, 50))} ms  p90 ${fmt(pct(xs, 90))} ms  mean ${fmt(mean(xs))} ms`,
  );
}

// Interleaves N requests of two kinds; returns the two series.
async function pair(nameA, nameB) {
  const a = [],
    b = [];
  for (let i = 0; i < o.n; i++) {
    a.push(await ask(nameA(i)));
    b.push(await ask(nameB(i)));
  }
  return [a, b];
}

try {
  const perUser = 5; // GH_RESET_PER_HOUR
  const known = [];
  for (let i = 0; i < Math.ceil(o.n / perUser); i++) known.push((await createUser(srv)).username);
  const busy = (await createUser(srv)).username;
  const disabled = await createUser(srv);
  await srv.api('POST', `/api/v1/users/${disabled.user.id}/disable`);
  for (let i = 0; i < perUser; i++) await ask(busy); // its hourly budget, spent
  for (let i = 0; i < o.warmup; i++) await ask(unknownName());

  console.log(
    `# forgot password timing: ${os.cpus().length} vCPUs (${os.cpus()[0].model.trim()}), ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, load ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
  );
  console.log(
    `# SQLite, one request at a time over keep-alive; ${o.n} of each, interleaved, after ${o.warmup} warm-up`,
  );
  const [k, u] = await pair((i) => known[Math.floor(i / perUser)], unknownName);
  report('known (e-mail queued)', k);
  report('unknown', u);
  console.log(`RESULT median_known_minus_unknown_ms ${(pct(k, 50) - pct(u, 50)).toFixed(3)}`);
  const [r, u2] = await pair(() => busy, unknownName);
  report('rate-limited (dropped)', r);
  report('unknown', u2);
  const [d, u3] = await pair(() => disabled.username, unknownName);
  report('disabled (dropped)', d);
  report('unknown', u3);
  const sent = smtp.messages().length;
  console.log(
    `# e-mails received by the sink: ${sent} (the known requests' and the ${perUser} that spent the busy budget, less superseded ones)`,
  );
} finally {
  await srv.stop();
  await smtp.stop();
}
