// docs/grafana-dashboard.json (issue 18): a Grafana dashboard model with a Prometheus data source
// variable, whose every query names metric families the server exposes on /metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './lib/server.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dashboard = JSON.parse(readFileSync(join(root, 'docs/grafana-dashboard.json'), 'utf8'));

test('the dashboard is a dashboard model with a Prometheus data source variable', () => {
  assert.equal(typeof dashboard.title, 'string');
  assert.equal(typeof dashboard.uid, 'string');
  assert.ok(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 30);
  const vars = dashboard.templating.list;
  const ds = vars.find((v) => v.type === 'datasource');
  assert.equal(ds?.query, 'prometheus');
  const ids = new Set();
  for (const p of dashboard.panels) {
    assert.ok(!ids.has(p.id), `panel id ${p.id} is unique`);
    ids.add(p.id);
    assert.equal(p.datasource.uid, `\${${ds.name}}`, `${p.title}: the variable's data source`);
    assert.ok(p.targets.length > 0, `${p.title} has queries`);
    for (const g of ['x', 'y', 'w', 'h']) assert.ok(Number.isInteger(p.gridPos[g]), p.title);
  }
});

test('every query names only metric families the server exposes', async () => {
  const srv = await startServer();
  try {
    await fetch(`${srv.base}/healthz`); // a request, so that the request families have series
    const text = await (await fetch(`${srv.base}/metrics`)).text();
    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    const used = new Set();
    for (const p of dashboard.panels)
      for (const t of p.targets) {
        const names = t.expr.match(/\bgatehouse_[a-z0-9_]+/g) ?? [];
        assert.ok(names.length > 0, `${p.title}: ${t.expr} reads a gatehouse family`);
        for (const n of names) {
          const base = n.replace(/_(bucket|sum|count)$/, '');
          const family = types.has(n) ? n : types.get(base) === 'histogram' ? base : null;
          assert.ok(family, `${p.title}: ${n} is exposed by /metrics`);
          used.add(family);
        }
      }
    // the dashboard shows every family of the issue
    for (const f of types.keys())
      if (f !== 'gatehouse_metrics_series_dropped_total' && f !== 'gatehouse_http_responses_total')
        assert.ok(used.has(f), `the dashboard shows ${f}`);
  } finally {
    await srv.stop();
  }
});
