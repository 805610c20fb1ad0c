"""Shared setup for the mailshift integration tests (stdlib only).

    import mstest
    from mstest import check

    def main(m):                       # m: mstest.Migration in a temp dir
        m.fill_quick()                 # alice's quick corpus on the OLD
        m.start_new()                  # NEW Dovecot with a plugin { } block
        r = m.sync()                   # doveadm mailshift sync -u alice
        check(r.rc == 0, "sync exits 0", r)
        check(m.status()["state"] == "synced", "status says synced")
        m.check_compare()              # imapcompare, full

    mstest.run("t-name", main)         # PASS / FAIL, logs, clean-up

The OLD server is a Courier-style Dovecot (INBOX. prefix, '.' separator,
Outlook-era special-use names from corpus.ALT_SPECIAL_USE); the NEW one
is a plain Dovecot ('/' separator, Sent/Drafts/Trash/Junk/Archive).  Both
listen on loopback only and live in a temp dir that run() removes.

The doveadm mailshift plugin must be loadable by `doveadm` (run the tests
through tests/integration/run-all, which bind-mounts $BUILD/modules/doveadm
over Dovecot's doveadm module dir).
"""
import glob
import os
import signal
import subprocess
import threading
import time

import corpus
import harness
import imapcompare
import imapwire
import rig
# the harness's, under the names the tests import from here
from harness import TestFailure, check, expect, finish, on_cleanup

MASTER_PASSWORD = "master-pw"            # the old rig's master password
USER = "alice"
# the build under test (run-all exports it; default: the tree's build/)
BUILD = os.environ.get("BUILD") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build")


def killpoint_lib():
    """$BUILD/tests/killpoint.so, built from tests/lib/killpoint.c on
    first use (and again when the source is newer)."""
    lib = os.path.join(BUILD, "tests", "killpoint.so")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "killpoint.c")
    if not os.path.exists(lib) or \
            os.path.getmtime(lib) < os.path.getmtime(src):
        os.makedirs(os.path.dirname(lib), exist_ok=True)
        subprocess.run(["cc", "-std=gnu99", "-O2", "-fPIC", "-Wall",
                        "-Wextra", "-Werror", "-shared", "-o", lib, src,
                        "-ldl"], check=True)
    return lib


# sysexits.h, as `doveadm mailshift sync` uses them
EX_OK = 0
EX_UNAVAILABLE = 69
EX_TEMPFAIL = 75
EX_NOPERM = 77
EX_CONFIG = 78


class SyncRun:
    """One finished `doveadm mailshift sync` (or status) run."""

    def __init__(self, argv, rc, stdout, stderr, secs):
        self.argv, self.rc, self.stdout, self.stderr = argv, rc, stdout, \
            stderr
        self.secs = secs
        self.row = parse_tab(stdout)

    @property
    def output(self):
        return self.stdout + self.stderr

    def __str__(self):
        return ("    $ %s\n    exit %s after %.1fs\n    stdout: %s\n"
                "    stderr: %s" % (" ".join(self.argv[-4:]), self.rc,
                                    self.secs, self.stdout.strip()
                                    .replace("\n", "\n            "),
                                    self.stderr.strip()[-3000:]
                                    .replace("\n", "\n            ")))


