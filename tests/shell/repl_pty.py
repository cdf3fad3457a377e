#!/usr/bin/python3
"""Drive the sflex REPL through a pseudo-terminal, as a user would.

usage: repl_pty.py path/to/sflex

Checks: auto-print of expressions (several values, tables), a multi-line
function definition, TAB completion of string.fo -> string.format, Ctrl-C
interrupting `while true do end` with the session kept, Ctrl-C at the prompt
discarding the line, errors at the prompt, Ctrl-D quitting with status 0, and
the history file.  Every wait has a timeout; the whole run takes ~1 s.
"""
import os
import pty
import re
import select
import shutil
import signal
import sys
import tempfile
import termios
import time

TIMEOUT = 5.0
CONTROL = re.compile(rb"\x1b\[[?0-9;]*[A-Za-z]|\x1b[=>]|\r")


class Failure(Exception):
    pass


class Repl:
    def __init__(self, sflex, env):
        pid, fd = pty.fork()
        if pid == 0:
            try:
                # No flush of the terminal queues on Ctrl-C: by default the
                # kernel may discard output written just after the signal
                # (the fresh prompt), which would make the test flaky.
                attrs = termios.tcgetattr(0)
                attrs[3] |= termios.NOFLSH
                termios.tcsetattr(0, termios.TCSANOW, attrs)
                os.execve(sflex, [sflex], env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.buf = b""
        self.log = b""

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return None
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            data = b""
        self.log += data
        return data

    def expect(self, pattern, what, timeout=TIMEOUT):
        """Wait for the regex pattern (bytes); consume up to its end."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.buf)
            if m:
                text = self.buf[: m.end()]
                self.buf = self.buf[m.end():]
                return text
            left = deadline - time.monotonic()
            data = self._read(max(left, 0)) if left > 0 else None
            if not data:
                raise Failure("%s: expected %r, got %r" % (what, pattern, self.buf[-400:]))
            # terminal control sequences and carriage returns carry no meaning here
            self.buf = CONTROL.sub(b"", self.buf + data)

    def send(self, text):
        os.write(self.fd, text.encode())

    def prompt(self, what):
        return self.expect(rb"sflex> ", what)

    def wait_exit(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return status
            self._read(0.05)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise Failure("sflex did not exit after Ctrl-D")


def main():
    sflex = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="sflex_repl_")
    hist = os.path.join(tmp, "history")
    env = dict(os.environ)
    env.update(HOME=tmp, SFLEX_HISTORY=hist, TERM="xterm", INPUTRC="/dev/null",
               COLUMNS="200", LINES="50")
    repl = Repl(sflex, env)
    checks = 0
    try:
        repl.expect(rb"help\(\) for help", "banner")
        repl.prompt("first prompt")

        # auto-print of an expression
        repl.send("1+1\r")
        repl.expect(rb"\n2\n", "1+1 prints 2")
        repl.prompt("prompt after 1+1")
        checks += 1

        # several values, a table
        repl.send("3, 'two', nil\r")
        repl.expect(rb"\n3\ttwo\tnil\n", "several values")
        repl.prompt("prompt after values")
        repl.send("{1, 2, x = 'a', {3}}\r")
        repl.expect(rb'\n\{1, 2, \{3\}, x = "a"\}\n', "table pretty-print")
        repl.prompt("prompt after table")
        checks += 1

        # a multi-line function definition
        repl.send("function sq(x)\r")
        repl.expect(rb"\.\.\.> ", "continuation prompt 1")
        repl.send("  return x * x\r")
        repl.expect(rb"\.\.\.> ", "continuation prompt 2")
        repl.send("end\r")
        repl.prompt("prompt after end")
        repl.send("sq(7)\r")
        repl.expect(rb"\n49\n", "sq(7) = 49")
        repl.prompt("prompt after sq")
        checks += 1

        # TAB completion: string.fo -> string.format, then call it
        repl.send("string.fo\t")
        repl.expect(rb"rmat", "completion inserts 'rmat'")
        repl.send("('<%03d>', 5)\r")
        repl.expect(rb"\n<005>\n", "completed string.format works")
        repl.prompt("prompt after completion")
        checks += 1

        # an error at the prompt leaves the session running
        repl.send("error('oops')\r")
        repl.expect(rb"stdin:1: oops", "error message")
        repl.prompt("prompt after error")
        checks += 1

        # Ctrl-C interrupts a computation; the session survives
        repl.send("keep = 123\r")
        repl.prompt("prompt after keep")
        repl.send("while true do end\r")
        time.sleep(0.3)
        for _ in range(5):  # a Ctrl-C typed with the Enter could be lost
            repl.send("\x03")
            try:
                repl.expect(rb"interrupted!", "Ctrl-C interrupts", timeout=1.0)
                break
            except Failure:
                continue
        else:
            raise Failure("Ctrl-C did not interrupt: %r" % repl.buf[-400:])
        repl.prompt("prompt after interrupt")
        repl.send("keep\r")
        repl.expect(rb"\n123\n", "variable kept after Ctrl-C")
        repl.prompt("prompt after keep check")
        checks += 1

        # Ctrl-C at the prompt discards the line (and a pending multi-line chunk)
        repl.send("for i = 1, 3 do\r")
        repl.expect(rb"\.\.\.> ", "continuation before Ctrl-C")
        repl.send("garbage (((")
        repl.expect(rb"garbage \(\(\(", "echo before Ctrl-C")
        repl.send("\x03")
        repl.prompt("fresh prompt after Ctrl-C at the prompt")
        repl.send("keep + 1\r")
        repl.expect(rb"\n124\n", "line discarded by Ctrl-C")
        repl.prompt("prompt after discard")
        checks += 1

        # Ctrl-D quits with status 0
        repl.send("history_marker_42 = true\r")
        repl.prompt("prompt before Ctrl-D")
        repl.send("\x04")
        status = repl.wait_exit()
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            raise Failure("exit status after Ctrl-D: %r" % status)
        checks += 1

        # the history file holds the entries, the multi-line one included
        with open(hist, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for needle in ("history_marker_42 = true", "function sq(x)\n  return x * x\nend",
                       "1+1"):
            if needle not in text:
                raise Failure("history file lacks %r:\n%s" % (needle, text))
        checks += 1
    except Failure as e:
        print("FAIL:", e)
        print("---- transcript ----")
        print(repl.log.decode("utf-8", "replace"))
        try:
            os.kill(repl.pid, signal.SIGKILL)
            os.waitpid(repl.pid, 0)
        except OSError:
            pass
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok: %d REPL checks passed" % checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
