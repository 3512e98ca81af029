// Start-up time of `gatehouse serve`: from spawning the process until GET /healthz answers 200,
// polled every millisecond. Each run stops the server with SIGTERM and waits for it to exit.
//
//   node bench/startup.mjs --bin build/gatehouse --db bench/out/bench.db --port 18457 [--runs 5]
//        [--log bench/out/startup.log]
//
// Prints each run and, last, "RESULT startup_median_ms X" (and min/max) for bench/run.sh.

import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const o = { runs: 5, log: '/dev/null' };
for (let i = 2; i < process.argv.length; i += 2)
  o[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
if (!o.bin || !o.db || !o.port) {
  console.error('usage: startup.mjs --bin BIN --db DB --port PORT [--runs 5] [--log FILE]');
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function healthz() {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port: Number(o.port), path: '/healthz', agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      },
    );
    req.on('error', () => resolve(false));
    req.setTimeout(1000, () => req.destroy());
  });
}

if (await healthz()) {
  console.error(`something already answers on port ${o.port}`);
  process.exit(1);
}

const logFd = openSync(o.log, 'a');
const times = [];
for (let run = 0; run < Number(o.runs); run++) {
  const t0 = performance.now();
  const child = spawn(
    o.bin,
    ['serve', '--db', o.db, '--listen', `127.0.0.1:${o.port}`, '--per-ip-connection-limit', '256'],
    { stdio: ['ignore', logFd, logFd] },
  );
  let exited = false;
  const exit = new Promise((r) =>
    child.on('exit', () => {
      exited = true;
      r();
    }),
  );
  let ms = NaN;
  while (!exited && performance.now() - t0 < 30000) {
    if (await healthz()) {
      ms = performance.now() - t0;
      break;
    }
    await sleep(1);
  }
  child.kill('SIGTERM');
  await exit;
  if (Number.isNaN(ms)) {
    console.error(`run ${run + 1}: the server did not answer /healthz (see ${o.log})`);
    process.exit(1);
  }
  times.push(ms);
  console.log(`  run ${run + 1}: ${ms.toFixed(1)} ms`);
}
const s = [...times].sort((a, b) => a - b);
console.log(`RESULT startup_median_ms ${s[Math.floor(s.length / 2)].toFixed(1)}`);
console.log(`RESULT startup_min_ms ${s[0].toFixed(1)}`);
console.log(`RESULT startup_max_ms ${s[s.length - 1].toFixed(1)}`);
