"""The walls' relay made ahead, for the system's Python (ADR 0040).

`python3 -I -S relay.py --relay-ahead <socket>`: what `relay.js --relay-ahead` does
(src/engine/attempt/wallsNet.ts, `relayAhead`), in a process that starts in about a third of
Node's CPU. It runs inside a network namespace of its own made ahead by bubblewrap, waits for its
attempt (one JSON line on stdin; stdin closed first: it ends, having started nothing), listens on
127.0.0.1 for the walls' proxy port and each loopback target, hands every connection to the
proxy's unix socket (a loopback target's after a CONNECT to it), runs the attempt's argv (by argv,
never a shell) with the environment, folder, stdin and niceness it was told, passes SIGTERM,
SIGINT and SIGHUP on, and exits as its child did. The engine picks it only where this file lies
beside the runner and a system Python 3.6 or later is there (wallsRun.ts `relayAheadArgvOf`);
`relay.js` is the same relay in Node, and what every other place runs. The standard library only.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

PROXY_PORT = 3128
HEAD_LIMIT = 16 * 1024
LINE_LIMIT = 1024 * 1024
USAGE = "waves relay: usage: relay.py --relay-ahead <socket>\n"
TARGET = re.compile(r"^(?:\[([0-9a-fA-F:.]+)\]|([a-zA-Z0-9.-]+|\*\.[a-zA-Z0-9.-]+)):(\d{1,5})$")
LOOPBACK_V4 = re.compile(r"^127\.\d+\.\d+\.\d+$")
ANSWER_OK = re.compile(r"^HTTP/1\.[01] 200")
SIGNAL_CODES = {signal.SIGHUP: 1, signal.SIGINT: 2, signal.SIGKILL: 9, signal.SIGTERM: 15}


def say(text):
    try:
        os.write(2, text.encode("utf-8", "replace"))
    except OSError:
        pass  # nowhere to say it: the exit code says what happened


def parse_target(text):
    """`host:port` or `[v6]:port` as (host, port), lower-cased; None when it is not one (core/walls/walls.ts `parseTarget`)."""
    m = TARGET.match(text.strip())
    if not m:
        return None
    port = int(m.group(3))
    if port < 1 or port > 65535:
        return None
    return ((m.group(1) or m.group(2)).lower(), port)


def is_loopback(host):
    return host == "localhost" or host == "::1" or LOOPBACK_V4.match(host) is not None


def read_go():
    """The one line the runner writes when the attempt comes: a dict, why it is not one (a string), or None (stdin closed)."""
    line = sys.stdin.buffer.readline(LINE_LIMIT + 1)
    if not line:
        return None
    if not line.endswith(b"\n"):
        return "over 1 MiB without a line" if len(line) > LINE_LIMIT else None
    try:
        go = json.loads(line.decode("utf-8"))
    except ValueError as err:
        return "not JSON (%s)" % err
    def strings(xs):
        return isinstance(xs, list) and len(xs) > 0 and all(isinstance(x, str) for x in xs)
    ok = (
        isinstance(go, dict)
        and isinstance(go.get("loops"), str)
        and strings(go.get("argv"))
        and isinstance(go.get("env"), dict)
        and isinstance(go.get("cwd"), str)
        and (go.get("stdinFile") is None or isinstance(go.get("stdinFile"), str))
        and "stdinFile" in go
        and isinstance(go.get("nice"), (int, float))
        and not isinstance(go.get("nice"), bool)
        and ("quiet" not in go or isinstance(go.get("quiet"), bool))
    )
    return go if ok else "not an attempt"


def close(*socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass  # closed already


def read_head(upstream):
    """The proxy's answer head (up to the blank line) and what came after it, or None."""
    buf = b""
    while True:
        try:
            chunk = upstream.recv(65536)
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            return buf[:end].decode("latin-1"), buf[end + 4:]
        if len(buf) > HEAD_LIMIT:
            return None


