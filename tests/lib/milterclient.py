"""A milter-protocol client (version 6) that talks to a milter the way
Postfix's smtpd does, for tests and bench/milter-bench.

    c = MilterClient("inet:8891@127.0.0.1")
    r = c.message(raw_bytes, client_ip="127.0.0.1", auth=None)
    r.action          # "continue", "accept", "reject", "tempfail", ...
    r.reply           # "550 5.7.1 text" from SMFIR_REPLYCODE, or None
    r.message         # the message with the milter's header edits applied
    c.close()

Like Postfix it sends header values without the space after the colon,
with folded lines joined by bare LF, and the body as CRLF lines in
chunks of 65535 bytes (bare LF in the input body becomes CRLF, as
Postfix's cleanup does).  Only what the milter asks for in option
negotiation is sent; every step waits for its reply.
"""
import socket
import struct

SMFI_VERSION = 6
# Protocol steps the milter may ask us to skip (SMFIP_NO*).
NOCONNECT, NOHELO, NOMAIL, NORCPT = 0x1, 0x2, 0x4, 0x8
NOBODY, NOHDRS, NOEOH, NOUNKNOWN, NODATA = 0x10, 0x20, 0x40, 0x100, 0x200
OFFERED_PROTOCOL = (NOCONNECT | NOHELO | NOMAIL | NORCPT | NOBODY | NOHDRS |
                    NOEOH | NOUNKNOWN | NODATA | 0x400)   # + SMFIP_SKIP
ALL_ACTIONS = 0x1ff
TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", 12)

FINAL = {b"a": "accept", b"r": "reject", b"t": "tempfail", b"d": "discard",
         b"c": "continue", b"s": "skip"}


class MilterError(Exception):
    pass


def parse_address(spec):
    """inet:PORT@HOST / unix:PATH -> (family, address)."""
    kind, _, rest = spec.partition(":")
    if kind in ("unix", "local"):
        return socket.AF_UNIX, rest
    port, _, host = rest.partition("@")
    return socket.AF_INET, (host or "127.0.0.1", int(port))


def split_message(raw):
    """raw bytes -> ([(name, value)], body) the way a milter sees them."""
    text = raw.replace(b"\r\n", b"\n")
    head, sep, body_lf = text.partition(b"\n\n")
    if not sep:
        head, body_lf = text.rstrip(b"\n"), b""
    headers = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + b"\n" + line)
            continue
        name, colon, value = line.partition(b":")
        if not colon:
            continue        # not a header field; Postfix would end here
        if value.startswith(b" "):
            value = value[1:]
        headers.append((name.rstrip(b" \t"), value))
    # Body: CRLF lines, as Postfix hands them over (SMTP ends every
    # line, the last one too).
    if body_lf and not body_lf.endswith(b"\n"):
        body_lf += b"\n"
    body = body_lf.replace(b"\n", b"\r\n")
    return headers, body


def join_message(headers, body):
    out = b"".join(name + b": " + value.replace(b"\n", b"\r\n") + b"\r\n"
                   for name, value in headers)
    return out + b"\r\n" + body


class Result:
    def __init__(self):
        self.action = None
        self.reply = None
        self.headers = None
        self.body = b""
        self.edits = []

    @property
    def message(self):
        return join_message(self.headers, self.body)

    def __repr__(self):
        return "Result(action=%r, reply=%r, edits=%r)" % (
            self.action, self.reply, self.edits)


