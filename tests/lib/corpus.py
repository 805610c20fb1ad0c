"""Deterministic test mailboxes, filled over IMAP (stdlib only).

    import corpus
    c = old.connect("alice")
    manifest = corpus.fill_quick(c, prefix="INBOX.", sep=".", seed=1)
    manifest = corpus.fill_bulk(c, count=20000, seed=7, ...)

Folder paths are written canonically ('a/b/c', unicode) and turned into the
server's names with its namespace prefix, separator and modified UTF-7.
Messages are APPENDed pipelined with LITERAL+ (flags, keywords and
INTERNALDATE set by the APPEND).  The same seed always gives the same bytes.

The quick corpus holds the hard cases: nested folders, non-ASCII folder
names, an '&' in a name, 8-bit headers, a bare-LF message, no Message-ID,
two different messages sharing a Message-ID, two byte-identical messages,
keywords ($Forwarded $Label1 $MDNSent and custom ones), every system flag
including \\Deleted (never expunged), an empty folder, subscriptions with
a subscribed folder that does not exist, special-use folders under the
names given by `special` (see ALT_SPECIAL_USE) and optionally a >= 20 MB
message.
"""
import base64
import hashlib
import random
import re
import time

import imapwire

CORPUS_VERSION = 1

STD_SPECIAL_USE = {"Sent": "\\Sent", "Drafts": "\\Drafts", "Trash": "\\Trash",
                   "Junk": "\\Junk", "Archive": "\\Archive"}
# Names an Exchange/Outlook-era OLD server uses (pass to rig.Dovecot too).
ALT_SPECIAL_USE = {"Sent Items": "\\Sent", "Deleted Items": "\\Trash",
                   "Drafts": "\\Drafts", "Junk E-mail": "\\Junk",
                   "Archive": "\\Archive"}

BASE_EPOCH = 1546300800          # 2019-01-01 00:00:00 UTC
SPAN = 5 * 365 * 86400
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
WORDS = ("migration mailbox server client folder message flag keyword "
         "cutover dovecot postfix delivery archive report meeting budget "
         "invoice travel schedule review draft release sync network").split()


def imap_date(epoch, tz_minutes=0):
    """INTERNALDATE string for an APPEND (tz shifts only the notation)."""
    t = time.gmtime(epoch + tz_minutes * 60)
    sign = "+" if tz_minutes >= 0 else "-"
    return '"%02d-%s-%04d %02d:%02d:%02d %s%02d%02d"' % (
        t.tm_mday, MONTHS[t.tm_mon - 1], t.tm_year, t.tm_hour, t.tm_min,
        t.tm_sec, sign, abs(tz_minutes) // 60, abs(tz_minutes) % 60)


def rfc822_date(epoch):
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(epoch))


def wire_name(path, prefix="", sep="/"):
    """Canonical 'a/b' -> server mailbox name (prefix, sep, mUTF-7)."""
    if path.upper() == "INBOX":
        return "INBOX"
    return imapwire.utf7_encode(prefix + path.replace("/", sep))


class Message:
    __slots__ = ("folder", "data", "flags", "epoch", "tz", "note")

    def __init__(self, folder, data, flags=(), epoch=BASE_EPOCH, tz=0,
                 note=""):
        self.folder, self.data, self.flags = folder, data, tuple(flags)
        self.epoch, self.tz, self.note = epoch, tz, note


