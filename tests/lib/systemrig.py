"""The whole migration system on loopback, as an admin runs it (stdlib and
Debian's python3-dkim/python3-dnspython).

    import mstest, systemrig

    def main(m):                          # mstest.Migration
        s = systemrig.System(m).start()   # both hosts, DNS, outside MX
        with s.running():                 # inbound stream, outbound mail
            s.cron.start()                # sync -A every 15 s
            s.cutover("u1")
        s.drain()                         # queues empty, one more sync -A
        s.inbound_table(migrated=["u1"])  # per user: sent / once / ...

    mstest.run("t-system-...", main, old_options=systemrig.OLD_OPTIONS)

OLD host   m.old: Dovecot (Courier layout) with an LMTP listener;
           Postfix ("old", Debian's stock main.cf/master.cf, chrooted
           services) with conf.d/postfix-old-host.cf and postfix-milter.cf
           applied as they say: delivers example.test by LMTP, routes each
           recipient through mailshift-policyd's maps "accept" and "route"
           (final-sync -> held in the queue, migrated -> mailshift_fwd to
           the new host's smtpd), relays the new host's warm-up overflow
           (its relay port uncommented, no milter) and outbound mail to the
           outside MX; mailshift-milter signing with OLD_SELECTOR.
NEW host   m.new: Dovecot with the mailshift plugin and login service
           (mstest.start_new_login) and LMTP; Postfix ("new", stock) with
           postfix-new-host.cf: delivers by LMTP, its queue manager asks
           the map "warmup" (over the day's cap -> via the old host);
           mailshift-milter with NEW_SELECTOR.
Both       mailshift-policyd from conf.d/mailshift-policyd.conf (socket in
           its Postfix's queue directory), fed its host's maillog
           (scan-log); one state store (SQLite in m.state_dir, or a
           postfixrig.PgServer) for the plugin and both daemons; unbound
           serving the DKIM keys and the receiving domains' MX (the warm-up
           groups); Postfix "ext", the outside world's MX, delivering every
           receiving domain into one maildir.
Faults     users in stall_users reach the old IMAP server through a
           faultproxy.FaultProxy (their userdb's mailshift_source_port):
           `with stalled(secs):` stalls their old-server connections;
           deliver_in_flight(user) puts one message straight into the old
           mailbox by LMTP, as a delivery in flight at cutover would.

Mail:
  Stream      inbound mail with unique Message-IDs to the users at the old
              host's smtpd (the MX still points there), round robin at
              `rate` per second; a tempfailed message is sent again, as an
              MTA would; .sent {msgid: user} holds what was accepted.
  Submitter   outbound mail from both hosts (sendmail(1) as a local user:
              u3 on the old host, u1 on the new), to the receiving domains
              in turn; .sent {msgid: (host, domain)}.
  Cron        `doveadm mailshift sync -A` every `period` seconds, as the
              cron job does; run_now() for one more.
Counting reads the maildirs' message files (not index files).
"""
import collections
import contextlib
import datetime
import email.parser
import email.utils
import os
import re
import signal
import smtplib
import subprocess
import threading
import time

import faultproxy
import harness
import imapwire
import milterrig
import mstest
import postfixrig
from mstest import check
from rig import MAIL_UID

DOMAIN = "example.test"
USERS = ("u1", "u2", "u3")
OLD_SELECTOR, NEW_SELECTOR = "old2019", "new2026"
# the outside world: receiving domains, their MX hosts (which decide the
# warm-up group: google, microsoft, other) and the one mailbox there
MX = {"gmail.test": ["gmail-smtp-in.l.google.com"],
      "corp.test": ["aspmx.l.google.com"],
      "outlook.test": ["outlook-test.mail.protection.outlook.com"],
      "other.test": ["mx.other.test"]}
GROUP = {"gmail.test": "google", "corp.test": "google",
         "outlook.test": "microsoft", "other.test": "other"}
RECIPIENT = "rcpt"
# the OLD Dovecot (mstest.run(..., old_options=OLD_OPTIONS))
OLD_OPTIONS = {"users": {u: "pw-" + u for u in USERS}, "lmtp": True}
# Shortened from Postfix's defaults (300s, 300s, 4000s) so that deferred
# mail is retried within a test; everything else is Postfix's own.
QUEUE_TIMINGS = {"queue_run_delay": "10s", "minimal_backoff_time": "10s",
                 "maximal_backoff_time": "20s"}
