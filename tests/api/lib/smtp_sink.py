#!/usr/bin/python3
"""A test SMTP server (Debian's python3-aiosmtpd) on 127.0.0.1.

Usage: smtp_sink.py OUTDIR [--port N] [--auth USER:PASSWORD]

Prints one JSON line {"port": N} once it listens. Each message it accepts is written to
OUTDIR/NNNN.json (written to a temporary name, then renamed) as
{mail_from, rcpt_tos, raw, headers: {name: [raw values]}, subject (decoded), parts:
[{content_type, charset, transfer_encoding, body (decoded text)}], auth_user}.
A recipient whose address contains "reject" is refused with 550 (a permanent failure).
With --auth, AUTH PLAIN/LOGIN is required (over plain text: this is a test server).
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "reject" in address:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        headers = {}
        for name, value in msg.raw_items():
            headers.setdefault(name, []).append(str(value))
        parts = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            parts.append({
                "content_type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "transfer_encoding": part.get("Content-Transfer-Encoding"),
                "body": part.get_content(),
            })
        self.count += 1
        auth = session.auth_data
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "raw": raw.decode("utf-8", "replace"),
            "headers": headers,
            "subject": str(msg["Subject"]) if msg["Subject"] is not None else None,
            "content_type": msg.get_content_type(),
            "parts": parts,
            "auth_user": auth.login.decode() if isinstance(auth, LoginPassword) else None,
        }
        path = os.path.join(self.outdir, "%04d.json" % self.count)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 queued as test-%d" % self.count


def authenticator_for(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and \
            auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return check


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--auth")
    args = ap.parse_args()
    sink = Sink(args.outdir)
    kw = {}
    if args.auth:
        user, password = args.auth.split(":", 1)
        kw = dict(authenticator=authenticator_for(user, password), auth_required=True,
                  auth_require_tls=False)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink, hostname="sink.test", **kw),
                                      "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
