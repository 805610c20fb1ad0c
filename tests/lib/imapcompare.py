"""Compare one user's mailbox on two IMAP servers, in full (stdlib only).

    import imapcompare
    res = imapcompare.compare(old_conn, new_conn)          # imapwire.Conn
    res = imapcompare.compare(old_conn, new_conn, special_use="ignore",
                              relax_uids={"Sent"}, allow_extra={"<id@x>"})
    assert res.ok, res.report()

What is compared: the folder list (names translated from each server's
namespace prefix and separator to canonical 'a/b' form, then through
`name_map`), SPECIAL-USE roles, subscriptions (LIST (SUBSCRIBED), or LSUB
where the server lacks it: subscribed folders that do not exist count
too), and per folder UIDVALIDITY, message count and
per message UID, sha256 of BODY.PEEK[], FLAGS with keywords (minus
\\Recent) and INTERNALDATE (as an instant).

special_use:
  "map"    (default) an old folder with a role (\\Sent ...) must have its
           content in the new folder with the same role, whatever its name
  "check"  folders match by name and roles must be equal
  "ignore" folders match by name, roles are not looked at
relax_uids / relax_uidvalidity: canonical OLD folder names ('*' = all)
  whose UIDs / UIDVALIDITY need not match; messages are then paired by
  content (sha256) in UID order.
allow_extra: Message-IDs (with <>) or sha256 hex of messages that may
  exist on the new side only (mail delivered straight to the new server).

Messages are FETCHed in chunks and bodies hashed while streaming, so only
a small record per message is held in memory.
"""
import datetime
import poplib
import re

import imapwire

FETCH_CHUNK = 250
SYSTEM_FLAGS = {f.lower(): f for f in
                ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
                 "\\Draft")}
ROLES = ("\\all", "\\archive", "\\drafts", "\\flagged", "\\junk", "\\sent",
         "\\trash")


def namespace(conn):
    """(prefix, separator) of the personal namespace."""
    if "NAMESPACE" in conn.caps:
        _, unt = conn.command("NAMESPACE")
        for r in unt:
            p = r.parsed()
            if len(p) > 2 and p[1] == "NAMESPACE" and p[2]:
                return p[2][0][0] or "", p[2][0][1] or "/"
    sep = conn.list("", "")
    return "", (sep[0][1] if sep else "/")


class Side:
    """One server's view: folder names canonicalised to 'a/b' unicode."""

    def __init__(self, conn, label):
        self.conn, self.label = conn, label
        self.prefix, self.sep = namespace(conn)
        self.wire = {}           # canonical -> wire name
        self.roles = {}          # canonical -> set of roles
        self.selectable = set()

    def canon(self, wire):
        name = imapwire.utf7_decode(wire)
        if name.upper() == "INBOX":
            return "INBOX"
        if self.prefix and name.startswith(self.prefix):
            name = name[len(self.prefix):]
        return name.replace(self.sep, "/") if self.sep else name

    def load_folders(self):
        ext = (' RETURN (SPECIAL-USE)' if "SPECIAL-USE" in self.conn.caps
               else "")
        for flags, _, wire in self.conn.list("", "*", ext):
            c = self.canon(wire)
            self.wire[c] = wire
            self.roles[c] = {f for f in flags if f in ROLES}
            if "\\noselect" not in flags and "\\nonexistent" not in flags:
                self.selectable.add(c)

    def subscriptions(self):
        """Subscribed names, also of folders that do not exist: LIST
        (SUBSCRIBED) where the server has it (Cyrus keeps the subscription
        of a deleted folder but leaves it out of LSUB), else LSUB less the
        \\Noselect entries, which stand for subscribed children (Courier
        lists those with "*" too)."""
        if "LIST-EXTENDED" in self.conn.caps:
            _, unt = self.conn.command('LIST (SUBSCRIBED) "" "*"')
            return {self.canon(w) for flags, _, w in
                    self.conn._parse_list(unt, "LIST")
                    if "\\subscribed" in flags}
        return {self.canon(w) for flags, _, w in self.conn.lsub("*")
                if "\\noselect" not in flags}


class Result:
    def __init__(self, max_lines=20):
        self.diffs = []
        self.notes = []
        self.folders = self.messages = self.bytes = 0
        self.max_lines = max_lines

    @property
    def ok(self):
        return not self.diffs

    def diff(self, text):
        self.diffs.append(text)

    def report(self):
        lines = ["compared %d folders, %d messages, %.1f MB: %s"
                 % (self.folders, self.messages, self.bytes / 1e6,
                    "OK" if self.ok else "%d DIFFERENCES" % len(self.diffs))]
        lines += ["  note: " + n for n in self.notes]
        lines += ["  " + d for d in self.diffs[:self.max_lines * 10]]
        if len(self.diffs) > self.max_lines * 10:
            lines.append("  ... %d more" %
                         (len(self.diffs) - self.max_lines * 10))
        return "\n".join(lines)


