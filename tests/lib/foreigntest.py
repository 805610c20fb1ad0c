"""The migration t-old-server-cyrus and t-old-server-courier run from a
real foreign OLD server (tests/lib/foreign.py), and
t-old-server-exchange-like from a Dovecot made to look like another
server (stdlib only).

    s = foreigntest.Scenario(m, compare_options={...})
    s.first_pass()          # fill the old server, copy into both new ones
    s.delta()               # new message, flag change, expunge on the old
    s.cutover()             # doveadm mailshift cutover -u alice

Two NEW servers, each with a state store of its own: maildir LAYOUT=fs
with '/' (every old name kept as it is) and Debian's stock Maildir++
(no separator setting: '.'), where a '.' inside an old level becomes
U+2024 and the pass says so.  After each step both are compared with the
old server over IMAP (imapcompare: every folder and subscription, every
message's bytes as the old server serves them, flags, keywords,
INTERNALDATE, UIDVALIDITY and UIDs).

An old server that is a rig.Dovecot has no corpus of its own: fill(m)
fills it and returns the manifest.  source_port points both new servers
elsewhere (a faultproxy.FaultProxy in front of the old server), and
before_pass(step, new) runs before each pass ("first", "delta") to arm
it; every pass's SyncRun is kept in .runs as (step, server name, run).
"""
import mstest
from mstest import check

USER = "alice"
DOT = "\u2024"                  # what a '.' inside a level becomes under '.'
# name, mail_location, (prefix, separator: None = Dovecot's default)
NEW_SERVERS = (("new-slash", "maildir:~/Maildir:LAYOUT=fs", ("", "/")),
               ("new-dot", "maildir:~/Maildir", ("", None)))
SETTLE = 1                      # mailshift_cutover_settle, seconds


def lookalikes(server, name):
    """Canonical name -> the one `server` gives it: a '.' inside a level
    is U+2024 where '.' is the separator."""
    if server.sep != ".":
        return name
    return "/".join(level.replace(".", DOT) for level in name.split("/"))