class MilterClient:
    def __init__(self, spec, timeout=30):
        family, address = parse_address(spec)
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(address)
        if family == socket.AF_INET:
            # Request/reply traffic: Nagle + delayed ACK would add 40 ms
            # to every step.
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.quickack = family == socket.AF_INET
        self.pending = b""     # macros, sent with the next command
        self.buf = b""
        self._send(b"O", struct.pack("!III", SMFI_VERSION, ALL_ACTIONS,
                                     OFFERED_PROTOCOL))
        cmd, data = self._read()
        if cmd != b"O":
            raise MilterError("no option negotiation reply: %r" % cmd)
        _, self.actions, self.protocol = struct.unpack("!III", data[:12])
        self.connected = False

    def close(self):
        try:
            self._send(b"Q", b"")
        except OSError:
            pass
        self.sock.close()

    # -- wire ---------------------------------------------------------------
    def _send(self, cmd, data, now=True):
        self.pending += struct.pack("!I", len(data) + 1) + cmd + data
        if now:
            self.sock.sendall(self.pending)
            self.pending = b""

    def _read(self):
        while len(self.buf) < 4 or \
                len(self.buf) < 4 + struct.unpack("!I", self.buf[:4])[0]:
            chunk = self.sock.recv(65536)
            if self.quickack:
                # libmilter writes header edits and the final reply
                # separately, without TCP_NODELAY: an ACK delayed by us
                # would hold its second write back 40 ms.
                self.sock.setsockopt(socket.IPPROTO_TCP, TCP_QUICKACK, 1)
            if not chunk:
                raise MilterError("milter closed the connection")
            self.buf += chunk
        n = struct.unpack("!I", self.buf[:4])[0]
        packet, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
        return packet[:1], packet[1:]

    def _macros(self, stage, macros):
        data = stage + b"".join(k.encode() + b"\0" + v.encode() + b"\0"
                                for k, v in macros.items())
        self._send(b"D", data, now=False)

    def _step(self, cmd, data, skip_flag, result):
        """Sends one step; returns False when the message is decided."""
        if self.protocol & skip_flag:
            return True
        self._send(cmd, data)
        while True:
            rcmd, rdata = self._read()
            if rcmd == b"p":            # progress
                continue
            if rcmd == b"y":
                result.reply = rdata.rstrip(b"\0").decode(errors="replace")
                result.action = {"4": "tempfail", "5": "reject"}.get(
                    result.reply[:1], "replycode")
                return False
            if rcmd in FINAL:
                result.action = FINAL[rcmd]
                return rcmd in (b"c", b"s")
            raise MilterError("unexpected reply %r to %r" % (rcmd, cmd))

    def _eom(self, result):
        self._send(b"E", b"")
        while True:
            rcmd, rdata = self._read()
            if rcmd == b"p":
                continue
            if rcmd == b"h":
                name, value = rdata.split(b"\0")[:2]
                result.edits.append(("add", name, value))
                result.headers.append((name, value))
            elif rcmd == b"i":
                index = struct.unpack("!I", rdata[:4])[0]
                name, value = rdata[4:].split(b"\0")[:2]
                result.edits.append(("insert", index, name, value))
                result.headers.insert(index, (name, value))
            elif rcmd == b"m":
                index = struct.unpack("!I", rdata[:4])[0]
                name, value = rdata[4:].split(b"\0")[:2]
                result.edits.append(("change", index, name, value))
                self._change_header(result.headers, index, name, value)
            elif rcmd == b"y":
                result.reply = rdata.rstrip(b"\0").decode(errors="replace")
                result.action = {"4": "tempfail", "5": "reject"}.get(
                    result.reply[:1], "replycode")
                return
            elif rcmd in FINAL:
                result.action = FINAL[rcmd]
                return
            else:
                raise MilterError("unexpected reply %r at end of message"
                                  % rcmd)

    @staticmethod
    def _change_header(headers, index, name, value):
        """SMFIR_CHGHEADER: index is 1-based among fields called name;
        an empty value deletes the field."""
        seen = 0
        for i, (n, _) in enumerate(headers):
            if n.lower() == name.lower():
                seen += 1
                if seen == index:
                    if value:
                        headers[i] = (n, value)
                    else:
                        del headers[i]
                    return

    # -- one message --------------------------------------------------------
    def message(self, raw, client_ip="127.0.0.1", auth=None,
                sender="sender@example.test", rcpts=("rcpt@example.net",),
                queue_id="4ABCDEF", raw_body=False):
        """Runs one SMTP transaction's worth of milter steps; returns a
        Result.  raw_body=True sends the body bytes as given (no CRLF
        conversion), to test the milter on input Postfix would clean."""
        result = Result()
        headers, body = split_message(raw)
        if raw_body:
            text = raw
            for sep in (b"\r\n\r\n", b"\n\n"):
                if sep in text:
                    body = text.split(sep, 1)[1]
                    break
        result.headers = list(headers)
        result.body = body
        if not self.connected:
            self._macros(b"C", {"j": "mx.example.test",
                                "{daemon_name}": "mailshift-test"})
            family = b"6" if ":" in client_ip else b"4"
            if not self._step(b"C", b"client.example.test\0" + family +
                              struct.pack("!H", 25) + client_ip.encode() +
                              b"\0", NOCONNECT, result):
                return result
            if not self._step(b"H", b"client.example.test\0", NOHELO,
                              result):
                return result
            self.connected = True
        self._macros(b"M", {"i": queue_id, "{auth_authen}": auth or "",
                            "{mail_addr}": sender})
        if not self._step(b"M", b"<" + sender.encode() + b">\0", NOMAIL,
                          result):
            return self._abort(result)
        for rcpt in rcpts:
            if not self._step(b"R", b"<" + rcpt.encode() + b">\0", NORCPT,
                              result):
                return self._abort(result)
        self._macros(b"T", {"i": queue_id})
        if not self._step(b"T", b"", NODATA, result):
            return self._abort(result)
        for name, value in headers:
            if not self._step(b"L", name + b"\0" + value + b"\0", NOHDRS,
                              result):
                return self._abort(result)
        self._macros(b"N", {"i": queue_id})
        if not self._step(b"N", b"", NOEOH, result):
            return self._abort(result)
        for pos in range(0, len(body), 65535):
            if not self._step(b"B", body[pos:pos + 65535], NOBODY, result):
                return self._abort(result)
        self._macros(b"E", {"i": queue_id})
        self._eom(result)
        return result

    def _abort(self, result):
        # The decision is made; a real MTA resets the milter for the next
        # message with SMFIC_ABORT.
        self._send(b"A", b"")
        return result