def _internaldate(s):
    return int(datetime.datetime.strptime(
        s, "%d-%b-%Y %H:%M:%S %z").timestamp())


def _flags(lst):
    out = set()
    for f in lst or ():
        if f.lower() == "\\recent":
            continue
        out.add(SYSTEM_FLAGS.get(f.lower(), f))
    return frozenset(out)


def _msgid(value):
    if value is None:
        return None
    if not isinstance(value, bytes):
        return None
    m = re.search(rb"(?im)^message-id:\s*(<[^>\r\n]*>)", value)
    return m.group(1).decode("latin-1") if m else None


def folder_records(conn, wire, result=None):
    """EXAMINE wire; returns (info dict, {uid: record}) where record is
    (sha256, flags frozenset, internaldate epoch, message-id, size)."""
    info = conn.select(wire, readonly=True)
    recs = {}
    uids = conn.uid_search_all() if info.get("EXISTS") else []
    for i in range(0, len(uids), FETCH_CHUNK):
        chunk = uids[i:i + FETCH_CHUNK]

        def got(resp):
            p = resp.parsed()
            if len(p) < 4 or str(p[2]).upper() != "FETCH":
                return
            _, it = imapwire.fetch_items(p)
            body = it.get("BODY[]")
            size = body.size if isinstance(body, imapwire.HashedLiteral) \
                else len(body or b"")
            if "UID" not in it:
                return          # an unsolicited flag update
            if "INTERNALDATE" not in it or body is None:
                # the server could not read the message: a difference
                recs[int(it["UID"])] = ("unreadable", frozenset(), 0,
                                        None, 0)
                return
            recs[int(it["UID"])] = (
                imapwire.literal_sha256(body), _flags(it.get("FLAGS")),
                _internaldate(it["INTERNALDATE"]),
                _msgid(it.get("BODY[HEADER.FIELDS (MESSAGE-ID)]")), size)
            if result is not None:
                result.bytes += size
        conn.command("UID FETCH %s (UID FLAGS INTERNALDATE BODY.PEEK[] "
                     "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"
                     % imapwire.uid_set(chunk), on_untagged=got,
                     check=False)    # NO for an unreadable message: a diff
    conn.close_mailbox()
    return info, recs


def _fmt_flags(f):
    return "(" + " ".join(sorted(f)) + ")"


def _pair(old, new, by_uid):
    """-> (pairs [(ouid, nuid)], old-only uids, new-only uids)."""
    if by_uid:
        pairs = [(u, u) for u in sorted(old) if u in new]
        return (pairs, [u for u in sorted(old) if u not in new],
                [u for u in sorted(new) if u not in old])
    pool = {}
    for u in sorted(new):
        pool.setdefault(new[u][0], []).append(u)
    pairs, missing = [], []
    for u in sorted(old):
        lst = pool.get(old[u][0])
        if lst:
            pairs.append((u, lst.pop(0)))
        else:
            missing.append(u)
    extra = sorted(u for lst in pool.values() for u in lst)
    return pairs, missing, extra


def _in(name, names):
    return names is True or "*" in names or name in names


def compare_folder(res, oldc, newc, ofolder, nfolder, owire, nwire,
                   relax_uid, relax_uidv, allow_extra):
    oinfo, old = folder_records(oldc, owire, res)
    ninfo, new = folder_records(newc, nwire)
    where = ofolder if ofolder == nfolder else "%s -> %s" % (ofolder,
                                                             nfolder)
    res.folders += 1
    res.messages += len(old)
    if not relax_uidv and oinfo.get("UIDVALIDITY") != ninfo.get(
            "UIDVALIDITY"):
        res.diff("%s: UIDVALIDITY old=%s new=%s" % (
            where, oinfo.get("UIDVALIDITY"), ninfo.get("UIDVALIDITY")))
    pairs, missing, extra = _pair(old, new, not relax_uid)
    for ou, nu in pairs:
        o, n = old[ou], new[nu]
        tag = "%s UID %d" % (where, ou) + ("" if ou == nu else "->%d" % nu)
        if o[0] != n[0]:
            res.diff("%s: content differs (sha256 %s.. vs %s.., size %d vs "
                     "%d, Message-ID %s vs %s)" % (tag, o[0][:12], n[0][:12],
                                                   o[4], n[4], o[3], n[3]))
        if o[1] != n[1]:
            res.diff("%s: FLAGS old=%s new=%s" % (tag, _fmt_flags(o[1]),
                                                  _fmt_flags(n[1])))
        if o[2] != n[2]:
            res.diff("%s: INTERNALDATE old=%s new=%s" % (
                tag, datetime.datetime.utcfromtimestamp(o[2]),
                datetime.datetime.utcfromtimestamp(n[2])))
    for u in missing:
        res.diff("%s: message UID %d (Message-ID %s, %d bytes) missing on "
                 "new" % (where, u, old[u][3], old[u][4]))
    allowed = 0
    for u in extra:
        if new[u][3] in allow_extra or new[u][0] in allow_extra:
            allowed += 1
            continue
        res.diff("%s: extra message on new UID %d (Message-ID %s)"
                 % (where, u, new[u][3]))
    if allowed:
        res.notes.append("%s: %d allowed extra message(s) on new"
                         % (where, allowed))
    if len(new) - allowed != len(old) or \
            oinfo.get("EXISTS", 0) != len(old):
        res.diff("%s: message count old=%d new=%d" % (where, len(old),
                                                      len(new)))


