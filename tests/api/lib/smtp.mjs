// A real SMTP server for the mail tests: tests/api/lib/smtp_sink.py on Debian's python3-aiosmtpd,
// on 127.0.0.1 (port 0 unless given). Each accepted message is a JSON file the sink writes after
// parsing it with Python's email module: {mail_from, rcpt_tos, raw, headers, subject, parts}.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Debian's interpreter has python3-aiosmtpd; a python3 earlier on PATH (pyenv) may not.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export async function startSmtp({ port = 0, auth } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-smtp-'));
  const args = [join(here, 'smtp_sink.py'), dir, '--port', String(port)];
  if (auth) args.push('--auth', auth);
  const proc = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => {
    err += d;
  });
  const bound = await new Promise((ok, fail) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error(`SMTP sink did not start: ${err}`)), 10000);
    proc.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        ok(JSON.parse(buf.slice(0, nl)).port);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`SMTP sink exited ${code}: ${err}`));
    });
  });
  const exited = new Promise((ok) => proc.on('exit', ok));

  // Every message received so far, oldest first.
  function messages() {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
  }
  // Waits for a message for which pred holds (default: any new one); returns it.
  async function waitFor(pred = () => true, { timeoutMs = 15000, what = 'a message' } = {}) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = messages().find(pred);
      if (m) return m;
      if (Date.now() > end)
        throw new Error(
          `SMTP sink: no ${what} within ${timeoutMs} ms; got ${messages().length}: ${messages()
            .map((x) => x.rcpt_tos.join(','))
            .join(' ')}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const to = (addr) => (m) => m.rcpt_tos.includes(addr);
  async function stop() {
    proc.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
  return { port: bound, url: `smtp://127.0.0.1:${bound}`, dir, messages, waitFor, to, stop };
}

// A loopback port with nothing listening on it (bound, then released).
export async function closedPort() {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// The text/plain and text/html parts of a parsed message.
export function parts(m) {
  return {
    text: m.parts.find((p) => p.content_type === 'text/plain')?.body,
    html: m.parts.find((p) => p.content_type === 'text/html')?.body,
  };
}

// The token of the first {external}/onboarding/<token> or /reset/<token> link of a message.
export function linkToken(m, kind = 'onboarding') {
  const re = new RegExp(`/${kind}/([A-Za-z0-9_-]+)`);
  const t = re.exec(parts(m).text || '');
  if (!t) throw new Error(`no /${kind}/ link in: ${parts(m).text}`);
  return t[1];
}