class Scenario:
    def __init__(self, m, *, compare_options=None, name_map=None,
                 known_diffs=None, fill=None, source_port=None,
                 rig_options=None, before_pass=None):
        """compare_options: more imapcompare.compare() arguments;
        name_map(canonical old name) -> canonical name on a '/' server
        (the '.' server's lookalikes are added here); known_diffs: {new
        server's name: differences every compare of it shows today};
        fill(m) -> manifest, in place of the old server's fill_quick();
        source_port: the port the new servers reach the old one at;
        rig_options: {new server's name: more rig.Dovecot arguments};
        before_pass(step, new server): called before each pass."""
        self.m = m
        self.compare_options = dict(compare_options or {})
        self.name_map = name_map or (lambda n: n)
        self.known_diffs = dict(known_diffs or {})
        self.fill = fill or (lambda m: m.old.fill_quick(USER))
        self.source_port = source_port
        self.rig_options = dict(rig_options or {})
        self.before_pass = before_pass or (lambda step, new: None)
        self.servers = []
        self.runs = []
        self.manifest = None

    # ------------------------------------------------------------ helpers
    def new_name(self, server, old_name):
        """Canonical old name -> canonical name on `server`."""
        return lookalikes(server, self.name_map(old_name))

    def compare(self, server, what, allowed_diffs=()):
        """Compare old and `server`: the differences must be exactly
        allowed_diffs and the server's known_diffs."""
        allowed_diffs = tuple(allowed_diffs) + tuple(
            self.known_diffs.get(server.name, ()))
        res = self.m.compare(USER, server,
                             name_map=lambda n: self.new_name(server, n),
                             **self.compare_options)
        print("    " + res.report().split("\n")[0])
        unexpected = [d for d in res.diffs if d not in allowed_diffs]
        missing = [d for d in allowed_diffs if d not in res.diffs]
        if allowed_diffs:
            what += ", but for: " + "; ".join(allowed_diffs)
        check(not unexpected and not missing, "%s: %s" % (server.name, what),
              res.report() + ("\n  expected but not seen: %s" % missing
                              if missing else ""))
        return res

    def old_inbox(self):
        """(Conn with the old INBOX selected read-write, UIDs of its
        messages without \\Deleted)."""
        c = self.m.old.connect(USER)
        c.select("INBOX", readonly=False)
        _, unt = c.command("UID SEARCH UNDELETED")
        uids = sorted(int(x) for r in unt if r.text.startswith("* SEARCH")
                      for x in r.text.split()[2:])
        return c, uids

    def sync(self, step, new):
        """One pass on `new`, after before_pass(); kept in .runs."""
        self.before_pass(step, new)
        r = self.m.sync(server=new)
        self.runs.append((step, new.name, r))
        return r

    # ------------------------------------------------------------ steps
    def first_pass(self):
        """Fill the old server, start both new servers, one pass each:
        every message copied, old and new identical."""
        m = self.m
        self.manifest = self.fill(m)
        n = len(self.manifest["messages"])
        source = {"source_port": self.source_port} if self.source_port \
            else {}
        for name, location, namespace in NEW_SERVERS:
            new = m.start_new(name, own_state=True, mail_location=location,
                              rig_options={"namespace": namespace,
                                           **self.rig_options.get(name,
                                                                  {})},
                              cutover_settle="%ds" % SETTLE, **source)
            self.servers.append(new)
            r = self.sync("first", new)
            check(r.rc == 0 and r.row.get("result") == "synced" and
                  r.row.get("copied") == str(n),
                  "%s ('%s'): the first pass copies all %d messages"
                  % (name, new.sep, n), r)
            for folder in self.manifest["folders"]:
                here = lookalikes(new, folder)
                if here != folder:
                    check("old folder '%s' is '%s' here"
                          % (folder.replace("/", m.old.sep),
                             here.replace("/", new.sep)) in r.stderr,
                          "%s: the pass says that old '%s' is '%s' here"
                          % (name, folder, here), r)
            self.compare(new, "old and new are identical after the first "
                         "pass")

    def delta(self):
        """On the old server: a new message, \\Flagged and $Label2 on one
        message, another one expunged; a pass on each new server brings
        all three (from a server without CONDSTORE too: the flags the
        last pass saw are kept beside each copy)."""
        m = self.m
        c, uids = self.old_inbox()
        flagged, gone = uids[0], uids[1]
        c.command("UID STORE %d +FLAGS (\\Flagged $Label2)" % flagged)
        c.command("UID STORE %d +FLAGS (\\Deleted)" % gone)
        c.command("UID EXPUNGE %d" % gone)
        c.logout()
        m.append(m.old, mstest.new_messages("INBOX", 1, tag="delta"))
        for new in self.servers:
            r = self.sync("delta", new)
            check(r.rc == 0 and (r.row.get("copied"), r.row.get("changed"),
                                 r.row.get("expunged")) == ("1", "1", "1"),
                  "%s: the next pass copies the new message, changes the "
                  "flags and expunges the expunged one" % new.name, r)
            self.compare(new, "old and new are identical after the delta")

    def cutover(self):
        """doveadm mailshift cutover -u alice on each new server: the last
        passes verify every old folder, alice is migrated, and old and new
        are as after the delta."""
        m = self.m
        counts = m.folder_counts(m.old)
        verified = "verified %d old folders, %d messages" % (
            len(counts), sum(counts.values()))
        for new in self.servers:
            r = m.doveadm("-f", "tab", "mailshift", "cutover", "-u", USER,
                          server=new, timeout=120)
            check(r.rc == 0 and r.row.get("result") == "migrated",
                  "%s: cutover ends in migrated" % new.name, r)
            check(verified in r.stderr, "%s: the last passes %s" %
                  (new.name, verified), r)
            check(m.status(server=new)["state"] == "migrated",
                  "%s: status says migrated" % new.name)
            self.compare(new, "old and new are identical after the "
                         "cutover")
