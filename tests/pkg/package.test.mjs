// The Debian package (issue 18): `make deb`'s .deb is lintian-clean, holds the program, the unit,
// the conffile and the postinst that makes the gatehouse user; dpkg --root unpacks it into a
// fresh root; its unit passes systemd-analyze
// verify (and its sandbox rates OK in systemd-analyze security); and the installed program, run
// from a fresh root with the installed configuration file (database and port moved to temporary
// places), serves /healthz and prints the set-up link. GATEHOUSE_DEB names the .deb (make pkg
// builds it first); without it the test builds one into a temporary folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'gatehouse-pkg-'));
const root = join(work, 'root'); // the package's files, as dpkg would install them
let deb = process.env.GATEHOUSE_DEB || '';
let unpackedConffile = false; // dpkg left the conffile as gatehouse.conf.dpkg-new

const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', ...opts });

before(() => {
  if (!deb) {
    sh(join(repo, 'scripts/make-deb'), [join(work, 'deb')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    deb = join(
      work,
      'deb',
      readdirSync(join(work, 'deb')).find((f) => /^gatehouse_.*\.deb$/.test(f)),
    );
  }
  // dpkg itself installs it into the fresh root, as far as a root without a system allows:
  // unpacked and registered (the preinst runs, with DPKG_ROOT set, and does nothing on a first
  // install); not configured, since the postinst would run adduser outside the root
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/log'])
    mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'var/lib/dpkg/status'), '');
  writeFileSync(join(root, 'var/lib/dpkg/available'), '');
  const dpkg = [
    `--root=${root}`,
    `--log=${join(root, 'var/log/dpkg.log')}`,
    '--force-depends',
    '--force-script-chrootless',
    '--unpack',
    deb,
  ];
  if (process.getuid() === 0) sh('dpkg', dpkg);
  else sh('fakeroot', ['dpkg', '--force-not-root', ...dpkg]);
  // a new conffile waits as .dpkg-new until configuration, which then renames it: done here
  const conf = join(root, 'etc/gatehouse/gatehouse.conf');
  unpackedConffile = existsSync(conf + '.dpkg-new') && !existsSync(conf);
  if (unpackedConffile) renameSync(conf + '.dpkg-new', conf);
});

after(() => rmSync(work, { recursive: true, force: true }));

test('lintian finds nothing, even at pedantic level', () => {
  const r = spawnSync('lintian', ['--info', '--pedantic', '--display-experimental', deb], {
    encoding: 'utf8',
  });
  const tags = r.stdout.split('\n').filter((l) => /^[EWIPXO]: /.test(l));
  assert.deepEqual(tags, [], r.stdout + r.stderr);
  assert.equal(r.status, 0, r.stderr);
});

