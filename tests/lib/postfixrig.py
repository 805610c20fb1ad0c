"""Real Postfix instances on loopback, and mailshift-policyd beside them.

Postfix(root, name, ...) is one Postfix started as a plain process tree with
`postfix -c DIR start`: its own main.cf/master.cf, queue, data and maildirs
under <root>/<name>/, smtpd on a free 127.0.0.1 port, never /etc/postfix nor
systemd.  Mail for its virtual domains is delivered by virtual(8) into
<root>/<name>/mail/<user>/ (maildir).  Root is needed (Postfix's master).

Policyd(root, name, settings) runs $BUILD/postfix-policy/mailshift-policyd
with a config file built from settings; under MS_ASAN=1/SANITIZE=1 $BUILD is
the ASan build and its reports go to the daemon's log.

    pf = Postfix(tmp, "old", domains=["example.test"],
                 users=["alice", "bob"], main={...}, master=[...]).start()
    send(pf.port, ["alice@example.test"], msgid="<1@t>")  # swaks
    pf.wait_delivered("alice", "<1@t>")

Debian's stock configuration, chrooted services and all (stock=True):

    pf = Postfix(tmp, "old", domains=[...], users=[...], stock=True)
    pf.apply_snippet(CONF_D + "/postfix-old-host.cf",
                     {"smtp_tls_security_level=verify":
                      "smtp_tls_security_level=may"})
    pf.start()
    pf.queue_path("mailshift/policyd.sock")   # <queue_directory>/...

stock=True starts from the files Debian installs as /etc/postfix/main.cf
and master.cf (/usr/share/postfix/main.cf.debian plus the settings its
postinst adds, and master.cf.dist as it is: smtpd, cleanup, trivial-
rewrite, smtp ... chrooted), then sets only what makes it a rig instance
(queue_directory, data_directory, maillog_file, the virtual domains, the
smtpd port in place of "smtp inet") with postconf -e.  start() populates
the chroot with Debian's own /usr/lib/postfix/configure-instance.sh, as
the postfix@ systemd unit does.  apply_snippet(path, substitutions)
follows a conf.d/postfix-*.cf the way it tells an admin to: its "main.cf"
section's lines go in with postconf -e, its "master.cf" section's lines
are appended to master.cf, and its "#   postconf ..." command lines are
run against this instance.  substitutions (text -> text, each must occur)
adapt host names, ports and TLS to the rig.  main=, master= and
qmgr_opts= apply in stock mode too (master= lines are appended).
"""

import email.parser
import json
import os
import re
import shlex
import shutil
import socket
import signal
import subprocess
import time

import harness
import imapwire

BUILD = os.environ.get("BUILD") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build")
POLICYD = os.path.join(BUILD, "postfix-policy", "mailshift-policyd")

# What Debian installs as /etc/postfix/main.cf and master.cf: main.cf.debian
# plus what its postinst adds (STOCK_MAIN_POSTINST), and master.cf.dist.
STOCK_MAIN_CF = "/usr/share/postfix/main.cf.debian"
STOCK_MAIN_POSTINST = {
    "smtpd_relay_restrictions": "permit_mynetworks permit_sasl_authenticated "
                                "defer_unauth_destination",
    "relayhost": "",
    "mailbox_size_limit": "0",
    "recipient_delimiter": "+",
}
STOCK_MASTER_CF = "/usr/share/postfix/master.cf.dist"
# Debian's postfix@.service runs it before every start: it copies
# etc/resolv.conf, hosts, services, nsswitch.conf, localtime, the NSS
# libraries ... into the queue directory, the chrooted services' root.
CONFIGURE_INSTANCE = "/usr/lib/postfix/configure-instance.sh"

MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command + args
{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr{qmgr_opts}
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def swaks(port, to, *, sender="sender@outside.test", msgid=None,
          subject="test", quit_after=None, timeout=30):
    """Sends one message with swaks; returns the CompletedProcess (text).
    to: a list of recipients (one transaction)."""
    argv = ["swaks", "--server", "127.0.0.1:%d" % port, "--from", sender,
            "--to", ",".join(to), "--helo", "client.test",
            "--header", "Subject: " + subject, "--body", "body of " + subject]
    if msgid is not None:
        argv += ["--header", "Message-Id: " + msgid]
    if quit_after is not None:
        argv += ["--quit-after", quit_after]
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout)


