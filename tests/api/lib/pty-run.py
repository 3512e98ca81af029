# Runs a command under a pseudo-terminal (its stdin, stdout and stderr are one terminal), until
# it writes " listening " (or 30 s pass), then sends SIGNAL to its process group, as Ctrl+C at a
# terminal would for INT; prints everything the command wrote and exits with its exit code.
# usage: python3 pty-run.py INT|TERM COMMAND [ARGS...]
import os
import pty
import signal
import sys
import time

sig = getattr(signal, "SIG" + sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
out, deadline = b"", time.time() + 30
while b" listening " not in out and time.time() < deadline:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.killpg(pid, sig)
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
