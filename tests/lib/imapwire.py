"""Small streaming IMAP client for the test rig, the corpus generator, the
comparer and the bench (stdlib only).

imaplib keeps whole responses in memory and cannot pipeline; this client
parses responses incrementally, can hash big literals while reading them
(a 500 MB mailbox is never held in memory) and can pipeline commands.
"""
import base64
import fcntl
import hashlib
import random
import re
import socket
import ssl
import threading

CRLF = b"\r\n"


class IMAPError(Exception):
    pass


# ---------------------------------------------------------------- mUTF-7
def utf7_encode(name):
    """Unicode mailbox name -> IMAP modified UTF-7 (RFC 3501 5.1.3)."""
    out, pending = [], []

    def flush():
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            b64 = base64.b64encode(raw).decode("ascii").rstrip("=")
            out.append("&" + b64.replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def utf7_decode(name):
    """IMAP modified UTF-7 -> unicode."""
    def repl(m):
        if m.group(1) == "":
            return "&"
        b64 = m.group(1).replace(",", "/")
        b64 += "=" * (-len(b64) % 4)
        return base64.b64decode(b64).decode("utf-16-be")
    return re.sub(r"&([^-]*)-", repl, name)


def quote(s):
    """Quote a string argument (ASCII, no CR/LF)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------- parsing
class HashedLiteral:
    """A literal that was hashed while read instead of being kept."""
    __slots__ = ("sha256", "size")

    def __init__(self, sha256, size):
        self.sha256, self.size = sha256, size

    def __repr__(self):
        return "<literal %d bytes sha256=%s>" % (self.size, self.sha256[:12])


def literal_sha256(value):
    """sha256 hex of a literal value (bytes or HashedLiteral)."""
    if isinstance(value, HashedLiteral):
        return value.sha256
    if value is None:
        return None
    if isinstance(value, str):
        value = value.encode("latin-1")
    return hashlib.sha256(value).hexdigest()


_LIT_RE = re.compile(rb"\{(\d+)\}\r\n$")


def _tokenize(segments):
    """segments: alternating str (text) and literal objects. Yields tokens:
    '(' ')' , str atoms/quoted (quoted as ('Q', s)), literal objects."""
    for seg in segments:
        if not isinstance(seg, str):
            yield seg
            continue
        i, n = 0, len(seg)
        while i < n:
            c = seg[i]
            if c in " \r\n":
                i += 1
            elif c in "()":
                yield c
                i += 1
            elif c == '"':
                j, buf = i + 1, []
                while j < n and seg[j] != '"':
                    if seg[j] == "\\":
                        j += 1
                    buf.append(seg[j])
                    j += 1
                yield ("Q", "".join(buf))
                i = j + 1
            else:
                j, depth = i, 0
                while j < n:
                    cj = seg[j]
                    if cj == "[":
                        depth += 1
                    elif cj == "]":
                        depth -= 1
                    elif depth == 0 and cj in " ()\r\n":
                        break
                    j += 1
                yield seg[i:j]
                i = j


def parse_tokens(segments):
    """Parse a response into a nested python list. Quoted strings become
    str, atoms become str (NIL becomes None), literals stay as they are."""
    stack = [[]]
    for tok in _tokenize(segments):
        if tok == "(":
            stack.append([])
        elif tok == ")":
            done = stack.pop()
            stack[-1].append(done)
        elif isinstance(tok, tuple):
            stack[-1].append(tok[1])
        elif isinstance(tok, str):
            stack[-1].append(None if tok == "NIL" else tok)
        else:
            stack[-1].append(tok)
    while len(stack) > 1:           # unbalanced: be lenient
        done = stack.pop()
        stack[-1].append(done)
    return stack[0]


def fetch_items(parsed):
    """['*', '12', 'FETCH', [k, v, ...]] -> (seq, {KEY: value})."""
    seq = int(parsed[1])
    lst = parsed[3] if len(parsed) > 3 else []
    items = {}
    for k in range(0, len(lst) - 1, 2):
        items[str(lst[k]).upper()] = lst[k + 1]
    return seq, items


class Response:
    """One server response line (with its literals)."""
    __slots__ = ("segments", "text")

    def __init__(self, segments):
        self.segments = segments
        self.text = "".join(s if isinstance(s, str) else "{LIT}"
                            for s in segments).rstrip("\r\n")

    def parsed(self):
        return parse_tokens(self.segments)

    @property
    def tag(self):
        return self.text.split(" ", 1)[0]

    def __repr__(self):
        return "<Response %r>" % self.text[:200]


# ---------------------------------------------------------------- client
class Conn:
    """A plain (or TLS) IMAP connection.

    hash_literals_over: literals bigger than this many bytes are hashed
    while streaming (HashedLiteral) instead of kept (default: keep all up to
    1 MiB)."""

    def __init__(self, host, port, *, tls=False, ca_file=None, timeout=120,
                 hash_literals_over=1 << 20):
        sock = socket.create_connection((host, port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context(cafile=ca_file)
            sock = ctx.wrap_socket(sock, server_hostname=host)
        self.sock = sock
        self.rf = sock.makefile("rb", buffering=1 << 16)
        self.hash_over = hash_literals_over
        self._tagno = 0
        self.caps = set()
        greeting = self.read_response()
        if not greeting.text.startswith("* OK"):
            raise IMAPError("bad greeting: " + greeting.text)
        self._caps_from(greeting.text)

    # -- low level
    def next_tag(self):
        self._tagno += 1
        return "T%05d" % self._tagno

    def send(self, data):
        self.sock.sendall(data)

    def _read_literal(self, size):
        if size <= self.hash_over:
            data = self.rf.read(size)
            if len(data) != size:
                raise IMAPError("connection closed in literal")
            return data
        h, left = hashlib.sha256(), size
        while left:
            chunk = self.rf.read(min(left, 1 << 16))
            if not chunk:
                raise IMAPError("connection closed in literal")
            h.update(chunk)
            left -= len(chunk)
        return HashedLiteral(h.hexdigest(), size)

    def read_response(self):
        segments = []
        while True:
            line = self.rf.readline()
            if not line:
                raise IMAPError("connection closed by server")
            m = _LIT_RE.search(line)
            if m:
                segments.append(line[:m.start()].decode("latin-1"))
                segments.append(self._read_literal(int(m.group(1))))
                continue
            segments.append(line.decode("latin-1"))
            return Response(segments)

    def _caps_from(self, text):
        m = re.search(r"\[CAPABILITY ([^\]]*)\]", text)
        if m:
            self.caps = set(m.group(1).upper().split())

    # -- commands
    def send_command(self, command, literals=()):
        """Send one command; literals are bytes spliced in where the command
        text has '{}' markers. Uses LITERAL+ when the server has it."""
        tag = self.next_tag()
        parts = command.split("{}")
        if len(parts) - 1 != len(literals):
            raise ValueError("literal count mismatch")
        nonsync = "LITERAL+" in self.caps
        buf = (tag + " " + parts[0]).encode("latin-1")
        for lit, text in zip(literals, parts[1:]):
            if nonsync:
                buf += b"{%d+}\r\n" % len(lit) + lit + text.encode("latin-1")
            else:
                self.send(buf + b"{%d}\r\n" % len(lit))
                resp = self.read_response()
                if not resp.text.startswith("+"):
                    raise IMAPError("literal refused: " + resp.text)
                buf = lit + text.encode("latin-1")
            if len(buf) > 1 << 20:
                self.send(buf)
                buf = b""
        self.send(buf + CRLF)
        return tag

    def wait(self, tag, on_untagged=None):
        """Read until the tagged reply; returns (tagged Response, untagged
        list). If on_untagged is given it receives each untagged response
        and the list stays empty (streaming)."""
        untagged = []
        while True:
            resp = self.read_response()
            if resp.tag == tag:
                return resp, untagged
            if on_untagged is not None:
                on_untagged(resp)
            else:
                untagged.append(resp)

    def command(self, command, literals=(), on_untagged=None, check=True):
        tag = self.send_command(command, literals)
        resp, untagged = self.wait(tag, on_untagged)
        if check and not resp.text.startswith(tag + " OK"):
            raise IMAPError("%s -> %s" % (command[:200], resp.text))
        self._caps_from(resp.text)
        return resp, untagged

    def capability(self):
        _, unt = self.command("CAPABILITY")
        for r in unt:
            if r.text.startswith("* CAPABILITY "):
                self.caps = set(r.text[13:].upper().split())
        return self.caps

    def login(self, user, password, authzid=None):
        """Log in. With authzid, SASL PLAIN as `user` (the master user)
        on behalf of `authzid`."""
        if authzid is not None:
            blob = ("%s\0%s\0%s" % (authzid, user, password)).encode()
            self.command("AUTHENTICATE PLAIN " +
                         base64.b64encode(blob).decode())
        else:
            self.command("LOGIN %s %s" % (quote(user), quote(password)))
        if not self.caps or "IMAP4REV1" not in self.caps:
            self.capability()
        return self

    def list(self, ref="", pattern="*", extended=""):
        """-> list of (flags set, separator, name-as-on-wire)."""
        _, unt = self.command("LIST %s %s%s" %
                              (quote(ref), quote(pattern), extended))
        return self._parse_list(unt, "LIST")

    def lsub(self, pattern="*"):
        _, unt = self.command("LSUB \"\" %s" % quote(pattern))
        return self._parse_list(unt, "LSUB")

    @staticmethod
    def _parse_list(untagged, kind):
        out = []
        for r in untagged:
            p = r.parsed()
            if len(p) >= 5 and p[0] == "*" and str(p[1]).upper() == kind:
                name = p[4]
                if isinstance(name, bytes):
                    name = name.decode("latin-1")
                out.append((set(f.lower() for f in p[2]), p[3], name))
        return out

    def select(self, mailbox, readonly=True):
        """EXAMINE/SELECT; returns dict with EXISTS, UIDVALIDITY, UIDNEXT,
        HIGHESTMODSEQ (ints where present)."""
        cmd = "EXAMINE" if readonly else "SELECT"
        _, unt = self.command("%s %s" % (cmd, quote(mailbox)))
        info = {}
        for r in unt:
            m = re.match(r"\* (\d+) EXISTS", r.text)
            if m:
                info["EXISTS"] = int(m.group(1))
            m = re.search(r"\[(UIDVALIDITY|UIDNEXT|HIGHESTMODSEQ) (\d+)\]",
                          r.text)
            if m:
                info[m.group(1)] = int(m.group(2))
        return info

    def uid_search_all(self):
        _, unt = self.command("UID SEARCH ALL")
        uids = []
        for r in unt:
            if r.text.startswith("* SEARCH"):
                uids.extend(int(x) for x in r.text.split()[2:])
        return sorted(uids)

    def close_mailbox(self):
        """Leave the mailbox WITHOUT expunging \\Deleted mail."""
        if "UNSELECT" in self.caps:
            self.command("UNSELECT", check=False)

    def logout(self):
        try:
            self.command("LOGOUT", check=False)
        except (IMAPError, OSError):
            pass
        self.close()

    def close(self):
        try:
            self.rf.close()
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.logout()


def uid_set(uids):
    """Compress a sorted UID list into an IMAP sequence set string."""
    out, start, prev = [], None, None
    for u in uids:
        if start is None:
            start = prev = u
        elif u == prev + 1:
            prev = u
        else:
            out.append(str(start) if start == prev else "%d:%d" % (start, prev))
            start = prev = u
    if start is not None:
        out.append(str(start) if start == prev else "%d:%d" % (start, prev))
    return ",".join(out)


_ports_given = set()
_ports_mutex = threading.Lock()
_ports_file = None
# below the kernel's ephemeral ports (ip_local_port_range, 32768-60999):
# a client socket's local port is never one of these
PORT_RANGE = (20000, 32768)
PORTS_LOCK = "/tmp/mailshift-test-ports.lock"


def free_port():
    """A TCP port on 127.0.0.1 that is free, and this process's until it
    ends.  Tests run side by side (run-all's MS_JOBS): a port one picked
    must not go to another before its server binds it, nor while a server
    restarts on it.  So each is reserved with a lock on byte `port` of
    PORTS_LOCK, held until the process ends (also by SIGKILL), and comes
    from PORT_RANGE, where no client socket takes it meanwhile.  Never
    handed out twice by this process either: two listeners of one server
    that got the same port would not start ("duplicate listener")."""
    global _ports_file
    with _ports_mutex:
        if _ports_file is None:
            _ports_file = open(PORTS_LOCK, "a")
        for _ in range(1000):
            port = random.randrange(*PORT_RANGE)
            if port in _ports_given:
                continue
            try:
                fcntl.lockf(_ports_file, fcntl.LOCK_EX | fcntl.LOCK_NB, 1,
                            port)
            except OSError:
                continue                    # another test's
            try:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            except OSError:
                fcntl.lockf(_ports_file, fcntl.LOCK_UN, 1, port)
                continue                    # in use outside the tests
            _ports_given.add(port)
            return port
        raise RuntimeError("no free port in %d-%d" % PORT_RANGE)