class Link:
    """One connection and its way to the proxy: each direction copied until its end, which is passed on as a half close; an error, or both ends, closes both."""

    def __init__(self, client, upstream):
        self.client = client
        self.upstream = upstream
        self.lock = threading.Lock()
        self.ended = 0

    def run(self):
        threading.Thread(target=self.copy, args=(self.client, self.upstream), daemon=True).start()
        self.copy(self.upstream, self.client)

    def copy(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the other side is gone: closed below
            with self.lock:
                self.ended += 1
                if self.ended < 2:
                    return
        except OSError:
            pass  # a reset or a close: both are closed
        close(self.client, self.upstream)


def refuse(client):
    """Closes a connection the proxy refused as relay.js does: what the client sent is read first, so it sees an end, not a reset."""
    try:
        client.setblocking(False)
        while client.recv(65536):
            pass
    except OSError:
        pass  # nothing more to read now
    close(client)


def handle(client, socket_path, target):
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(socket_path)
    except OSError:
        close(client, upstream)
        return
    if target is not None:
        host, port = target
        shown = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
        try:
            upstream.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (shown, shown)).encode("latin-1"))
        except OSError:
            close(client, upstream)
            return
        # The proxy's answer is awaited even when the client has gone: a refusal is written down whatever the client does.
        read = read_head(upstream)
        if read is None or not ANSWER_OK.match(read[0]):
            close(upstream)
            refuse(client)
            return
        if read[1]:
            try:
                client.sendall(read[1])
            except OSError:
                close(client, upstream)
                return
    Link(client, upstream).run()


def listen(port, socket_path, target, address="127.0.0.1"):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM)
    try:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((address, port))
        server.listen(511)
    except OSError:
        server.close()
        raise

    def serve():
        # Listeners are never closed before the relay exits: a failed accept (a connection reset before
        # it was taken, no descriptor left for a moment) is passed over, as Node's server does.
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                time.sleep(0.01)
                continue
            threading.Thread(target=handle, args=(client, socket_path, target), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return server


def relay_to(socket_path, loops, argv, env, cwd, stdin, say_served):
    """The listeners (the proxy's port, each loopback target of `loops`; `?host:port` only tried, on its own address), then `argv` under them; its exit as the relay's."""
    named = []
    try:
        listen(PROXY_PORT, socket_path, None)
        bound = set(["127.0.0.1:%d" % PROXY_PORT])
        for text in [t for t in loops.split(",") if t]:
            tried = text.startswith("?")
            t = parse_target(text[1:] if tried else text)
            if t is None or not is_loopback(t[0]) or t[1] == PROXY_PORT:
                continue
            address = "::1" if tried and t[0] == "::1" else "127.0.0.1"
            key = "%s:%d" % (address, t[1])
            if key in bound:
                continue
            try:
                listen(t[1], socket_path, t, address)
                bound.add(key)
                if not tried:
                    named.append(text)
            except OSError:
                if not tried:
                    raise
    except OSError as err:
        say("waves runner: the walls' network relay could not listen: %s\n" % err)
        return 1
    # Said first in the agent's log, before the agent can write: a connection refused there later is never a listener not yet made.
    if say_served and named:
        say("waves: inside the walls, %s %s to the walls' proxy\n" % (", ".join(named), "goes" if len(named) == 1 else "go"))
    try:
        child = subprocess.Popen(argv, env=env, cwd=cwd, stdin=stdin, close_fds=True)
    except (OSError, ValueError) as err:
        say("waves runner: the agent could not start (%s): %s\n" % (argv[0], getattr(err, "strerror", None) or err))
        return 127

    def pass_on(sig, _frame):
        try:
            child.send_signal(sig)
        except OSError:
            pass  # it has ended: its exit is read below

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, pass_on)
    code = child.wait()
    return code if code >= 0 else 128 + SIGNAL_CODES.get(-code, 0)


def relay_ahead(args):
    if len(args) != 1 or not args[0]:
        say(USAGE)
        return 2
    go = read_go()
    if go is None:
        return 0
    if isinstance(go, str):
        say("waves runner: the walls' network made ahead was told no attempt: %s\n" % go)
        return 2
    try:
        os.setpriority(os.PRIO_PROCESS, 0, int(go["nice"]))
    except (OSError, ValueError, OverflowError):
        pass  # not allowed here: the priority it has
    stdin = subprocess.DEVNULL
    if go["stdinFile"]:
        try:
            stdin = open(go["stdinFile"], "rb")
        except OSError as err:
            say("waves runner: the agent could not start: %s\n" % err)
            return 127
    env = dict((str(k), str(v)) for k, v in go["env"].items() if v is not None)
    env.pop("ELECTRON_RUN_AS_NODE", None)
    return relay_to(args[0], go["loops"], go["argv"], env, go["cwd"], stdin, go.get("quiet") is not True)


def main():
    args = sys.argv[1:]
    if args[:1] != ["--relay-ahead"]:
        say(USAGE)
        return 2
    return relay_ahead(args[1:])


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
