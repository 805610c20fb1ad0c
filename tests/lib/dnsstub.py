"""A tiny authoritative DNS server for tests: answers MX queries from a
dict on a free 127.0.0.1 UDP port, NXDOMAIN for the rest.  Enough for a
resolver (glibc's res_nquery) to classify domains by their MX hosts
without internet access.

    dns = dnsstub.MxServer({"corp.test": ["aspmx.l.google.com"]}).start()
    ... warmup_resolver = 127.0.0.1:%d % dns.port ...
    dns.stop()
"""
import socket
import struct
import threading


def _name(wire_name):
    return b"".join(bytes([len(p)]) + p
                    for p in wire_name.encode().split(b".") if p) + b"\0"


class MxServer:
    def __init__(self, mx):
        self.mx = {k.lower(): v for k, v in mx.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.queries = []
        self._stop = False

    def start(self):
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def stop(self):
        self._stop = True
        self.sock.close()

    def _serve(self):
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            reply = self._answer(data)
            if reply is not None:
                self.sock.sendto(reply, peer)

    def _answer(self, data):
        if len(data) < 12:
            return None
        qid, = struct.unpack("!H", data[:2])
        pos, labels = 12, []
        while pos < len(data) and data[pos] != 0:
            n = data[pos]
            labels.append(data[pos + 1:pos + 1 + n].decode(errors="replace"))
            pos += 1 + n
        qtype, _qclass = struct.unpack("!HH", data[pos + 1:pos + 5])
        question = data[12:pos + 5]
        name = ".".join(labels).lower()
        self.queries.append(name)
        hosts = self.mx.get(name) if qtype == 15 else None
        if hosts is None:
            return struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question
        answers = b""
        for pref, host in enumerate(hosts, 1):
            rdata = struct.pack("!H", pref * 10) + _name(host)
            answers += struct.pack("!HHHIH", 0xC00C, 15, 1, 300,
                                   len(rdata)) + rdata
        return struct.pack("!HHHHHH", qid, 0x8180, 1, len(hosts), 0, 0) + \
            question + answers