def parse_tab(text):
    """`doveadm -f tab` output with one row -> {header: value}."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        return {}
    return dict(zip(lines[0].split("\t"), lines[1].split("\t")))


class Migration:
    """An OLD server (Courier layout) and a NEW server with mailshift
    configured, in `tmp`."""

    def __init__(self, tmp, *, old_tls=False, old=None, old_options=None):
        """old: a started rig.Dovecot to use as the OLD server (benches);
        default: a fresh Courier-style one (old_options: more rig.Dovecot
        arguments for it, e.g. users, lmtp)."""
        self.tmp = tmp
        self.transcript = []            # every SyncRun, for failure reports
        # mail_fsync = never: filling the old server fast; it is not what
        # is being tested
        options = {"special_use": corpus.ALT_SPECIAL_USE,
                   **(old_options or {})}
        self.old = old or rig.Dovecot(tmp, "old", layout="courier",
                                      tls=old_tls,
                                      extra_conf="mail_fsync = never\n",
                                      **options).start()
        self.state_dir = os.path.join(tmp, "mailshift-state")
        os.makedirs(self.state_dir, exist_ok=True)
        os.chmod(self.state_dir, 0o777)  # doveadm runs as the mail uid
        # captured passwords: root's, outside the state dir (made by the
        # first pass that keeps one, as on a real host)
        self.credentials_dir = os.path.join(tmp, "credentials")
        self.password_file = self.write_password_file(MASTER_PASSWORD)
        self.new = None
        self.manifest = None

    # ------------------------------------------------------------ setup
    def write_password_file(self, password, mode=0o600,
                            name="master-password"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(password + "\n")
        os.chmod(path, mode)
        return path

    def settings(self, **overrides):
        """The plugin { } settings (without the mailshift_ prefix) for a
        plain-IMAP source with the master user (an old server without
        one: each user's own password, see own_passwords()); overrides=
        None drops a setting."""
        master = self.old.master_user
        s = {"source_host": "127.0.0.1",
             "source_port": self.old.port,
             "source_tls": "no",
             "source_master_user": master[0] if master else None,
             "source_password_file": self.password_file if master else None,
             "source_prefix": self.old.prefix,
             "store": "sqlite:%s/state.db" % self.state_dir,
             "state_dir": self.state_dir,
             "credentials_dir": self.credentials_dir}
        s.update(overrides)
        return {k: v for k, v in s.items() if v is not None}

    def own_passwords(self, rig_options):
        """rig_options for a NEW server, with each user's password on the
        old server as the userdb field mailshift_source_password when the
        old server has no master user (Cyrus and Courier rigs): what
        conf.d's userdb_mailshift_source_password=%w hands over at a
        login, fixed here for `doveadm mailshift sync -u`."""
        opts = dict(rig_options or {})
        if self.old.master_user:
            return opts
        fields = dict(opts.get("userdb_fields") or {})
        for user, pw in self.old.users.items():
            fields[user] = ("%s userdb_mailshift_source_password=%s"
                            % (fields.get(user, ""), pw)).strip()
        opts["userdb_fields"] = fields
        return opts

    def start_new(self, name="new", *, mail_location="maildir:~/Maildir",
                  extra_conf="", mail_plugins="", own_state=False,
                  rig_options=None, **overrides):
        """Start a NEW Dovecot whose plugin { } block holds
        settings(**overrides); it becomes self.new.  own_state: give it a
        state store of its own (for a second NEW server in one test);
        rig_options: more rig.Dovecot arguments (namespace, ...)."""
        if own_state:
            state = os.path.join(self.tmp, "state-" + name)
            os.makedirs(state, exist_ok=True)
            os.chmod(state, 0o777)
            overrides.setdefault("store", "sqlite:%s/state.db" % state)
            overrides.setdefault("state_dir", state)
        plugin = "".join("  mailshift_%s = %s\n" % (k, v)
                         for k, v in sorted(self.settings(**overrides)
                                            .items()))
        self.new = rig.Dovecot(self.tmp, name, mail_location=mail_location,
                               mail_plugins=mail_plugins,
                               extra_conf="plugin {\n%s}\n%s%s"
                               % (plugin, extra_conf,
                                  self._doveadm_service(name)),
                               **self.own_passwords(rig_options)).start()
        return self.new

    def _asan_wrapper(self, filename, command):
        """A script in tmp that runs command with its arguments, and with
        the ASan preload when the build has one (Dovecot starts services
        with a clean environment)."""
        wrapper = os.path.join(self.tmp, filename)
        exports = "".join("export %s='%s'\n" % kv
                          for kv in sorted(rig.asan_env().items()))
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\n%sexec %s \"$@\"\n" % (exports, command))
        os.chmod(wrapper, 0o755)
        return wrapper

    def _doveadm_service(self, name):
        """Under ASan, the doveadm server (which runs `doveadm -o
        doveadm_worker_count=N ... -A` passes) loads the instrumented
        plugin too: give it the preload through a wrapper, as Dovecot
        starts services with a clean environment."""
        if not rig.asan_env():
            return ""
        wrapper = self._asan_wrapper("doveadm-server-" + name,
                                     "/usr/lib/dovecot/doveadm-server")
        # ASan reserves terabytes of address space for its shadow memory
        return ("service doveadm {\n  executable = %s\n  vsz_limit = 0\n"
                "}\n" % wrapper)

    def start_new_login(self, name="new", *, passdbs=None, extra_conf="",
                        rig_options=None, login_command=None, **overrides):
        """Start a NEW Dovecot where IMAP/POP3 logins start passes: the
        mail plugin loaded for imap and pop3, the delivery plugin for
        lmtp, and the mailshift-login
        script service of conf.d/90-mailshift.conf running doveadm with
        this server's config (through a wrapper that also carries the
        ASan preload, which the script service would otherwise strip).
        passdbs: passdb { } blocks replacing the users-file ones;
        rig_options: more rig.Dovecot arguments (users, lmtp, ...);
        login_command: what the service runs instead, e.g. conf.d's own
        line (login_service_command())."""
        conf = os.path.join(os.path.abspath(self.tmp), name, "dovecot.conf")
        wrapper = self._asan_wrapper(
            "mailshift-login-" + name, login_command or
            "/usr/bin/doveadm -c %s mailshift login" % conf)
        service = """