HOLD_TEXT = "final sync"          # in hold_nexthop's deferral reason
CONF_D = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "conf.d")
# postfix-old-host.cf's relay port for the new host's overflow, as an admin
# uncomments it (here on a free port, the cidr file in the rig's tmp)
OVERFLOW_PORT_LINES = """\
#587       inet  n       -       y       -       -       smtpd
#  -o syslog_name=postfix/mailshift_overflow
#  -o smtpd_relay_restrictions=check_client_access,cidr:/etc/postfix/new-host.cidr,reject
#  -o smtpd_milters="""

_parser = email.parser.BytesHeaderParser()


class System:
    """Old host, new host, DNS and the receiver around an mstest.Migration
    whose OLD Dovecot was made with OLD_OPTIONS.  Both hosts' Postfix is
    Debian's stock configuration (chrooted services) with the conf.d
    snippets applied as they say; both policy daemons run from
    conf.d/mailshift-policyd.conf with paths, domain and hops changed."""

    def __init__(self, m, *, pg=None, warmup_cap=4, settle="35s",
                 sweep="1h", stall_users=("u2",), plugin=None):
        self.m, self.tmp = m, m.tmp
        os.chmod(self.tmp, 0o755)    # Postfix and nobody reach their dirs
        # the store's directory is the mail user's (mailshift-policyd.conf)
        os.chown(m.state_dir, MAIL_UID, MAIL_UID)
        os.chmod(m.state_dir, 0o750)
        self.pg = pg
        self.store = pg.uri if pg else "sqlite:%s/state.db" % m.state_dir
        self.warmup_cap = warmup_cap
        # DKIM keys, DNS
        self.old_milter = milterrig.Milter(self.tmp, {DOMAIN: [OLD_SELECTOR]},
                                           name="old-milter", ed25519=())
        self.new_milter = milterrig.Milter(self.tmp, {DOMAIN: [NEW_SELECTOR]},
                                           name="new-milter", ed25519=())
        self.records = dict(self.old_milter.records, **self.new_milter.records)
        self.dns = milterrig.Unbound(self.tmp, self.records, mx=MX)
        for milter in (self.old_milter, self.new_milter):
            milter.settings.update(dns_check="log", resolver=self.dns.resolver)
        # the outside world's MX (not a host under test: postfixrig's own);
        # rcpt+N@ reaches rcpt's maildir
        self.ext = postfixrig.Postfix(self.tmp, "ext", domains=sorted(MX),
                                      users=[RECIPIENT],
                                      main=dict(QUEUE_TIMINGS,
                                                recipient_delimiter="+"))
        # both hosts
        self.overflow_port = imapwire.free_port()
        cidr = os.path.join(self.tmp, "new-host.cidr")
        with open(cidr, "w") as f:
            f.write("127.0.0.1/32 OK\n")        # the new host's address
        self.old_pf = self._postfix(
            "old", self.old_milter, "postfix-old-host.cf",
            {"smtp_tls_security_level=verify": "smtp_tls_security_level=may",
             OVERFLOW_PORT_LINES: OVERFLOW_PORT_LINES
             .replace("#587", "127.0.0.1:%d" % self.overflow_port)
             .replace("#  -o", "  -o")
             .replace("/etc/postfix/new-host.cidr", cidr)},
            # the inbound sender on 127.0.0.1 is a stranger: no relaying
            mynetworks="192.0.2.1/32",
            virtual_transport="lmtp:inet:127.0.0.1:%d" % m.old.lmtp_port,
            relayhost="[127.0.0.1]:%d" % self.ext.port)
        self.new_pf = self._postfix(
            "new", self.new_milter, "postfix-new-host.cf",
            {"smtp_tls_security_level=encrypt":
             "smtp_tls_security_level=may"},
            # the old host forwards and relays from 127.0.0.1
            mynetworks="127.0.0.0/8")   # virtual_transport: start()
        self.old_policyd = self._policyd("old-policyd", self.old_pf, pg, {
            "forward_nexthop": "mailshift_fwd:[127.0.0.1]:%d"
                               % self.new_pf.port})
        self.new_policyd = self._policyd("new-policyd", self.new_pf, pg, {
            "warmup": "yes",
            "warmup_start": datetime.datetime.utcnow().date().isoformat(),
            "warmup_schedule": "1:%d" % warmup_cap,
            "warmup_direct": "smtp:[127.0.0.1]:%d" % self.ext.port,
            "warmup_overflow_nexthop": "mailshift_overflow:[127.0.0.1]:%d"
                                       % self.overflow_port,
            "warmup_resolver": self.dns.resolver})
        self.feeds = [LogFeed(pf, pd) for pf, pd in
                      ((self.old_pf, self.old_policyd),
                       (self.new_pf, self.new_policyd))]
        # users whose passes reach the old server through the fault proxy
        self.proxy = faultproxy.FaultProxy(m.old.port)
        self.stall_users = tuple(stall_users)
        self.plugin = dict(store=self.store, cutover_settle=settle,
                           cutover_sweep_period=sweep, **(plugin or {}))
        self.stream = Stream(self.old_pf.port, USERS)
        self.submitter = Submitter(self)
        self.cron = Cron(m)
        harness.on_cleanup(self._cleanup)

    def _postfix(self, name, milter, snippet, substitutions, **main):
        """A host's Postfix: Debian's stock main.cf and master.cf, the
        host's snippet and postfix-milter.cf applied, main settings and
        shortened queue timings on top; the milter's default socket moved
        into its queue directory."""
        pf = postfixrig.Postfix(self.tmp, name, domains=[DOMAIN],
                                users=list(USERS), stock=True,
                                main=dict(QUEUE_TIMINGS, **main))
        pf.apply_snippet(os.path.join(CONF_D, snippet), substitutions)
        pf.apply_snippet(os.path.join(CONF_D, "postfix-milter.cf"))
        milter.socket_in(pf.queue_path(""))    # where the snippet says
        return pf

    def _policyd(self, name, pf, pg, settings):
        """mailshift-policyd from conf.d/mailshift-policyd.conf, its socket
        in pf's queue directory, the store shared with the plugin."""
        settings = dict(settings, local_domains=DOMAIN,
                        postfix_config_dir=pf.dir + "/etc")
        if pg is not None:
            settings["store"] = pg.uri
        return postfixrig.Policyd(
            self.tmp, name, settings,
            template=os.path.join(CONF_D, "mailshift-policyd.conf"),
            substitutions={"/var/spool/postfix/": pf.queue_path(""),
                           "/var/lib/mailshift/": self.m.state_dir + "/"})

    # ------------------------------------------------------------ running
    def start(self):
        """DNS, milters, receiver, the NEW Dovecot, both hosts' Postfix,
        then the policy daemons (which look for held mail in the queue at
        start; they open the state store before any doveadm command does,
        as on hosts whose mail system is up before the migration).  A
        PostgreSQL store gets its schema first, from init-store."""
        if self.pg is not None:
            self.pg.init_store()
        self.dns.start()
        self.old_milter.start()
        self.new_milter.start()
        self.ext.start()
        fields = {u: "userdb_mailshift_source_port=%d" % self.proxy.port
                  for u in self.stall_users}
        self.m.start_new_login(
            rig_options={"users": dict(OLD_OPTIONS["users"]), "lmtp": True,
                         "userdb_fields": fields}, **self.plugin)
        self.new_pf.postconf("-e", "virtual_transport = lmtp:inet:"
                             "127.0.0.1:%d" % self.m.new.lmtp_port)
        self.new_pf.start()
        self.old_pf.start()
        self.old_policyd.start()
        self.new_policyd.start()
        for feed in self.feeds:
            feed.start()
        return self

    @contextlib.contextmanager
    def running(self):
        """The inbound stream and outbound mail run while the block does
        (the cron job from when the test starts it); each stops at its end
        (whatever happens)."""
        threads = (self.stream, self.submitter, self.cron)
        for t in threads[:2]:
            t.start()
        try:
            yield self
        finally:
            for t in threads:
                t.stop()

    def cutover(self, user, timeout=240):
        """doveadm -f tab mailshift cutover -u user -> mstest.SyncRun."""
        return self.m.doveadm("-f", "tab", "mailshift", "cutover", "-u",
                              user, timeout=timeout)

    def cutover_background(self, user):
        """cutover(user) in a thread; .join() returns its SyncRun."""
        return _Background(lambda: self.cutover(user))

    @contextlib.contextmanager
    def stalled(self, secs, after_bytes=1000):
        """While the block runs, each connection of a stall_users' pass to
        the old IMAP server stops (both ways) for secs once it received
        after_bytes; then the proxy passes everything again."""
        self.proxy.stall_after(after_bytes, secs, times=None)
        try:
            yield self.proxy
        finally:
            self.proxy.pass_through()

    def deliver_in_flight(self, user, twice=False):
        """One message straight into user's OLD mailbox by LMTP, as an
        LMTP delivery the old host had in flight at cutover (or an answer
        from a cache nobody knew about) lands after the last pass; it
        counts with the stream's.  twice: the same message also into the
        NEW mailbox, as Postfix's retry of that delivery after its reply
        was lost goes there.  Returns its Message-ID."""
        msgid = "<in-flight.%s@stream.test>" % user
        rcpt = "%s@%s" % (user, DOMAIN)
        for server in (self.m.old, self.m.new) if twice else (self.m.old,):
            lmtp = smtplib.LMTP("127.0.0.1", server.lmtp_port)
            try:
                lmtp.sendmail("sender@outside.test", [rcpt],
                              _message("sender@outside.test", rcpt, msgid,
                                       "in flight " + msgid))
            finally:
                lmtp.quit()
        self.stream.sent[msgid] = user
        self.stream.sent_at[msgid] = time.time()
        return msgid

    def restart_old_policyd(self):
        self.old_policyd.stop()
        self.old_policyd.start()

    def state(self, user):
        return self.m.status(user)["state"]

    def drain(self, timeout=150):
        """Flushes every queue until all three are empty (held mail is
        released by the old policyd or by Postfix's retry; a flush only
        hurries the retry), then runs the cron job's sync -A once more: it
        sweeps mail the old host delivered into migrated users' old
        mailboxes.  Fails saying what is still queued after timeout."""
        hosts = (self.old_pf, self.new_pf, self.ext)
        t0 = time.time()

        def empty():
            queued = [q for pf in hosts for q in pf.queue()]
            if queued:
                for pf in hosts:
                    pf.flush()
            return not queued
        ok = mstest.wait_until(empty, timeout, interval=3)
        check(ok, "every queue (old, new, receiver) is empty after %.0f s"
              % (time.time() - t0), "\n".join(
                  "%s: %s" % (pf.name, [(q["queue_id"], q["queue_name"],
                                         [r.get("delay_reason", "")
                                          for r in q["recipients"]])
                                        for q in pf.queue()][:10])
                  for pf in hosts))
        r = self.cron.run_now()
        check(r.rc == 0, "the cron job's last sync -A exits 0", r)

    def _cleanup(self, failed):
        """The harness's clean-up, before it stops the servers and daemons
        (tracked): stop the threads, feeds and proxy this rig started
        (while tmp still exists); on failure show the logs that tell
        why."""
        for t in (self.stream, self.submitter, self.cron):
            t.stop()
        if failed:
            for what, text in (("old maillog", self.old_pf.log_text()),
                               ("new maillog", self.new_pf.log_text()),
                               ("old policyd", self.old_policyd.log_text()),
                               ("new policyd", self.new_policyd.log_text())):
                print("--- %s tail ---\n%s" % (what, text[-2500:]))
        for feed in self.feeds:
            feed.stop()
        self.proxy.close()

    def sanitizer_reports(self):
        """Stops the daemons built here and returns their ASan/UBSan/LSan
        reports (empty: none)."""
        reports = []
        for feed in self.feeds:
            reports += feed.stop()
        for pd in (self.old_policyd, self.new_policyd):
            pd.stop()
            reports += pd.sanitizer_reports()
        for milter in (self.old_milter, self.new_milter):
            try:
                milter.stop(graceful=False)
            except mstest.TestFailure as e:
                reports.append(str(e))
        return reports

    # ------------------------------------------------------------ counting
    def mailbox(self, server, user):
        """Counter {Message-ID: copies} of user's messages on a
        rig.Dovecot (every folder's message files)."""
        return collections.Counter(
            msgid for msgid, _ in maildir_messages(server.home(user)))

    def delivered_at(self, server, user):
        """{Message-ID: time the first copy was written} on a server
        (from the maildir file name: seconds and microseconds)."""
        out = {}
        for msgid, t in maildir_messages(server.home(user)):
            out[msgid] = min(t, out.get(msgid, t))
        return out

    def held(self):
        """{user: {Message-ID: first time held}}: what the old host's
        queue manager deferred with the hold answer (its maillog)."""
        return held_in_maillog(self.old_pf.log_text())

    def counters(self):
        """{user: (forwarded, held, released, deferred)} from the old
        policyd's counters command."""
        r = self.old_policyd.command("counters")
        out = {}
        for line in r.stdout.splitlines()[1:]:
            f = line.split("\t")
            if len(f) == 5:
                out[f[0]] = tuple(int(x) for x in f[1:])
        return out

    def received(self):
        """[(Message-ID, raw message with CRLF)] in the receiver's
        mailbox."""
        home = os.path.join(self.ext.dir, "mail", RECIPIENT)
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(home, sub)
            for fn in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                with open(os.path.join(d, fn), "rb") as f:
                    raw = f.read()
                raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                msgid = (_parser.parsebytes(raw)["Message-Id"] or "").strip()
                out.append((msgid, raw))
        return out

    # ------------------------------------------------------------ verdicts
    def inbound_table(self, migrated):
        """Per user: sent, delivered once, lost, duplicated (in the NEW
        mailbox for migrated users, the OLD one for the others), and
        copies on the other host; printed.  Returns the rows."""
        rows = []
        print("    %-5s %-4s %6s %6s %5s %5s %6s  %s" % (
            "user", "home", "sent", "once", "lost", "dup", "extra",
            "on the other host"))
        by_user = collections.defaultdict(list)
        for msgid, user in self.stream.sent.items():
            by_user[user].append(msgid)
        for user in USERS:
            home, other = ((self.m.new, self.m.old) if user in migrated
                           else (self.m.old, self.m.new))
            box, other_box = self.mailbox(home, user), self.mailbox(other,
                                                                      user)
            sent = by_user[user]
            row = {"user": user, "home": home.name, "sent": len(sent),
                   "once": sum(1 for i in sent if box[i] == 1),
                   "lost": [i for i in sent if box[i] == 0],
                   "dup": [i for i in sent if box[i] > 1],
                   "extra": [i for i in box if i not in self.stream.sent],
                   "other": sum(1 for i in sent if other_box[i]),
                   "other_dup": [i for i in sent if other_box[i] > 1]}
            rows.append(row)
            print("    %-5s %-4s %6d %6d %5d %5d %6d  %d" % (
                user, home.name, row["sent"], row["once"], len(row["lost"]),
                len(row["dup"]), len(row["extra"]),
                row["other"]))
        print("    %-5s %-4s %6d %6d %5d %5d" % (
            "all", "", sum(r["sent"] for r in rows),
            sum(r["once"] for r in rows),
            sum(len(r["lost"]) for r in rows),
            sum(len(r["dup"]) for r in rows)))
        return rows

    def where(self, user, msgid):
        """Where a message is: copies in each mailbox, and what each
        host's Postfix and Dovecot logged about it (for a lost or
        duplicated message's report)."""
        lines = []
        for pf in (self.old_pf, self.new_pf):
            log = pf.log_text()
            qids = set(re.findall(r"\b([0-9A-F]{6,}): message-id=%s"
                                  % re.escape(msgid), log))
            lines += [ln for ln in log.splitlines()
                      if any(q + ":" in ln for q in qids)][-8:]
        for server in (self.m.old, self.m.new):
            lines += ["%s dovecot: %s" % (server.name, ln) for ln in
                      server.log_text().splitlines() if msgid in ln]
        return "%s: old mailbox %d, new mailbox %d\n      %s" % (
            msgid, self.mailbox(self.m.old, user)[msgid],
            self.mailbox(self.m.new, user)[msgid],
            "\n      ".join(ln[:220] for ln in lines))