def wait_until(cond, timeout, interval=0.1):
    """Polls cond() until it is true or timeout seconds passed; returns
    its last value."""
    end = time.time() + timeout
    while True:
        value = cond()
        if value or time.time() > end:
            return value
        time.sleep(interval)


def substituted(path, substitutions):
    """The text of a conf.d file with substitutions (text -> text) made;
    one that does not occur is an error: the file changed under the
    test."""
    with open(path) as f:
        text = f.read()
    for old, new in (substitutions or {}).items():
        if old not in text:
            raise ValueError("%s: no %r to substitute" % (path, old))
        text = text.replace(old, new)
    return text


def snippet_parts(text, path):
    """What a conf.d/postfix-*.cf snippet (text, read from path) tells an
    admin to do: (main.cf settings for postconf -e, each "name = value"
    with its continuation lines joined; master.cf lines to append;
    postconf argument lists of its "#   postconf -X ..." lines to run)."""
    section, main, master, commands = None, [], [], []
    for line in text.splitlines():
        if line.startswith("# ---- "):
            section = line.split()[2]
        elif re.match(r"#\s+postconf\s+-", line):
            commands.append(shlex.split(line[1:])[1:])
        elif line.startswith("#") or not line.strip():
            continue
        elif section not in ("main.cf", "master.cf"):
            raise ValueError("%s: %r outside a main.cf or master.cf "
                             "section" % (path, line))
        elif section == "main.cf" and line[0].isspace():
            main[-1] += " " + line.strip()
        else:
            (main if section == "main.cf" else master).append(line)
    return main, master, commands


def _delivery_order(name):
    """Sort key for virtual(8)'s maildir names, SECONDS.VdevIinoMusec.host:
    the order of delivery, not of inode numbers."""
    m = re.match(r"(\d+)\.\S*?M(\d+)\.", name)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