class Builder:
    """Deterministic message factory."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.n = 0

    def text(self, nbytes):
        rng, out, size = self.rng, [], 0
        line = []
        while size < nbytes:
            w = rng.choice(WORDS)
            line.append(w)
            size += len(w) + 1
            if len(line) >= 12:
                out.append(" ".join(line))
                line = []
        out.append(" ".join(line))
        return "\r\n".join(out).encode("ascii")

    def message(self, size=2000, *, subject=None, msgid=True,
                headers=b"", body=None, epoch=None, attach=None):
        """RFC 5322 message of about `size` bytes (CRLF). attach: bytes of
        a binary attachment (base64-encoded into a multipart)."""
        self.n += 1
        rng = self.rng
        epoch = epoch if epoch is not None else BASE_EPOCH + rng.randrange(SPAN)
        subject = subject or "%s %s #%d" % (rng.choice(WORDS).title(),
                                            rng.choice(WORDS), self.n)
        hdr = [b"From: Sender %d <sender%d@old.example>" % (self.n % 37,
                                                            self.n % 37),
               b"To: Alice <alice@example.org>",
               b"Subject: " + subject.encode("utf-8"),
               b"Date: " + rfc822_date(epoch).encode()]
        if msgid is True:
            hdr.append(b"Message-ID: <%d.%08x@corpus.mailshift.test>"
                       % (self.n, rng.getrandbits(32)))
        elif msgid:
            hdr.append(b"Message-ID: " + msgid)
        hdr.append(b"MIME-Version: 1.0")
        if headers:
            hdr.append(headers.rstrip(b"\r\n"))
        if attach is None:
            hdr.append(b"Content-Type: text/plain; charset=utf-8")
            if body is None:
                body = self.text(max(size - 300, 10))
            return b"\r\n".join(hdr) + b"\r\n\r\n" + body + b"\r\n", epoch
        bnd = b"=_corpus_%d" % self.n
        hdr.append(b'Content-Type: multipart/mixed; boundary="' + bnd + b'"')
        b64 = base64.encodebytes(attach).replace(b"\n", b"\r\n")
        parts = [b"--" + bnd,
                 b"Content-Type: text/plain; charset=utf-8", b"",
                 body if body is not None else self.text(400),
                 b"--" + bnd,
                 b"Content-Type: application/octet-stream",
                 b"Content-Transfer-Encoding: base64",
                 b'Content-Disposition: attachment; filename="f%d.bin"'
                 % self.n, b"", b64.rstrip(b"\r\n"),
                 b"--" + bnd + b"--", b""]
        return (b"\r\n".join(hdr) + b"\r\n\r\n" + b"\r\n".join(parts),
                epoch)

    def sized(self, folder, size, flags=()):
        """A message of about `size` bytes: text, or text + attachment."""
        if size > 12000:
            raw = self.rng.randbytes(int((size - 1200) * 3 / 4))
            data, ep = self.message(attach=raw)
        else:
            data, ep = self.message(size)
        return Message(folder, data, flags, ep, self._tz())

    def _tz(self):
        return self.rng.choice((0, 60, 120, -300, 330, -480))

    def random_flags(self):
        rng, f = self.rng, []
        if rng.random() < 0.7:
            f.append("\\Seen")
        if rng.random() < 0.15:
            f.append("\\Answered")
        if rng.random() < 0.08:
            f.append("\\Flagged")
        if rng.random() < 0.05:
            f.append("$Forwarded")
        return f


# ------------------------------------------------------------------ plans
def quick_plan(seed=1, special=None, big=False):
    """(folders, subscriptions, messages) of the quick hard-case corpus.
    special: {name: role} of the special-use folders to create."""
    special = STD_SPECIAL_USE if special is None else special
    b = Builder(seed)
    msgs = []

    def add(folder, n, flags=None):
        for _ in range(n):
            data, ep = b.message(b.rng.randrange(600, 6000))
            msgs.append(Message(folder, data,
                                b.random_flags() if flags is None else flags,
                                ep, b._tz()))

    add("INBOX", 12)
    # the hard cases, all in INBOX
    d, ep = b.message(subject="Grüße aus Köln — 8-bit header",
                      headers="X-Note: naïve 8-bit header ✓".encode())
    msgs.append(Message("INBOX", d, ["\\Seen"], ep, note="8bit-header"))
    d, ep = b.message(800)
    msgs.append(Message("INBOX", d.replace(b"\r\n", b"\n"), [], ep,
                        note="bare-lf"))
    d, ep = b.message(900, msgid=False)
    msgs.append(Message("INBOX", d, ["\\Seen"], ep, note="no-message-id"))
    shared = b"<shared-id@corpus.mailshift.test>"
    for i in range(2):
        d, ep = b.message(700 + 100 * i, msgid=shared)
        msgs.append(Message("INBOX", d, ["\\Seen"] if i else [], ep,
                            note="shared-message-id"))
    d, ep = b.message(1000)
    for i in range(2):
        msgs.append(Message("INBOX", d, ["\\Flagged"] if i else [], ep,
                            note="byte-identical-pair"))
    d, ep = b.message(1500)
    msgs.append(Message("INBOX", d, ["\\Seen", "\\Deleted"], ep,
                        note="deleted-not-expunged"))
    d, ep = b.message(1500)
    msgs.append(Message("INBOX", d,
                        ["\\Seen", "\\Answered", "\\Flagged", "$Forwarded",
                         "$Label1", "$MDNSent", "ProjectX", "Junk_Custom"],
                        ep, note="keywords"))
    d, ep = b.message(1200)
    msgs.append(Message("INBOX", d, ["\\Draft", "\\Seen"], ep,
                        note="draft-flag"))
    if big:
        raw = b.rng.randbytes(15 * 1024 * 1024 + 123)     # ~20.3 MB base64
        d, ep = b.message(attach=raw, subject="big attachment")
        msgs.append(Message("INBOX", d, ["\\Seen"], ep, note="big"))

    folders = ["a", "a/b", "a/b/c", "Entwürfe", "日本語", "日本語/子",
               "Tom & Jerry", "Empty"]
    add("a", 3)
    add("a/b", 2)
    add("a/b/c", 2)
    add("Entwürfe", 2, ["\\Draft"])
    add("日本語", 1)
    add("日本語/子", 2)
    add("Tom & Jerry", 1)
    roles = {v: k for k, v in special.items()}
    counts = {"\\Sent": 5, "\\Trash": 2, "\\Drafts": 2, "\\Junk": 1,
              "\\Archive": 3}
    for role, n in counts.items():
        if role in roles:
            folders.append(roles[role])
            add(roles[role], n,
                {"\\Drafts": ["\\Draft"], "\\Sent": ["\\Seen"],
                 "\\Trash": ["\\Seen", "\\Deleted"]}.get(role))
    subs = ["INBOX", "a", "a/b", "Entwürfe", "日本語/子", "Tom & Jerry",
            "Ghost"] + [roles[r] for r in ("\\Sent", "\\Drafts")
                        if r in roles]
    return folders, subs, msgs


DEFAULT_SIZES = ((0.65, 1000, 8000), (0.27, 8000, 50000),
                 (0.075, 50000, 200000), (0.005, 200000, 1500000))
BULK_FOLDERS = (("INBOX", 0.40), ("Sent", 0.15), ("Archive/2019", 0.07),
                ("Archive/2020", 0.07), ("Archive/2021", 0.07),
                ("Archive/2022", 0.07), ("Archive/2023", 0.07),
                ("Lists/dovecot", 0.05), ("Lists/postfix", 0.05))


def bulk_plan(count, seed=7, sizes=DEFAULT_SIZES, folders=BULK_FOLDERS):
    """Generator of `count` Messages with the given size distribution
    ((weight, min, max), ...) spread over folders ((path, weight), ...)."""
    b = Builder(seed)
    names = [f for f, _ in folders]
    fw = [w for _, w in folders]
    sw = [w for w, _, _ in sizes]
    for _ in range(count):
        folder = b.rng.choices(names, fw)[0]
        _, lo, hi = b.rng.choices(sizes, sw)[0]
        yield b.sized(folder, b.rng.randrange(lo, hi), b.random_flags())


# ------------------------------------------------------------------ filling
def create_folders(conn, folders, prefix="", sep="/"):
    for f in folders:
        parts = f.split("/")
        for i in range(1, len(parts) + 1):
            name = wire_name("/".join(parts[:i]), prefix, sep)
            conn.command("CREATE " + imapwire.quote(name), check=False)


def append_all(conn, messages, prefix="", sep="/", window=64, on_saved=None):
    """Pipelined APPEND of Messages (LITERAL+); returns (count, bytes).
    on_saved(message, append_uid_or_None) after each tagged OK.  Without
    LITERAL+ (Courier) one at a time: a literal's "+" must not be read
    behind an earlier APPEND's answer."""
    pending, n, nbytes = {}, 0, 0
    if "LITERAL+" not in conn.caps:
        window = 0

    def reap(limit):
        nonlocal n
        while len(pending) > limit:
            resp = conn.read_response()
            msg = pending.pop(resp.tag, None)
            if msg is None:
                continue            # untagged
            if not resp.text.startswith(resp.tag + " OK"):
                raise imapwire.IMAPError("APPEND %s: %s" % (msg.note or
                                                            msg.folder,
                                                            resp.text))
            n += 1
            if on_saved:
                m = re.search(r"\[APPENDUID \d+ (\d+)\]", resp.text)
                on_saved(msg, int(m.group(1)) if m else None)

    for msg in messages:
        cmd = "APPEND %s (%s) %s {}" % (
            imapwire.quote(wire_name(msg.folder, prefix, sep)),
            " ".join(msg.flags), imap_date(msg.epoch, msg.tz))
        tag = conn.send_command(cmd, [msg.data])
        pending[tag] = msg
        nbytes += len(msg.data)
        reap(window)
    reap(0)
    return n, nbytes