def compare(oldc, newc, *, name_map=None, special_use="map",
            relax_uids=(), relax_uidvalidity=(), allow_extra=(),
            allow_extra_folders=(), max_lines=20):
    """Compare the logged-in user's mailbox on oldc vs newc
    (imapwire.Conn). name_map(canonical_old) -> canonical_new."""
    if special_use not in ("map", "check", "ignore"):
        raise ValueError("special_use must be map, check or ignore")
    res = Result(max_lines)
    old, new = Side(oldc, "old"), Side(newc, "new")
    old.load_folders()
    new.load_folders()
    name_map = name_map or (lambda n: n)
    by_role = {}
    for f, roles in new.roles.items():
        for r in roles:
            by_role.setdefault(r, f)

    mapping, unmapped = {}, set()
    for f in sorted(old.wire):
        target = name_map(f)
        if special_use == "map" and old.roles.get(f):
            role = sorted(old.roles[f])[0]
            if role in by_role:
                target = by_role[role]
            else:
                res.diff("folder %r has %s on old; no folder on new has it"
                         % (f, role))
                unmapped.add(f)
        mapping[f] = target
    targets = set(mapping.values())
    for f in sorted(old.wire):
        t = mapping[f]
        if t not in new.wire:
            res.diff("folder %r missing on new (expected %r)" % (f, t))
        elif special_use != "ignore" and f not in unmapped and \
                old.roles[f] != new.roles[t]:
            res.diff("folder %r: special-use old=%s new=%s" % (
                f, sorted(old.roles[f]), sorted(new.roles[t])))
        elif f in old.selectable and t not in new.selectable:
            res.diff("folder %r is selectable on old but not on new" % f)
    for f in sorted(new.wire):
        if f not in targets and f not in allow_extra_folders:
            res.diff("extra folder on new: %r" % f)

    osubs = {mapping.get(s, name_map(s)) for s in old.subscriptions()}
    nsubs = new.subscriptions()
    for s in sorted(osubs - nsubs):
        res.diff("subscription %r missing on new" % s)
    for s in sorted(nsubs - osubs):
        res.diff("extra subscription on new: %r" % s)

    allow = set(allow_extra)
    for f in sorted(old.selectable):
        t = mapping[f]
        if t not in new.selectable:
            continue
        compare_folder(res, oldc, newc, f, t, old.wire[f], new.wire[t],
                       _in(f, relax_uids), _in(f, relax_uidvalidity), allow)
    return res


# ------------------------------------------------------------------ POP3
def pop3_uidls(host, port, user, password):
    p = poplib.POP3(host, port, timeout=120)
    try:
        p.user(user)
        p.pass_(password)
        _, lines, _ = p.uidl()
        return [ln.decode("latin-1").split(" ", 1)[1] for ln in lines]
    finally:
        p.quit()


def compare_pop3_uidl(old, new):
    """old/new: (host, port, login, password). Returns a list of
    differences (empty = same UIDLs in the same order)."""
    a, b = pop3_uidls(*old), pop3_uidls(*new)
    diffs = []
    sa, sb = set(a), set(b)
    for u in a:
        if u not in sb:
            diffs.append("POP3 UIDL %s missing on new" % u)
    for u in b:
        if u not in sa:
            diffs.append("POP3 UIDL %s extra on new" % u)
    common_a = [u for u in a if u in sb]
    common_b = [u for u in b if u in sa]
    if common_a != common_b:
        diffs.append("POP3 order differs")
    return diffs
