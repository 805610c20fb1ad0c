"""A fault-injecting TCP proxy on loopback (stdlib only).

Sits between the new server's imapc and the old server:

    with FaultProxy(old.port) as proxy:        # listens on proxy.port
        proxy.drop_after(3_000_000)            # next connection that has
                                               # received 3 MB from the
                                               # server is cut
        ... run the sync against proxy.port ...
        assert proxy.fired == 1

Faults (each fires on `times` connections, then the proxy passes through
again; times=None: on every connection):
  pass_through()               forward everything (the default)
  drop_after(n)                once a connection has received n bytes from
                               the server, close both sides (RST)
  stall_after(n, secs)         once a connection has received n bytes from
                               the server, stop forwarding in both
                               directions for secs seconds, then resume
  garble_after(n, junk)        once a connection has received n bytes from
                               the server, slip junk into what the client
                               receives (a server gone wrong mid-response)
  refuse()                     accept and reset new connections at once

A busy server (Exchange's throttling): answer_command(command, reply,
times, after) answers the next `times` client commands containing
`command` (bytes, e.g. b" UID FETCH ") itself with "<tag> <reply>", never
passing them on to the server; after=N first lets N such commands through
(a server that starts throttling in the middle of a pass).

An older server, not a fault: rewrite_replies(old, new) replaces bytes old
with new in everything the server sends from now on (e.g. to take an
extension out of the capabilities it announces).

A link, not a fault: latency(secs) delays every byte by secs in each
direction (a round trip costs 2 * secs, a new connection one round trip
more before the server sees it), as a WAN link between the old and the new
host would; throughput stays that of loopback.

Counters: connections, fired, bytes_from_server (all connections).
Transcript: with record(True), proxy.transcript lists (time, "C", bytes)
as the client sent them and (time, "S", bytes) as they reached the client
(after the delay line), time.monotonic() seconds, all connections.
"""
import collections
import socket
import struct
import threading
import time

CHUNK = 1 << 16