def subscribe(conn, subs, prefix="", sep="/"):
    """SUBSCRIBE each; a folder that does not exist is created, subscribed
    and deleted again (Dovecot refuses SUBSCRIBE to a missing folder but
    keeps the subscription of a deleted one)."""
    for s in subs:
        name = imapwire.quote(wire_name(s, prefix, sep))
        resp, _ = conn.command("SUBSCRIBE " + name, check=False)
        if " OK" not in resp.text[:12]:
            conn.command("CREATE " + name)
            conn.command("SUBSCRIBE " + name)
            conn.command("DELETE " + name)


def fill_quick(conn, prefix="", sep="/", seed=1, special=None, big=False):
    """Fill one user's (empty) mailbox with the quick corpus; returns a
    manifest dict: folders, subscriptions, messages (folder, uid, sha256 of
    the APPENDed bytes, flags, note) and `stored` observations (e.g. how
    the server stored the bare-LF message)."""
    folders, subs, msgs = quick_plan(seed, special, big)
    manifest = fill_plan(conn, folders, subs, msgs, prefix, sep)
    manifest.update(version=CORPUS_VERSION, seed=seed)
    return manifest


def fill_plan(conn, folders, subs, msgs, prefix="", sep="/"):
    """Create the folders, APPEND the messages, subscribe; returns the
    manifest fill_quick() describes (without version and seed)."""
    create_folders(conn, folders, prefix, sep)
    recs = []

    def saved(m, uid):
        recs.append({"folder": m.folder, "uid": uid, "flags": list(m.flags),
                     "sha256": hashlib.sha256(m.data).hexdigest(),
                     "size": len(m.data), "epoch": m.epoch, "note": m.note})
    append_all(conn, msgs, prefix, sep, on_saved=saved)
    subscribe(conn, subs, prefix, sep)
    return {"folders": folders, "subscriptions": subs, "messages": recs,
            "stored": observe_stored(conn, recs)}