# -- maildirs and logs ------------------------------------------------------

def maildir_messages(home):
    """[(Message-ID, delivery time)] of every message file under
    home/Maildir (cur/ and new/ of every folder; a file Dovecot renames
    meanwhile is looked for again)."""
    out = []
    top = os.path.join(home, "Maildir")
    for d, subdirs, files in os.walk(top):
        if os.path.basename(d) not in ("cur", "new"):
            continue
        for fn in files:
            path = os.path.join(d, fn)
            try:
                with open(path, "rb") as f:
                    head = _parser.parse(f)
            except FileNotFoundError:        # new/ -> cur/ meanwhile
                continue
            m = re.match(r"(\d+)\.M(\d+)P", fn)
            t = int(m.group(1)) + int(m.group(2)) / 1e6 if m else 0.0
            out.append(((head["Message-Id"] or "").strip(), t))
    return out


_SYSLOG_TIME = re.compile(r"^(\w{3}\s+\d+ \d\d:\d\d:\d\d(?:\.\d+)?)\s")


def held_in_maillog(log):
    """{user: {Message-ID: first time held (epoch)}} from a maillog."""
    msgids, out = {}, collections.defaultdict(dict)
    year = datetime.datetime.now().year
    for line in log.splitlines():
        m = re.search(r"\b([0-9A-F]{6,}): message-id=(<[^>]*>)", line)
        if m:
            msgids[m.group(1)] = m.group(2)
            continue
        if HOLD_TEXT not in line or "status=deferred" not in line:
            continue
        m = re.search(r"\b([0-9A-F]{6,}): to=<([^@>]+)@", line)
        if not m or m.group(1) not in msgids:
            continue
        when = 0.0
        t = _SYSLOG_TIME.match(line)
        if t:
            stamp = t.group(1).split(".")[0]
            when = datetime.datetime.strptime(
                "%d %s" % (year, stamp), "%Y %b %d %H:%M:%S").timestamp()
        out[m.group(2)].setdefault(msgids[m.group(1)], when)
    return out