class Postfix:
    """One Postfix instance, for the policy, milter and system tests (the
    module docstring; milterrig.postfix() makes one with a milter)."""

    def __init__(self, root, name, *, domains, users, main=None,
                 master=(), myhostname=None, qmgr_opts="", stock=False):
        self.name = name
        self.stock = stock
        self.dir = os.path.join(root, name)
        self.conf = os.path.join(self.dir, "etc")     # postfix -c
        self.port = imapwire.free_port()
        self.domains = domains
        self.users = users
        self.main = dict(main or {})
        self.master = list(master)
        self.myhostname = myhostname or name + ".test"
        self.qmgr_opts = qmgr_opts
        self.started = False
        for sub in ("etc", "queue", "data", "mail"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        shutil.chown(os.path.join(self.dir, "mail"), "nobody", "nogroup")
        shutil.chown(os.path.join(self.dir, "data"), "postfix", "postfix")
        self.write_config()

    def write_config(self):
        d = self.dir
        with open(os.path.join(d, "etc", "vmailbox"), "w") as f:
            for dom in self.domains:
                for u in self.users:
                    f.write("%s@%s %s/\n" % (u, dom, u))
        main = {
            "compatibility_level": "3.6",
            "queue_directory": d + "/queue",
            "data_directory": d + "/data",
            "myhostname": self.myhostname,
            "mydomain": self.myhostname,
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.1/32",
            "maillog_file": d + "/maillog",
            "maillog_file_prefixes": d,
            "smtp_dns_support_level": "disabled",
            "smtputf8_enable": "no",
            "biff": "no",
            "virtual_mailbox_domains": " ".join(self.domains),
            "virtual_mailbox_base": d + "/mail",
            "virtual_mailbox_maps": "texthash:%s/etc/vmailbox" % d,
            "virtual_uid_maps": "static:65534",
            "virtual_gid_maps": "static:65534",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "smtpd_relay_restrictions":
                "permit_mynetworks, reject_unauth_destination",
            "delay_warning_time": "0",
            "queue_run_delay": "300s",
            "minimal_backoff_time": "300s",
            "maximal_backoff_time": "600s",
            "smtp_connect_timeout": "5s",
        }
        main.update(self.main)
        if self.stock:
            self._write_stock_config(main)
            return
        with open(os.path.join(d, "etc", "main.cf"), "w") as f:
            for k, v in main.items():
                f.write("%s = %s\n" % (k, v))
        with open(os.path.join(d, "etc", "master.cf"), "w") as f:
            f.write(MASTER_CF.format(port="127.0.0.1:%d" % self.port,
                                     qmgr_opts=self.qmgr_opts))
            for line in self.master:
                f.write(line + "\n")

    def _write_stock_config(self, main):
        """Debian's stock main.cf and master.cf, made a rig instance."""
        etc = os.path.join(self.dir, "etc")
        shutil.copyfile(STOCK_MAIN_CF, os.path.join(etc, "main.cf"))
        settings = dict(STOCK_MAIN_POSTINST, **main)
        self.postconf("-e", *["%s = %s" % kv for kv in settings.items()])
        with open(STOCK_MASTER_CF) as f:
            lines = f.read().splitlines()
        out = []
        for line in lines:
            # smtpd on the rig's port, chrooted as the stock line says
            if re.match(r"smtp\s+inet\s", line):
                line = "127.0.0.1:%d %s" % (self.port,
                                            line.split(None, 1)[1])
            out.append(line)
            if re.match(r"qmgr\s+unix\s", line) and self.qmgr_opts:
                out.append("  " + self.qmgr_opts.strip())
        with open(os.path.join(etc, "master.cf"), "w") as f:
            f.write("\n".join(out + self.master) + "\n")

    def postconf(self, *args):
        """postconf -c <this instance's etc> ARGS; raises on failure."""
        r = subprocess.run(["postconf", "-c", self.conf] +
                           list(args), capture_output=True, text=True,
                           timeout=60)
        if r.returncode != 0 or "warning" in r.stderr:
            raise RuntimeError("postconf %s (%s): %s" % (
                " ".join(args), self.name, r.stderr))
        return r.stdout

    def apply_snippet(self, path, substitutions=None):
        """Adds a conf.d/postfix-*.cf snippet as it tells an admin to (see
        the module docstring).  Call before start()."""
        main, master, commands = snippet_parts(
            substituted(path, substitutions), path)
        if main:
            self.postconf("-e", *main)
        with open(os.path.join(self.dir, "etc", "master.cf"), "a") as f:
            f.write("".join(line + "\n" for line in master))
        for argv in commands:
            self.postconf(*argv)
        return self

    def queue_path(self, relative):
        """A path inside this instance's queue directory (the chroot)."""
        return os.path.join(self.dir, "queue", relative)

    def postfix(self, *args, check=True):
        r = subprocess.run(["postfix", "-c", self.conf] + list(args),
                           capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError("postfix %s (%s): %s%s\n%s" % (
                " ".join(args), self.name, r.stdout, r.stderr,
                self.log_text()[-3000:]))
        return r

    def start(self):
        if self.stock:
            r = subprocess.run([CONFIGURE_INSTANCE, "-"],
                               env=dict(os.environ,
                                        MAIL_CONFIG=self.conf),
                               capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                raise RuntimeError("%s (%s): %s%s" % (
                    CONFIGURE_INSTANCE, self.name, r.stdout, r.stderr))
        self.postfix("start")
        self.started = True
        self.master_pid = self._master_pid()
        harness.track(self)
        if not wait_until(lambda: self._port_open(), 20):
            raise RuntimeError("postfix %s: smtpd not listening on %d" %
                               (self.name, self.port))
        return self

    def _port_open(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.5):
                return True
        except OSError:
            return False

    def stop(self):
        if self.started:
            pid = self._master_pid() or self.master_pid
            r = self.postfix("stop", check=False)
            self.started = False
            if r.returncode != 0 and pid is not None:
                # the config is gone: stop the master by its pid
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            # smtpd children may keep the listener a moment longer; the
            # master's exit is what "stopped" means
            wait_until(lambda: pid is None or
                       not os.path.exists("/proc/%d" % pid), 10, 0.05)
        harness.untrack(self)

    def _master_pid(self):
        try:
            with open(self.dir + "/queue/pid/master.pid") as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def flush(self):
        """postqueue -f: deliver deferred mail now."""
        subprocess.run(["postqueue", "-c", self.conf, "-f"],
                       capture_output=True, timeout=30)

    def queue(self):
        """postqueue -j, as a list of dicts."""
        r = subprocess.run(["postqueue", "-c", self.conf, "-j"],
                           capture_output=True, text=True, timeout=30)
        return [json.loads(line) for line in r.stdout.splitlines() if line]

    def queued_for(self, address):
        """(queue_id, queue_name, delay_reason) of every queued message
        with a recipient address."""
        return [(q["queue_id"], q["queue_name"], r.get("delay_reason", ""))
                for q in self.queue() for r in q["recipients"]
                if r["address"] == address]

    def log_text(self):
        try:
            with open(self.dir + "/maillog", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def message_ids(self, user):
        """Message-IDs of the messages in user's maildir (new and cur),
        one entry per file: a duplicate shows twice."""
        ids = []
        for sub in ("new", "cur"):
            path = os.path.join(self.dir, "mail", user, sub)
            if not os.path.isdir(path):
                continue
            for fn in sorted(os.listdir(path)):
                with open(os.path.join(path, fn), "rb") as f:
                    msg = email.parser.BytesHeaderParser().parse(f)
                ids.append((msg.get("Message-Id") or "").strip())
        return ids

    def messages(self, user):
        """Header objects of user's messages."""
        out = []
        for sub in ("new", "cur"):
            path = os.path.join(self.dir, "mail", user, sub)
            if os.path.isdir(path):
                for fn in sorted(os.listdir(path)):
                    with open(os.path.join(path, fn), "rb") as f:
                        out.append(email.parser.BytesHeaderParser()
                                   .parse(f))
        return out

    def count(self, user, msgid):
        return self.message_ids(user).count(msgid)

    def maildir(self, user=None):
        """user's maildir (default: the first of users)."""
        return os.path.join(self.dir, "mail", user or self.users[0])

    def delivered(self, count=1, user=None, timeout=20):
        """The first count messages (bytes, CRLF) in user's maildir
        (default: the first of users), in the order of delivery; waits
        for them."""
        new = os.path.join(self.maildir(user), "new")
        files = wait_until(lambda: len(self._new_files(new)) >= count and
                           self._new_files(new), timeout)
        if not files:
            raise harness.TestFailure(
                "no delivery of %d message(s) to %s after %ds; maillog:\n%s"
                % (count, new, timeout, self.log_text()[-3000:]))
        out = []
        for name in files[:count]:
            with open(os.path.join(new, name), "rb") as f:
                out.append(f.read().replace(b"\r\n", b"\n")
                           .replace(b"\n", b"\r\n"))
        return out

    @staticmethod
    def _new_files(new):
        return sorted(os.listdir(new) if os.path.isdir(new) else [],
                      key=_delivery_order)

    def delivered_count(self, user=None):
        """Messages in user's maildir/new (default: the first of users)."""
        return len(self._new_files(os.path.join(self.maildir(user), "new")))

    def swaks(self, data, sender="alice@example.test", to=None, extra=()):
        """Sends data (bytes, a whole message) by SMTP to smtpd, to the
        first of users at the first of domains by default; returns the
        CompletedProcess (stdout holds the dialogue).  The module's
        swaks() builds the message itself."""
        path = os.path.join(self.dir, "swaks-%d.eml" % time.time_ns())
        with open(path, "wb") as f:
            f.write(data)
        to = to or "%s@%s" % (self.users[0], self.domains[0])
        return subprocess.run(
            ["swaks", "--server", "127.0.0.1:%d" % self.port,
             "--from", sender, "--to", to, "--data", "@" + path,
             "--timeout", "60"] + list(extra),
            capture_output=True, text=True)

    def wait_delivered(self, user, msgid, timeout=20):
        return wait_until(lambda: self.count(user, msgid) >= 1, timeout)


class Policyd:
    """mailshift-policyd with a config built from settings (dict), or from
    template (a conf file, e.g. conf.d/mailshift-policyd.conf) with
    substitutions (text -> text, each must occur) and then settings in
    place of the template's lines for the same names."""

    def __init__(self, root, name, settings, *, template=None,
                 substitutions=None):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.socket = os.path.join(self.dir, "policyd.sock")
        self.conf = os.path.join(self.dir, "mailshift-policyd.conf")
        self.log = os.path.join(self.dir, "policyd.log")
        self.proc = None
        if template is not None:
            self._write_from_template(template, substitutions or {},
                                      settings)
            return
        conf = {
            "store": "sqlite:%s/state.db" % root,
            "socketmap_listen": "unix:" + self.socket,
            "socket_mode": "0666",
            "release_check_interval": "1",
        }
        conf.update(settings)
        with open(self.conf, "w") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))

    def _write_from_template(self, template, substitutions, settings):
        text = substituted(template, substitutions)
        left = dict(settings)
        lines = []
        for line in text.splitlines():
            name = line.split("=", 1)[0].strip()
            if not line.startswith("#") and "=" in line and name in left:
                line = "%s = %s" % (name, left.pop(name))
            if line.startswith("socketmap_listen") and "unix:" in line:
                self.socket = line.split("unix:", 1)[1].strip()
            lines.append(line)
        lines += ["%s = %s" % kv for kv in left.items()]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        logf = open(self.log, "a")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        self.proc = subprocess.Popen([POLICYD, "-c", self.conf],
                                     stdout=logf, stderr=logf, env=env)
        logf.close()
        harness.track(self)
        if not wait_until(lambda: os.path.exists(self.socket), 10):
            raise RuntimeError("mailshift-policyd did not start:\n" +
                               self.log_text())
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None
        harness.untrack(self)

    def command(self, *args, input=None):
        return subprocess.run([POLICYD, "-c", self.conf] + list(args),
                              capture_output=True, text=True, timeout=60,
                              input=input)

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def sanitizer_reports(self):
        text = self.log_text()
        return [l for l in text.splitlines()
                if "ERROR: AddressSanitizer" in l or "runtime error:" in l
                or "LeakSanitizer" in l]

    def map_spec(self, name):
        return "socketmap:unix:%s:%s" % (self.socket, name)


def set_state(root, user, state):
    """Sets a user's state in the rig's SQLite store, as the Dovecot plugin
    would (state_changed = now)."""
    import sqlite3
    db = sqlite3.connect(os.path.join(root, "state.db"), timeout=10)
    now = int(time.time())
    db.execute("INSERT INTO users (user_name, state, state_changed) "
               "VALUES (?, ?, ?) ON CONFLICT (user_name) DO UPDATE SET "
               "state = excluded.state, state_changed = excluded.state_changed",
               (user, state, now))
    db.commit()
    db.close()


class PgServer:
    """A throwaway real PostgreSQL 15 on 127.0.0.1 (as tests/unit/
    run-pgsql-tests starts it): start(), stop() (immediate, like a crash
    or an outage), start() again on the same port."""

    PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")

    def __init__(self, root):
        self.dir = os.path.join(root, "pg")
        os.chmod(root, 0o755)   # the postgres user must reach its dir
        os.makedirs(self.dir, exist_ok=True)
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = imapwire.free_port()
        self.uri = "postgresql://postgres@127.0.0.1:%d/mailshift" % \
            self.port
        self._pg("initdb", "-D", self.dir + "/data", "-A", "trust", "-U",
                 "postgres", "--no-sync", "-E", "UTF8")
        self.running = False

    def _pg(self, prog, *args):
        r = subprocess.run(["runuser", "-u", "postgres", "--",
                            os.path.join(self.PGBIN, prog)] + list(args),
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("%s: %s%s" % (prog, r.stdout, r.stderr))
        return r

    def start(self):
        self._pg("pg_ctl", "-D", self.dir + "/data", "-l",
                 self.dir + "/server.log", "-w", "-t", "30", "-o",
                 "-c listen_addresses=127.0.0.1 -p %d "
                 "-c unix_socket_directories=%s -c fsync=off" %
                 (self.port, self.dir), "start")
        self.running = True
        harness.track(self)
        if not os.path.exists(self.dir + "/created"):
            self._pg("createdb", "-h", "127.0.0.1", "-p", str(self.port),
                     "-U", "postgres", "mailshift")
            open(self.dir + "/created", "w").close()
        return self

    def stop(self):
        if self.running:
            self.running = False
            self._pg("pg_ctl", "-D", self.dir + "/data", "-m",
                     "immediate", "-w", "stop")
        harness.untrack(self)

    def init_store(self, uri=None):
        """`mailshift-policyd init-store` with the owner role (uri; default
        the superuser's), as an admin runs it once before the plugin and
        the daemons use the store."""
        conf = os.path.join(self.dir, "init-store.conf")
        with open(conf, "w") as f:
            f.write("local_domains = example.test\n")
        r = subprocess.run([POLICYD, "-c", conf, "init-store",
                            uri or self.uri],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("init-store: " + r.stderr)
        return self

    def sql(self, statement, *params):
        """Runs one statement with psql (params as psql variables
        :'p1', :'p2', ...)."""
        argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.uri]
        for i, p in enumerate(params, 1):
            argv += ["-v", "p%d=%s" % (i, p)]
        r = subprocess.run(argv, input=statement, capture_output=True,
                           text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError("psql: " + r.stderr)
        return r.stdout


class MigrationRig:
    """The old host (Postfix + mailshift-policyd, routing per recipient)
    and the new host (Postfix delivering into maildirs), as conf.d/
    postfix-old-host.cf sets them up.  Users live at domain on both hosts
    (migrated users stay in the old host's recipient maps)."""

    def __init__(self, tmp, *, users=("alice", "bob", "carol", "dave"),
                 domain="example.test", settings=None, old_main=None,
                 old_master=(), new_main=None, new_users=None, pg=None,
                 policy_guard=False):
        os.chmod(tmp, 0o755)   # Postfix's trivial-rewrite (user postfix)
        self.tmp = tmp         # must reach the socket
        self.domain = domain
        self.new = Postfix(tmp, "new", domains=[domain],
                           users=new_users or users,
                           main=dict({"mynetworks": "127.0.0.0/8"},
                                     **(new_main or {})))
        conf = {"local_domains": domain,
                "forward_nexthop":
                    "mailshift_fwd:[127.0.0.1]:%d" % self.new.port,
                "postfix_config_dir": os.path.join(tmp, "old", "etc")}
        self.pg = pg
        if pg is not None:
            conf["store"] = pg.uri
        policy_sock = os.path.join(tmp, "policyd", "policy.sock")
        if policy_guard:
            conf["policy_listen"] = "unix:" + policy_sock
        conf.update(settings or {})
        self.policyd = Policyd(tmp, "policyd", conf)
        main = {
            # smtpd (and all but the queue manager) resolve with "accept"
            "transport_maps": self.policyd.map_spec("accept"),
            # the sender on 127.0.0.1 is a stranger: no relaying for it
            "mynetworks": "192.0.2.1/32",
        }
        if policy_guard:
            # conf.d/postfix-old-host.cf's optional guard
            main["smtpd_recipient_restrictions"] = (
                "reject_unauth_destination, check_policy_service "
                "{ unix:%s, timeout=10s, default_action=DEFER_IF_PERMIT }"
                % policy_sock)
        main.update(old_main or {})
        master = [
            # the queue manager's own resolver asks the map "route"
            "rewrite_q unix - - n - - trivial-rewrite"
            " -o transport_maps=" + self.policyd.map_spec("route"),
            "mailshift_fwd unix - - n - - smtp"
            " -o syslog_name=postfix/mailshift_fwd",
        ] + list(old_master)
        self.old = Postfix(tmp, "old", domains=[domain], users=users,
                           main=main, master=master,
                           qmgr_opts=" -o rewrite_service_name=rewrite_q")

    def start(self):
        if self.pg is not None:
            self.pg.init_store()
        # the daemon looks for held mail in the old host's queue at start
        self.new.start()
        self.old.start()
        self.policyd.start()
        return self

    def set_state(self, user, state):
        if self.pg is None:
            set_state(self.tmp, user, state)
            return
        self.pg.sql("INSERT INTO users (user_name, state, state_changed) "
                    "VALUES (:'p1', :'p2', extract(epoch from now())::bigint)"
                    " ON CONFLICT (user_name) DO UPDATE SET"
                    " state = excluded.state,"
                    " state_changed = excluded.state_changed;\n",
                    user, state)

    def addr(self, user):
        return "%s@%s" % (user, self.domain)

    def where(self, user, msgid):
        """(copies on the old host, copies on the new host) of msgid in
        user's mailbox."""
        return (self.old.count(user, msgid), self.new.count(user, msgid))

    def logs(self):
        return ("--- old maillog\n" + self.old.log_text()[-4000:] +
                "\n--- new maillog\n" + self.new.log_text()[-2000:] +
                "\n--- policyd\n" + self.policyd.log_text()[-3000:])