def observe_stored(conn, recs):
    """What the server returns for the bare-LF and 8-bit messages."""
    out = {}
    conn.select("INBOX")
    for r in recs:
        if r["folder"] != "INBOX" or r["note"] not in ("bare-lf",
                                                       "8bit-header"):
            continue
        _, unt = conn.command("UID FETCH %d BODY.PEEK[]" % r["uid"])
        for resp in unt:
            p = resp.parsed()
            if len(p) > 2 and p[2] == "FETCH":
                body = imapwire.fetch_items(p)[1].get("BODY[]")
                same = imapwire.literal_sha256(body) == r["sha256"]
                crlf = isinstance(body, bytes) and b"\n" in body and \
                    body.count(b"\n") == body.count(b"\r\n")
                out[r["note"]] = ("stored as appended" if same else
                                  "normalised to CRLF" if crlf else
                                  "changed")
    conn.close_mailbox()
    return out


def fill_bulk(conn, count, seed=7, prefix="", sep="/", sizes=DEFAULT_SIZES,
              folders=BULK_FOLDERS, progress=None):
    """Fill with `count` generated messages; returns (count, bytes)."""
    create_folders(conn, [f for f, _ in folders], prefix, sep)
    msgs = bulk_plan(count, seed, sizes, folders)
    if progress:
        msgs = _progress(msgs, count, progress)
    return append_all(conn, msgs, prefix, sep)


def _progress(it, total, every):
    t0 = time.time()
    for i, m in enumerate(it, 1):
        if i % every == 0:
            print("  appended %d/%d (%.0fs)" % (i, total, time.time() - t0),
                  flush=True)
        yield m