protocol imap {
  mail_plugins = $mail_plugins mailshift
}
protocol pop3 {
  mail_plugins = $mail_plugins mailshift
}
protocol lmtp {
  mail_plugins = $mail_plugins mailshift_deliver
}
service mailshift-login {
  executable = script %s
  user = root
  vsz_limit = %s
  unix_listener mailshift-login {
    user = nobody
    mode = 0600
  }
}
""" % (wrapper,
       # ASan reserves terabytes of address space for its shadow memory
       "0" if rig.asan_env() else "1G")
        overrides.setdefault("credentials_key",
                             os.path.join(self.tmp, "credentials.key"))
        plugin = "".join("  mailshift_%s = %s\n" % (k, v)
                         for k, v in sorted(self.settings(**overrides)
                                            .items()))
        self.new = rig.Dovecot(self.tmp, name, passdbs=passdbs,
                               plugin_dir=os.path.join(BUILD, "modules"),
                               extra_conf="plugin {\n%s}\n%s%s"
                               % (plugin, extra_conf, service),
                               **self.own_passwords(rig_options)).start()
        return self.new

    def fill_quick(self, user=USER, seed=1, extra=()):
        """The quick hard-case corpus (+ extra corpus.Messages) into the
        user's mailbox on the OLD server."""
        c = self.old.connect(user)
        self.manifest = corpus.fill_quick(c, prefix=self.old.prefix,
                                          sep=self.old.sep, seed=seed,
                                          special=corpus.ALT_SPECIAL_USE)
        if extra:
            corpus.create_folders(c, sorted({m.folder for m in extra}),
                                  self.old.prefix, self.old.sep)
            corpus.append_all(c, extra, self.old.prefix, self.old.sep)
        c.logout()
        return self.manifest

    def fill_bulk(self, count, user=USER, seed=7, folders=None,
                  sizes=((1.0, 1000, 6000),)):
        folders = folders or (("INBOX", 0.4), ("Archive/2019", 0.2),
                              ("Lists/dovecot", 0.2), ("Sent Items", 0.2))
        c = self.old.connect(user)
        n = corpus.fill_bulk(c, count, seed=seed, prefix=self.old.prefix,
                             sep=self.old.sep, sizes=sizes, folders=folders)
        c.logout()
        return n

    def append(self, server, messages, user=USER):
        """APPEND corpus.Messages to `server` (old or new); returns the
        APPENDUIDs."""
        c = server.connect(user)
        uids = []
        corpus.create_folders(c, sorted({m.folder for m in messages
                                         if m.folder != "INBOX"}),
                              server.prefix, server.sep)
        corpus.append_all(c, messages, server.prefix, server.sep,
                          on_saved=lambda m, uid: uids.append(uid))
        c.logout()
        return uids

    # ------------------------------------------------------------ running
    def doveadm(self, *args, timeout=300, server=None, env=None,
                kill_expected=False):
        """Run doveadm on `server` (env: more environment) -> SyncRun.
        The run joins the transcript that run() checks for crashes, but
        not a SIGKILL the test itself asked for (kill_expected)."""
        server = server or self.new
        argv = server.doveadm_argv(*args)
        t0 = time.time()
        try:
            p = subprocess.run(argv, env=server.doveadm_env(env),
                               capture_output=True, text=True, errors="backslashreplace",
                               timeout=timeout)
            run = SyncRun(argv, p.returncode, p.stdout, p.stderr,
                          time.time() - t0)
        except subprocess.TimeoutExpired as e:
            run = SyncRun(argv, "timeout", _text(e.stdout), _text(e.stderr),
                          time.time() - t0)
        if not (kill_expected and run.rc == -9):
            self.transcript.append(run)
        return run

    def sync(self, user=USER, timeout=300, server=None):
        """doveadm -f tab mailshift sync -u user -> SyncRun (.rc, .row)."""
        return self.doveadm("-f", "tab", "mailshift", "sync", "-u", user,
                            timeout=timeout, server=server)

    def sync_popen(self, user=USER, server=None):
        """Start a sync in the background; returns the Popen (text)."""
        server = server or self.new
        return subprocess.Popen(
            server.doveadm_argv("-f", "tab", "mailshift", "sync", "-u",
                                user),
            env=server.doveadm_env(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)

    def sync_killed_when_grown(self, target_bytes, timeout=60):
        """Start a pass; SIGKILL it once the new home holds target_bytes.
        Returns True if it was killed while copying."""
        p = self.sync_popen()
        wait_until(lambda: p.poll() is not None or
                   self.home_bytes() >= target_bytes, timeout, interval=0.005)
        if p.poll() is not None:
            p.communicate()
            return False
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.communicate()
        return True

    def sync_killed_at(self, paths, nth, when="after", trace=None,
                       user=USER, server=None):
        """Run a pass that kills itself with SIGKILL at its nth event on
        a path containing one of paths ('|'-separated): a rename onto it
        or a write into it, just before or after the call
        (tests/lib/killpoint.c); trace: a file that gets one line per
        event counted.  Returns the SyncRun; rc -9 if the point was
        reached, else the pass ran to its end."""
        server = server or self.new
        env = {"MS_KILLPOINT_PATHS": paths, "MS_KILLPOINT_NTH": str(nth),
               "MS_KILLPOINT_WHEN": when}
        if trace:
            env["MS_KILLPOINT_TRACE"] = trace
        preload = server.doveadm_env().get("LD_PRELOAD")
        env["LD_PRELOAD"] = " ".join(p for p in (preload, killpoint_lib())
                                     if p)
        return self.doveadm("-f", "tab", "mailshift", "sync", "-u", user,
                            server=server, env=env, kill_expected=True)

    def status(self, user=USER, server=None):
        """doveadm -f tab mailshift status -> {Username, state, since,
        folders_done, folders_total, messages_done, messages_total, bytes,
        bytes_total, duration, rate, eta, started, finished, failures,
        credentials, reason}: numbers as text, 0 or "" for none."""
        run = self.doveadm("-f", "tab", "mailshift", "status", "-u", user,
                           server=server)
        if run.rc != 0:
            raise TestFailure("mailshift status failed\n%s" % run)
        return run.row

    # ------------------------------------------------------------ checking
    def compare(self, user=USER, server=None, **kw):
        server = server or self.new
        oc, nc = self.old.connect(user), server.connect(user)
        try:
            return imapcompare.compare(oc, nc, **kw)
        finally:
            oc.logout()
            nc.logout()

    def check_compare(self, user=USER, what="old and new mailboxes are "
                      "identical (folders, subscriptions, special-use, "
                      "UIDVALIDITY, UIDs, flags, keywords, INTERNALDATE, "
                      "bytes)", server=None, **kw):
        res = self.compare(user, server, **kw)
        print("    " + res.report().split("\n")[0])
        check(res.ok, what, res.report())
        return res

    def check_no_duplicates(self, label="", server=None):
        """Every folder on the new server holds exactly as many messages
        as its old counterpart (counts in any folder order: names differ)."""
        old_counts = self.folder_counts(self.old)
        new_counts = self.folder_counts(server or self.new)
        check(sorted(old_counts.values()) == sorted(new_counts.values()),
              "%sno duplicates: every folder holds the old number of "
              "messages (%d in all)" % (label, sum(old_counts.values())),
              "old %s\nnew %s" % (old_counts, new_counts))

    def check_exact(self, label):
        """No duplicates, and old and new compare exact with the old
        UIDs."""
        self.check_no_duplicates(label + ": ")
        self.check_compare(what="%s: old and new mailboxes are identical, "
                           "with the old UIDs" % label)

    def print_warnings(self, run):
        for line in run.stderr.splitlines():
            if "Warning" in line or "Error" in line:
                print("    doveadm: " + line[:200])

    def pop3_uidl_diffs(self, user=USER, server=None):
        server = server or self.new
        login = "%s*%s" % (user, self.old.master_user[0])
        return imapcompare.compare_pop3_uidl(
            ("127.0.0.1", self.old.pop3_port, login, MASTER_PASSWORD),
            ("127.0.0.1", server.pop3_port, user, server.users[user]))

    def folder_counts(self, server, user=USER, timeout=120):
        """{wire folder name: message count} of every selectable folder."""
        c = server.connect(user, timeout=timeout)
        out = {}
        for flags, _, name in c.list("", "*"):
            if "\\noselect" in flags or "\\nonexistent" in flags:
                continue
            out[name] = c.select(name).get("EXISTS", 0)
            c.close_mailbox()
        c.logout()
        return out

    def home_bytes(self, server=None, user=USER):
        """Bytes of all files under the user's home on a server (mail
        files and indexes): grows while a pass writes."""
        total = 0
        for d, _, files in os.walk((server or self.new).home(user)):
            for f in files:
                try:
                    total += os.lstat(os.path.join(d, f)).st_size
                except FileNotFoundError:
                    pass
        return total

    def logs(self):
        """The NEW server's log plus every doveadm run's output."""
        parts = [self.new.log_text() if self.new else ""]
        parts += [r.stdout + r.stderr for r in self.transcript]
        return "\n".join(parts)


def login_service_command():
    """The command conf.d/90-mailshift.conf's service mailshift-login runs
    (its executable line without "script")."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "..", "conf.d", "90-mailshift.conf")
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("executable = script "):
                return line[len("executable = script "):]
    raise TestFailure("no mailshift-login executable in " + path)


def _text(b):
    if b is None:
        return ""
    return b.decode(errors="replace") if isinstance(b, bytes) else b


def big_messages(folder, sizes, seed=42):
    """corpus.Messages of about the given sizes (bytes; attachments)."""
    b = corpus.Builder(seed)
    return [b.sized(folder, size, ["\\Seen"]) for size in sizes]


def new_messages(folder, count, seed=99, tag="late"):
    """Small corpus.Messages with Message-IDs <tag-N@mailshift.test>."""
    b = corpus.Builder(seed)
    out = []
    for i in range(count):
        data, ep = b.message(1500, msgid=b"<%s-%d@mailshift.test>"
                             % (tag.encode(), i))
        out.append(corpus.Message(folder, data, [], ep))
    return out


def wait_until(cond, timeout, interval=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(interval)
    return cond()


def parse_tab_rows(text):
    """`doveadm -f tab` output -> [{header: value}, ...], one per row."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        return []
    head = lines[0].split("\t")
    return [dict(zip(head, ln.split("\t"))) for ln in lines[1:]]


def add_user(server, user, password=None):
    """Add a user (home, passwd-file line) to a rig.Dovecot, also while
    it runs: passwd-file is re-read when it changes."""
    password = password or "pw-" + user
    h = server.home(user)
    os.makedirs(h, exist_ok=True)
    os.chown(h, rig.MAIL_UID, rig.MAIL_GID)
    os.chmod(h, 0o700)
    with open(os.path.join(server.dir, "users"), "a") as f:
        f.write("%s:{PLAIN}%s:%d:%d::%s::\n" % (user, password, rig.MAIL_UID,
                                               rig.MAIL_GID, h))
    server.users[user] = password


class ConnectionSampler(threading.Thread):
    """Counts, every `interval` s, the client-side TCP connections to
    127.0.0.1:`port` that are ESTABLISHED (/proc/net/tcp, like
    `ss -tn state established dport = :port`).  Use as a context manager;
    .max, .samples, .busy (samples with at least one), and .peak_owners:
    at the peak, which processes held them ("pid comm local-port", from
    /proc/*/fd), so that a count over a cap says whose connection it was."""

    def __init__(self, port, interval=0.01):
        super().__init__(daemon=True)
        self.port, self.interval = port, interval
        self.max = self.samples = self.busy = 0
        self.peak_owners = []
        self._stop_ev = threading.Event()

    def sockets(self):
        """{socket inode: local port} of the connections counted."""
        found = {}
        want = ":%04X" % self.port
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                # local, remote (hex ip:port), state 01 = ESTABLISHED
                if fields[2].endswith(want) and fields[3] == "01":
                    found[fields[9]] = int(fields[1].split(":")[1], 16)
        return found

    def count(self):
        return len(self.sockets())

    @staticmethod
    def owners(sockets):
        """Who holds each of sockets: ["pid comm local-port", ...]."""
        held = []
        for fd_dir in glob.glob("/proc/[0-9]*/fd"):
            pid = fd_dir.split("/")[2]
            try:
                links = [os.readlink(os.path.join(fd_dir, fd))
                         for fd in os.listdir(fd_dir)]
                with open("/proc/%s/comm" % pid) as f:
                    comm = f.read().strip()
            except OSError:
                continue
            for link in links:
                inode = link[len("socket:["):-1] \
                    if link.startswith("socket:[") else None
                if inode in sockets:
                    held.append("%s %s %d" % (pid, comm, sockets[inode]))
        return sorted(held)

    def run(self):
        while not self._stop_ev.is_set():
            found = self.sockets()
            n = len(found)
            self.samples += 1
            if n:
                self.busy += 1
            if n > self.max:
                self.max = n
                self.peak_owners = self.owners(found)
            self._stop_ev.wait(self.interval)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self._stop_ev.set()
        self.join()


def run(name, body, *, old_tls=False, old_options=None, old=None):
    """Run body(migration) in a fresh temp dir under harness.run(): PASS/
    FAIL, exit.  old: old(tmp) -> a started OLD server in place of the
    Courier-style Dovecot (e.g. lambda tmp: foreign.Cyrus(tmp,
    "old").start())."""
    def setup(tmp):
        return Migration(tmp, old_tls=old_tls, old_options=old_options,
                         old=old(tmp) if old else None)
    harness.run(name, body, setup=setup, after=_no_crashes,
                on_failure=_failure_report)


def _no_crashes(m):
    """Every test's last expectation: no doveadm run it made crashed."""
    for r in m.transcript:
        if "Panic:" in r.stderr or (isinstance(r.rc, int) and r.rc < 0):
            expect(False, "doveadm did not crash (%s: exit %s)"
                   % (" ".join(r.argv[-4:]), r.rc),
                   "\n".join(ln for ln in r.stderr.splitlines()
                             if "Panic" in ln or "Fatal" in ln))


def _failure_report(m):
    """The last doveadm runs and the servers' log tails."""
    for r in m.transcript[-6:]:
        print("--- doveadm run ---\n%s" % r)
    for inst in ("old", "new"):
        p = os.path.join(m.tmp, inst, "dovecot.log")
        if os.path.exists(p):
            with open(p, errors="replace") as f:
                print("--- %s dovecot.log tail ---\n%s"
                      % (inst, f.read()[-2500:]))
    if not isinstance(m.old, rig.Dovecot):
        print("--- old server's logs, tail ---\n%s"
              % m.old.log_text()[-2500:])


__all__ = ["check", "expect", "TestFailure", "run", "on_cleanup", "finish",
           "Migration", "big_messages", "new_messages",
           "login_service_command",
           "wait_until", "parse_tab_rows", "add_user", "ConnectionSampler",
           "imapwire", "EX_OK", "EX_UNAVAILABLE",
           "EX_TEMPFAIL", "EX_NOPERM", "EX_CONFIG"]