test('dpkg --root unpacked and registered the package and its conffile', () => {
  const status = sh('dpkg', [`--root=${root}`, '-s', 'gatehouse']);
  assert.match(status, /^Status: install ok unpacked$/m);
  assert.match(status, /^ \/etc\/gatehouse\/gatehouse\.conf newconffile$/m, 'a conffile, new');
  assert.ok(unpackedConffile, 'unpacked as /etc/gatehouse/gatehouse.conf.dpkg-new');
  const files = sh('dpkg', [`--root=${root}`, '-L', 'gatehouse']).split('\n');
  for (const f of [
    '/usr/bin/gatehouse',
    '/etc/gatehouse/gatehouse.conf',
    '/lib/systemd/system/gatehouse.service',
    '/usr/share/man/man1/gatehouse.1.gz',
    '/usr/share/doc/gatehouse/copyright',
  ])
    assert.ok(files.includes(f), `${f} is the package's`);
  const v = spawnSync('dpkg', [`--root=${root}`, '--verify', 'gatehouse'], { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stdout + v.stderr);
  // (the conffile has no sum yet before configuration: dpkg cannot check it)
  const changed = v.stdout
    .split('\n')
    .filter((l) => l && !/ c \/etc\/gatehouse\/gatehouse\.conf$/.test(l));
  assert.deepEqual(changed, [], 'every file as the package has it');
});

test('the layout: the program, the unit, the conffile and the user made by postinst', () => {
  const bin = join(root, 'usr/bin/gatehouse');
  assert.ok(statSync(bin).mode & 0o111, 'usr/bin/gatehouse is executable');
  const unit = readFileSync(join(root, 'lib/systemd/system/gatehouse.service'), 'utf8');
  for (const line of [
    'ExecStart=/usr/bin/gatehouse serve --config /etc/gatehouse/gatehouse.conf',
    'Type=notify',
    'ExecReload=/bin/kill -HUP $MAINPID',
    'User=gatehouse',
    'StateDirectory=gatehouse',
    'ProtectSystem=strict',
    'ReadWritePaths=/var/lib/gatehouse',
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectHome=yes',
    'CapabilityBoundingSet=',
    'SystemCallFilter=@system-service',
  ])
    assert.ok(unit.split('\n').includes(line), `the unit has ${line}`);
  const conf = readFileSync(join(root, 'etc/gatehouse/gatehouse.conf'), 'utf8');
  assert.match(conf, /^db = \/var\/lib\/gatehouse\/gatehouse\.db$/m);
  assert.match(conf, /^listen = 127\.0\.0\.1:8080$/m);
  const ctrl = join(work, 'control');
  sh('dpkg-deb', ['-e', deb, ctrl]);
  assert.equal(
    readFileSync(join(ctrl, 'conffiles'), 'utf8').trim(),
    '/etc/gatehouse/gatehouse.conf',
  );
  const postinst = readFileSync(join(ctrl, 'postinst'), 'utf8');
  assert.match(postinst, /adduser --system --group .*--home \/var\/lib\/gatehouse/);
  assert.match(postinst, /deb-systemd-helper/, 'dh_installsystemd enables the unit');
  assert.equal(sh('sh', ['-n', join(ctrl, 'postinst')]), '', 'postinst parses');
  const fields = sh('dpkg-deb', ['-f', deb, 'Package', 'Depends']);
  assert.match(fields, /Depends: .*adduser/);
  assert.match(fields, /libsystemd0/);
});

test('systemd-analyze verify passes on the unit as installed, and its sandbox rates OK', () => {
  // the root holds the package; verify also needs the targets the unit refers to and the
  // commands it runs (/bin/kill of ExecReload)
  const vroot = join(work, 'vroot');
  sh('cp', ['-a', root + '/.', vroot]);
  mkdirSync(join(vroot, 'usr/bin'), { recursive: true });
  copyFileSync('/usr/bin/kill', join(vroot, 'usr/bin/kill'));
  mkdirSync(join(vroot, 'bin'), { recursive: true });
  copyFileSync('/usr/bin/kill', join(vroot, 'bin/kill'));
  for (const f of readdirSync('/lib/systemd/system'))
    if (/\.(target|slice)$/.test(f) && !existsSync(join(vroot, 'lib/systemd/system', f)))
      copyFileSync(join('/lib/systemd/system', f), join(vroot, 'lib/systemd/system', f));
  const unit = '/lib/systemd/system/gatehouse.service';
  const v = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${vroot}`, unit], {
    encoding: 'utf8',
  });
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stderr.trim(), '', 'no warning (an unknown key only warns)');
  const s = spawnSync(
    'systemd-analyze',
    ['security', '--offline=yes', '--threshold=20', `--root=${vroot}`, unit],
    { encoding: 'utf8' },
  );
  assert.equal(s.status, 0, s.stdout + s.stderr);
  const level = /Overall exposure level for gatehouse\.service: ([\d.]+) (\w+)/.exec(s.stdout);
  assert.ok(level, s.stdout);
  console.log(`systemd-analyze security: exposure ${level[1]} ${level[2]}`);
  assert.ok(Number(level[1]) <= 2.0, `exposure ${level[1]}`);
});

test('the installed program serves with the installed configuration and prints the set-up link', async () => {
  const data = join(work, 'data');
  mkdirSync(data);
  const bin = join(root, 'usr/bin/gatehouse');
  const conf = join(root, 'etc/gatehouse/gatehouse.conf');
  // the file's database is /var/lib/gatehouse: moved by GATEHOUSE_DB (over the file), the port
  // by a flag (over both)
  const proc = spawn(bin, ['serve', '--config', conf, '--listen', '127.0.0.1:0'], {
    env: { PATH: process.env.PATH, GATEHOUSE_DB: join(data, 'gatehouse.db') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines = [];
  const exited = new Promise((ok) => proc.on('exit', (code, signal) => ok({ code, signal })));
  try {
    const port = await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(lines.join('\n'))), 15000);
      let buf = '';
      proc.stderr.on('data', (d) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          lines.push(line);
          const m = /"event":"listening".*"port":"(\d+)"/.exec(line);
          if (m) {
            clearTimeout(timer);
            ok(Number(m[1]));
          }
        }
      });
      proc.on('exit', (code) => fail(new Error(`exited ${code}:\n${lines.join('\n')}`)));
    });
    const r = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(r.status, 200);
    const health = await r.json();
    assert.equal(health.status, 'ok');
    assert.match(health.version, /^\d+\.\d+\.\d+$/, 'the installed program knows its version');
    const link = lines.find((l) => !l.startsWith('{') && /https?:\/\/\S+\/setup\/[\w-]+/.test(l));
    assert.ok(link, `the set-up link is printed:\n${lines.join('\n')}`);
    assert.ok(existsSync(join(data, 'gatehouse.db')), 'the database went where GATEHOUSE_DB says');
    assert.ok(existsSync(join(data, 'gatehouse.db.key')), 'and the secret key next to it');
  } finally {
    proc.kill('SIGTERM');
    const { code, signal } = await exited;
    assert.equal(signal, null);
    assert.equal(code, 0, lines.join('\n'));
  }
});

test(
  'without overrides the installed program uses the configuration file’s database',
  {
    skip: existsSync('/var/lib/gatehouse') ? '/var/lib/gatehouse exists on this machine' : false,
  },
  () => {
    const r = spawnSync(
      join(root, 'usr/bin/gatehouse'),
      ['migrate', '--config', join(root, 'etc/gatehouse/gatehouse.conf')],
      { encoding: 'utf8', env: { PATH: process.env.PATH } },
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\/var\/lib\/gatehouse\/gatehouse\.db/);
    assert.ok(!existsSync('/var/lib/gatehouse'), 'nothing was made outside the test');
  },
);