class LogFeed:
    """The service each host runs for count_from_log (mailshift-policyd.conf):
    `tail -F -n 0 MAILLOG | mailshift-policyd -c CONF scan-log`, its
    errors in the policy daemon's directory (scan-log.log)."""

    def __init__(self, pf, policyd):
        self.pf, self.policyd = pf, policyd
        self.log = os.path.join(policyd.dir, "scan-log.log")
        self.proc = None

    def start(self):
        maillog = os.path.join(self.pf.dir, "maillog")
        open(maillog, "a").close()
        with open(self.log, "ab") as logf:
            self.proc = subprocess.Popen(
                "tail -F -n 0 %s | %s -c %s scan-log" % (
                    maillog, postfixrig.POLICYD, self.policyd.conf),
                shell=True, start_new_session=True,
                stdout=subprocess.DEVNULL, stderr=logf)

    def stop(self):
        """Ends the pipeline; returns sanitizer reports from its log."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
            self.proc = None
        with open(self.log, errors="replace") as f:
            return [ln for ln in f if "Sanitizer" in ln
                    or "runtime error:" in ln]


# -- mail ---------------------------------------------------------------------

class _Loop(threading.Thread):
    """A thread calling self.tick() every self.period seconds until
    stop() (which waits for the tick under way)."""

    period = 1.0

    def __init__(self):
        super().__init__(daemon=True)
        self._stopping = threading.Event()
        self.errors = []

    def run(self):
        next_at = time.monotonic()
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception as e:       # reported by the test, not lost
                self.errors.append("%s: %r" % (type(self).__name__, e))
            next_at += self.period
            self._stopping.wait(max(0.0, next_at - time.monotonic()))

    def stop(self):
        self._stopping.set()
        if self.is_alive():
            self.join(300)


class Stream(_Loop):
    """Inbound mail at `rate` messages a second to users in turn, over one
    SMTP session (reopened when it breaks).  A message the server refuses
    with 4xx (or loses with the connection) is sent again next tick with
    the same Message-ID; only accepted ones count."""

    def __init__(self, port, users, rate=12.0):
        super().__init__()
        self.port, self.users = port, users
        self.period = 1.0 / rate
        self.sent = {}           # msgid -> user, accepted
        self.sent_at = {}        # msgid -> time accepted
        self.tempfails = 0
        self.retry = []
        self.n = 0
        self.smtp = None
        self.first = self.last = None

    def tick(self):
        if self.retry:
            msgid, user = self.retry.pop(0)
        else:
            user = self.users[self.n % len(self.users)]
            msgid = "<in-%05d.%s@stream.test>" % (self.n, user)
            self.n += 1
        rcpt = "%s@%s" % (user, DOMAIN)
        code = None
        try:
            if self.smtp is None:
                self.smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=60)
                self.smtp.ehlo("stream.test")
            self.smtp.sendmail("sender@outside.test", [rcpt],
                               _message("sender@outside.test", rcpt, msgid,
                                        "stream " + msgid))
        except smtplib.SMTPRecipientsRefused as e:
            code = e.recipients[rcpt][0]
        except smtplib.SMTPResponseException as e:
            code = e.smtp_code
        except (smtplib.SMTPException, OSError):
            code, self.smtp = 0, None      # reconnect
        if code is not None:
            if code >= 500:
                self.errors.append("%s refused with %d" % (msgid, code))
            else:
                self.tempfails += 1
                self.retry.append((msgid, user))
            return
        now = time.time()
        self.sent[msgid] = user
        self.sent_at[msgid] = now
        self.first = self.first or now
        self.last = now

    def stop(self):
        super().stop()
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.smtp = None

    @property
    def rate(self):
        if not self.first or self.last == self.first:
            return 0.0
        return (len(self.sent) - 1) / (self.last - self.first)


class Submitter(_Loop):
    """Outbound mail submitted with sendmail(1) by a local user of each
    host in turn (u3 on the old host, u1 on the new one), to the
    receiving domains in turn, each message to an address of its own
    (rcpt+N@): Postfix's resolver answers a run of messages to one address
    from its cache, past the warm-up cap (docs/limits.md), which is
    not what the cap check is about."""

    FROM = {"old": "u3", "new": "u1"}

    def __init__(self, system, period=0.5):
        super().__init__()
        self.system, self.period = system, period
        self.sent = {}           # msgid -> (host, recipient domain)
        self.n = 0

    def tick(self):
        host = ("old", "new")[self.n % 2]
        domain = sorted(MX)[(self.n // 2) % len(MX)]
        pf = self.system.old_pf if host == "old" else self.system.new_pf
        sender = "%s@%s" % (self.FROM[host], DOMAIN)
        rcpt = "%s+%d@%s" % (RECIPIENT, self.n, domain)
        msgid = "<out-%04d.%s@%s>" % (self.n, host, DOMAIN)
        self.n += 1
        r = subprocess.run(["sendmail", "-C", pf.dir + "/etc", "-f", sender,
                            rcpt], input=_message(sender, rcpt, msgid,
                                                  "outbound " + msgid),
                           capture_output=True, timeout=60)
        if r.returncode != 0:
            self.errors.append("sendmail on %s: %s" % (host, r.stderr[-300:]))
            return
        self.sent[msgid] = (host, domain)


def _message(sender, rcpt, msgid, subject):
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nDate: %s\r\n"
            "Message-ID: %s\r\n\r\n%s\r\n" % (
                sender, rcpt, subject,
                email.utils.formatdate(localtime=False), msgid,
                "Body of " + subject)).encode()


class Cron(_Loop):
    """`doveadm mailshift sync -A` every period seconds (the cron job of
    conf.d/mailshift-sync.cron, more often)."""

    def __init__(self, m, period=15.0):
        super().__init__()
        self.m, self.period = m, period
        self.runs = []
        self.lock = threading.Lock()

    def tick(self):
        self.run_now()

    def run_now(self):
        with self.lock:
            r = self.m.doveadm("-f", "tab", "mailshift", "sync", "-A",
                               timeout=240)
            self.runs.append(r)
            return r


class _Background(threading.Thread):
    """fn() in a thread; join() returns its result (or raises its
    exception)."""

    def __init__(self, fn):
        super().__init__(daemon=True)
        self.fn, self.result, self.error = fn, None, None
        self.start()

    def run(self):
        try:
            self.result = self.fn()
        except Exception as e:
            self.error = e

    def done(self):
        return not self.is_alive()

    def join(self, timeout=None):
        super().join(timeout)
        if self.error is not None:
            raise self.error
        return self.result


# -- outbound verdicts -------------------------------------------------------

def via_old_host(raw):
    """True if the message passed through the old host's Postfix."""
    head = _parser.parsebytes(raw)
    return any(" by old.test " in " ".join(r.split())
               for r in head.get_all("Received") or [])


def dkim_verdict(system, raw, selector):
    """None if raw carries exactly one DKIM-Signature, with selector,
    that dkimpy (keys looked up in the DNS server) and OpenDKIM verify;
    else what is wrong."""
    py = system.dns.dkimpy_verify(raw)
    if py != [(selector, True)]:
        return "dkimpy: %s (want [(%r, True)])" % (py, selector)
    od = milterrig.opendkim_results(raw, system.records, system.tmp)
    if od != {selector: "succeeded"}:
        return "OpenDKIM: %s" % od
    return None