def _reset(sock):
    """Close with RST instead of FIN (what a dying peer looks like).
    SHUT_RD first: it wakes a thread blocked in recv() on this socket,
    which would otherwise keep the socket open (and silent) after close()."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class _Pair:
    """One proxied connection: client (imapc) <-> server (old)."""

    def __init__(self, proxy, client, server):
        self.proxy, self.client, self.server = proxy, client, server
        self.from_server = 0
        self.fault = None              # (kind, n, arg) armed for this pair
        self.closed = threading.Event()
        self.gate = threading.Event()  # cleared while stalled
        self.gate.set()

    def start(self):
        for src, dst, s2c in ((self.client, self.server, False),
                              (self.server, self.client, True)):
            threading.Thread(target=self._pump, args=(src, dst, s2c),
                             daemon=True).start()

    def _sender(self, dst, s2c):
        def send(data):
            dst.sendall(data)
            if s2c:
                self.proxy._record("S", data)
        return send

    def _delay_line(self, dst, latency, s2c):
        """A sender for one direction that holds each chunk until it is
        latency seconds old.  Returns its send(data) function."""
        now_send = self._sender(dst, s2c)
        queue = collections.deque()
        ready = threading.Condition()

        def sender():
            try:
                while True:
                    with ready:
                        while not queue and not self.closed.is_set():
                            ready.wait(0.5)
                        if not queue:
                            return
                        due, data = queue.popleft()
                    wait = due - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    if data is None:
                        dst.shutdown(socket.SHUT_WR)
                        return
                    now_send(data)
            except OSError:
                self.close()

        def send(data):
            with ready:
                queue.append((time.monotonic() + latency, data))
                ready.notify()

        threading.Thread(target=sender, daemon=True).start()
        return send

    def close(self, rst=False):
        if self.closed.is_set():
            return
        self.closed.set()
        self.gate.set()
        for s in (self.client, self.server):
            if rst:
                _reset(s)
            else:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def _pump(self, src, dst, s2c):
        latency = self.proxy.latency_secs
        deliver = self._delay_line(dst, latency, s2c) if latency > 0 \
            else self._sender(dst, s2c)
        try:
            while not self.closed.is_set():
                data = src.recv(CHUNK)
                if not data:
                    if latency > 0:
                        deliver(None)   # the FIN travels late too
                        return
                    break
                if not s2c:
                    self.proxy._record("C", data)
                    data = self._client_data(data)
                if s2c:
                    for old, new in self.proxy.rewrites:
                        data = data.replace(old, new)
                    data = self._server_data(data)
                    if data is None:
                        return
                self.gate.wait()
                if self.closed.is_set():
                    return
                deliver(data)
        except OSError:
            pass
        self.close()

    def _client_data(self, data):
        """Answer the commands answer_command() names, in place of the
        server, one line at a time.  Returns what is left to pass on."""
        if not self.proxy.answers:
            return data
        out = []
        for line in data.split(b"\r\n"):
            reply = self.proxy._take_answer(line)
            if reply is None:
                out.append(line)
                continue
            tag = line.split(b" ", 1)[0]
            self.client.sendall(tag + b" " + reply + b"\r\n")
            self.proxy._record("S", tag + b" " + reply + b"\r\n")
        return b"\r\n".join(out)

    def _server_data(self, data):
        """Count bytes from the server; fire an armed fault at its
        threshold.  Returns the bytes to forward now, or None when the
        connection was dropped."""
        before = self.from_server
        self.from_server += len(data)
        with self.proxy.lock:
            self.proxy.bytes_from_server += len(data)
        if self.fault is None:
            self.fault = self.proxy._arm()
        if self.fault is None or self.fault == "spent":
            return data
        kind, n, arg = self.fault      # arg: stall secs, or junk
        if self.from_server < n:
            return data
        self.fault = "spent"
        head = data[:max(n - before, 0)]
        with self.proxy.lock:
            self.proxy.fired += 1
            self.proxy.events.append((time.time(), kind, self.from_server))
        if head:
            self.client.sendall(head)
            self.proxy._record("S", head)
        if kind == "drop":
            self.close(rst=True)
            return None
        if kind == "garble":
            self.client.sendall(arg)
            self.proxy._record("S", arg)
            return data[len(head):]
        # stall: hold everything (both directions) for secs, then resume
        self.gate.clear()
        if self.closed.wait(arg):
            return None
        self.gate.set()
        return data[len(head):]


class FaultProxy:
    def __init__(self, target_port, target_host="127.0.0.1"):
        self.target = (target_host, target_port)
        self.lock = threading.Lock()
        self.connections = 0
        self.fired = 0
        self.bytes_from_server = 0
        self.events = []
        self._mode = None           # None | ("drop"|"stall"|"garble", n, arg)
        self._refuse = False
        self._times = 0
        self._pairs = []
        self.latency_secs = 0.0
        self.rewrites = []
        self.answers = []           # [command, reply, times left]
        self.recording = False
        self.transcript = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._accept_loop,
                                        daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ control
    def pass_through(self):
        with self.lock:
            self._mode, self._refuse, self._times = None, False, 0

    def drop_after(self, nbytes, times=1):
        with self.lock:
            self._mode, self._refuse = ("drop", nbytes, 0), False
            self._times = times

    def stall_after(self, nbytes, secs, times=1):
        with self.lock:
            self._mode, self._refuse = ("stall", nbytes, secs), False
            self._times = times

    def record(self, on=True):
        with self.lock:
            self.recording = on

    def _record(self, direction, data):
        with self.lock:
            if self.recording:
                self.transcript.append((time.monotonic(), direction, data))

    def rewrite_replies(self, old, new):
        """Replace old with new (bytes) in what the server sends from now
        on (within each chunk read from it)."""
        self.rewrites.append((old, new))

    def answer_command(self, command, reply, times=1, after=0):
        """Answer the next `times` commands containing command (bytes)
        with "<tag> reply" instead of the server, once `after` of them
        have passed."""
        with self.lock:
            self.answers.append([command, reply, times, after])

    def _take_answer(self, line):
        """The reply to give to one command line in the server's place,
        or None to pass it on."""
        with self.lock:
            for answer in self.answers:
                command, reply, times, after = answer
                if times <= 0 or command not in line:
                    continue
                if after > 0:
                    answer[3] -= 1
                    return None
                answer[2] -= 1
                self.fired += 1
                self.events.append((time.time(), "answer", 0))
                return reply
        return None

    def latency(self, secs):
        """One-way delay for connections made from now on."""
        self.latency_secs = secs

    def garble_after(self, nbytes, junk, times=1):
        with self.lock:
            self._mode, self._refuse = ("garble", nbytes, junk), False
            self._times = times

    def refuse(self, times=None):
        with self.lock:
            self._mode, self._refuse, self._times = None, True, times

    def _arm(self):
        """A fault for a connection that has not fired one yet."""
        with self.lock:
            if self._mode is None:
                return None
            if self._times is not None:
                if self._times <= 0:
                    return "spent"
                self._times -= 1
            return self._mode

    def _take_refusal(self):
        with self.lock:
            if not self._refuse:
                return False
            if self._times is not None:
                if self._times <= 0:
                    self._refuse = False
                    return False
                self._times -= 1
            self.fired += 1
            self.events.append((time.time(), "refuse", 0))
            return True

    # ------------------------------------------------------------ serving
    def _accept_loop(self):
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self._stop:
                client.close()
                return
            with self.lock:
                self.connections += 1
            if self._take_refusal():
                _reset(client)
                continue
            if self.latency_secs > 0:
                # the handshake's round trip, without holding up accept()
                threading.Thread(target=self._connect, args=(client,),
                                 daemon=True).start()
            else:
                self._connect(client)

    def _connect(self, client):
        if self.latency_secs > 0:
            time.sleep(2 * self.latency_secs)
        try:
            server = socket.create_connection(self.target, timeout=10)
            server.settimeout(None)
        except OSError:
            _reset(client)
            return
        # a relay must not add Nagle's wait for an ACK to each small write
        for sock in (client, server):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pair = _Pair(self, client, server)
        self._pairs.append(pair)
        pair.start()

    def close(self):
        self._stop = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)   # wakes accept()
        except OSError:
            pass
        try:
            self.listener.close()
        except OSError:
            pass
        for p in self._pairs:
            p.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
