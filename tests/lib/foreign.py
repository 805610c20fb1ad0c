"""Real Cyrus IMAP and Courier-IMAP servers as the OLD side (stdlib only).

    import foreign
    old = foreign.Cyrus(tmp, "old").start()       # or foreign.Courier(...)
    c = old.connect("alice")                       # imapwire.Conn, logged in
    manifest = old.fill_quick("alice")             # the foreign corpus
    m = mstest.Migration(tmp, old=old)             # settings(), sync() ...

Both are Debian 12's own packages, but `cyrus-imapd` and `courier-imap`
declare Conflicts: imap-server (apt would remove Dovecot), their POP3
servers Conflicts: pop3-server, and they pull an MTA.  So their .debs
(cyrus-common, cyrus-imapd, cyrus-pop3d, courier-imap, courier-pop) are
fetched with `apt-get download` and unpacked with `dpkg-deb -x` into a
cache, $MS_FOREIGN_CACHE or $BUILD/foreign/, on first use; nothing is
registered with dpkg.  The libraries they link and the SASL / authlib
pieces (sasl2-bin, courier-base, courier-authlib, courier-authdaemon,
courier-authlib-userdb, gamin) are installed by .ci/run.

Each server is a plain process tree under its own config and state in
<root>/<name>/, its IMAP and its POP3 server each listening on a free
127.0.0.1 port (.port, .pop3_port), never started through
systemd or init scripts.  It runs in a mount namespace of its own (same
network), where:
  - /dev is a small private one whose `log` is a datagram socket this
    module reads (neither server logs anywhere but syslog, and the host
    may have no /dev/log): <root>/<name>/log/syslog.log;
  - Courier's compiled-in /etc/courier and /run/courier are its own
    etc/ and run/ (authlib reads its config, userdb and authdaemon socket
    there); Cyrus takes every path from its imapd.conf.
stop() ends the started process, then, by PID, every process still in the
namespace -- also Courier's gam_server, which libgamin spawns from imapd
and which re-parents to init.  The namespace is held open by a file
descriptor until then, so its identity cannot pass to another.

Cyrus 3.6 (`Cyrus(..., namespace="alt")`, upstream 3.x's default): one
personal namespace "" with separator '/' (unixhierarchysep, altnamespace),
SASL PLAIN/LOGIN against a sasldb of its own; the admin user "cyrus"
creates each user's INBOX; runs as the system user cyrus (group mail),
created here as Debian's postinst would.  namespace="netnews": "INBOX."
and '.', as Debian's shipped imapd.conf says.

Courier-IMAP 5.0 (`Courier(...)`): "INBOX." and '.', Debian's imapd
settings except IMAP_EMPTYTRASH (empty: a stable fixture) and no
STARTTLS; users in an authlib userdb (SHA-512 crypt), Maildirs owned by
the courier user.

Interface, as rig.Dovecot's where the tests need it: .start(), .stop(),
context manager, .port, .pop3_port, .users {name: password}, .prefix, .sep,
.master_user (None: the migration logs in with each user's own password),
.connect(user), .imap_client(user), .mailbox_name("a/b"), .log_text(),
.fill_quick(user), .version.
"""
import fcntl
import glob
import imaplib
import os
import pwd
import grp
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time

import corpus
import harness
import imapwire
import rig

DEFAULT_USERS = {"alice": "pw-alice", "bob": "pw-bob"}
DEBS = {"cyrus": ("cyrus-common", "cyrus-imapd", "cyrus-pop3d"),
        "courier": ("courier-imap", "courier-pop")}
# the device nodes a server's private /dev holds (bound from the host's)
DEV_NODES = ("null", "zero", "random", "urandom", "full", "tty")


# ------------------------------------------------------------------ packages
def cache_dir():
    build = os.environ.get("BUILD") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "build")
    return os.path.abspath(os.environ.get("MS_FOREIGN_CACHE") or
                           os.path.join(build, "foreign"))


def unpacked(kind, packages=None):
    """The unpacked tree of DEBS[kind], or of packages (names, or
    "name=version" pins) cached under kind (fetched on first use, and
    again when the packages asked for are not those cached);
    returns (root directory, "package version, ...")."""
    packages = packages or DEBS[kind]
    base = os.path.join(cache_dir(), kind)
    root, stamp = os.path.join(base, "root"), os.path.join(base, "versions")
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)       # one fetch at a time
        if _cached_packages(stamp) != sorted(p.split("=")[0]
                                             for p in packages):
            _fetch(base, root, stamp, packages)
        with open(stamp) as f:
            return root, f.read().strip()


def _cached_packages(stamp):
    """The names of the packages a cache's stamp lists ([] without one):
    a cache from before a package was added is fetched again."""
    try:
        with open(stamp) as f:
            return sorted(v.split()[0] for v in f.read().strip().split(", "))
    except FileNotFoundError:
        return []


def _fetch(base, root, stamp, packages):
    debs = os.path.join(base, "debs")
    shutil.rmtree(debs, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(debs)
    os.chmod(debs, 0o755)                      # apt's _apt user writes here
    p = subprocess.run(["apt-get", "download", "-q"] + list(packages),
                       cwd=debs, capture_output=True, text=True)
    files = sorted(glob.glob(os.path.join(debs, "*.deb")))
    if p.returncode != 0 or len(files) != len(packages):
        raise RuntimeError("apt-get download %s failed (exit %d): the "
                           "servers' packages come from Debian's archive\n%s"
                           % (" ".join(packages), p.returncode,
                              (p.stdout + p.stderr)[-2000:]))
    versions = []
    for deb in files:
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
        versions.append(os.path.basename(deb)[:-len(".deb")]
                        .replace("_", " ", 1).rsplit("_", 1)[0])
    with open(stamp + ".tmp", "w") as f:
        f.write(", ".join(versions) + "\n")
    os.rename(stamp + ".tmp", stamp)


def _missing_commands(commands):
    return [c for c in commands if not os.path.exists(c)]


# ------------------------------------------------------------------ syslog
class SyslogCatcher(threading.Thread):
    """A datagram socket at `path` (the server's /dev/log) whose messages
    are appended, one a line, to `out`."""

    def __init__(self, path, out):
        super().__init__(daemon=True)
        self.path, self.out = path, out
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if os.path.lexists(path):
            os.unlink(path)
        self.sock.bind(path)
        os.chmod(path, 0o666)                  # servers log as their user
        self.sock.settimeout(0.2)
        self._stop_ev = threading.Event()

    def run(self):
        with open(self.out, "ab", buffering=0) as f:
            while not self._stop_ev.is_set():
                try:
                    data = self.sock.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    break
                f.write(data.rstrip(b"\0\n") + b"\n")

    def stop(self):
        self._stop_ev.set()
        self.join(2)
        self.sock.close()


# ------------------------------------------------------------------ servers
class _Server:
    """What both servers share: the directories, the namespace, the
    process tree, clients."""

    kind = None

    def __init__(self, root_dir, name, users):
        self.name = name
        self.dir = os.path.abspath(os.path.join(root_dir, name))
        self.users = dict(DEFAULT_USERS if users is None else users)
        self.master_user = None         # each user logs in as themselves
        self.port = imapwire.free_port()
        self.pop3_port = imapwire.free_port()
        self.root, self.version = unpacked(self.kind)
        self.proc = None
        self._ns_fd = None
        self._catcher = None
        self.log_dir = os.path.join(self.dir, "log")
        self.syslog_path = os.path.join(self.log_dir, "syslog.log")
        # servers running as their own user walk down to their dirs
        for d in (root_dir, self.dir):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o755)
        for d in ("log", "dev"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)

    # -- the namespace
    def _namespace_script(self, binds, command):
        """sh script run by `unshare -m`: private /dev, binds
        [(source, target)], then exec command."""
        dev = os.path.join(self.dir, "dev")
        for n in DEV_NODES:
            open(os.path.join(dev, n), "a").close()
        if not os.path.lexists(os.path.join(dev, "fd")):
            os.symlink("/proc/self/fd", os.path.join(dev, "fd"))
        lines = ["set -e"]
        lines += ["mount --bind /dev/%s %s/%s" % (n, dev, n)
                  for n in DEV_NODES]
        lines.append("mount --rbind %s /dev" % dev)
        lines += ["mount --bind %s %s" % st for st in binds]
        lines.append(command)
        return "\n".join(lines) + "\n"

    def _launch(self, script, stderr_name, timeout):
        path = os.path.join(self.dir, "start.sh")
        with open(path, "w") as f:
            f.write(script)
        self._catcher = SyslogCatcher(os.path.join(self.dir, "dev", "log"),
                                      self.syslog_path)
        self._catcher.start()
        # no sanitizer preload in a server: it is not our code
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
        errf = open(os.path.join(self.log_dir, stderr_name), "ab")
        own_ns = os.stat("/proc/self/ns/mnt").st_ino
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "/bin/sh",
             path], stdout=errf, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        errf.close()
        harness.track(self)
        deadline = time.time() + timeout
        while self._ns_fd is None and time.time() < deadline:
            try:
                fd = os.open("/proc/%d/ns/mnt" % self.proc.pid, os.O_RDONLY)
            except FileNotFoundError:
                break
            if os.fstat(fd).st_ino != own_ns:
                self._ns_fd = fd            # held: see stop()
            else:
                os.close(fd)
                time.sleep(0.01)
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            if all(rig.Dovecot._port_open(p)
                   for p in (self.port, self.pop3_port)):
                return
            time.sleep(0.05)
        tail = self.log_text()[-3000:]
        self.stop()
        raise RuntimeError("%s %s did not start listening on 127.0.0.1:%d "
                           "(IMAP) and :%d (POP3) (%s):\n%s"
                           % (self.kind, self.name, self.port, self.pop3_port,
                              self.version, tail))

    def namespace_pids(self):
        """PIDs of the processes in this server's mount namespace."""
        if self._ns_fd is None:
            return []
        ino = os.fstat(self._ns_fd).st_ino
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                if os.stat("/proc/%s/ns/mnt" % d).st_ino == ino:
                    pids.append(int(d))
            except OSError:
                pass            # gone, or a zombie
        return pids

    def stop(self):
        harness.untrack(self)
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        # whatever is left in the namespace (gam_server, a stuck child)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self.namespace_pids()
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.time() + 5
            while pids and time.time() < deadline:
                time.sleep(0.05)
                pids = self.namespace_pids()
            if not pids:
                break
        if self.proc and self.proc.poll() is None:
            self.proc.wait()
        if self._ns_fd is not None:
            os.close(self._ns_fd)
            self._ns_fd = None
        if self._catcher:
            self._catcher.stop()
            self._catcher = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log_text(self):
        out = []
        for p in sorted(glob.glob(os.path.join(self.log_dir, "*.log"))):
            with open(p, errors="replace") as f:
                out.append("--- %s\n%s" % (os.path.basename(p), f.read()))
        return "\n".join(out)

    # -- clients
    def mailbox_name(self, path):
        """'a/b' (canonical, unicode) -> this server's wire name."""
        return corpus.wire_name(path, self.prefix, self.sep)

    def connect(self, user, **kw):
        """Logged-in imapwire.Conn (the user's own password)."""
        c = imapwire.Conn("127.0.0.1", self.port, **kw)
        return c.login(user, self.users[user])

    def imap_client(self, user):
        """Logged-in imaplib.IMAP4."""
        m = imaplib.IMAP4("127.0.0.1", self.port)
        m.login(user, self.users[user])
        return m

    # -- content
    def quick_plan(self, seed=1):
        """(folders, subscriptions, messages, roles {folder: role}) of the
        foreign corpus on this server: corpus.quick_plan()'s hard cases
        (nested and non-ASCII folders, 8-bit headers, keywords, \\Deleted,
        a subscription to a folder that does not exist) plus what this
        server can hold."""
        folders, subs, msgs = corpus.quick_plan(seed, self.special_use)
        b = corpus.Builder(seed + 1000)
        for folder in self.extra_folders:
            folders.append(folder)
            d, ep = b.message(900)
            msgs.append(corpus.Message(folder, d, ["\\Seen"], ep))
        subs = subs + self.extra_folders[:1]
        msgs = [m for m in msgs if m.note not in self.refused_notes]
        return folders, subs, msgs, dict(self.special_use)

    def fill_quick(self, user="alice", seed=1):
        """Fill the user's mailbox with quick_plan(); returns a manifest
        as corpus.fill_quick() does (folders, subscriptions, messages,
        stored: what the server made of the 8-bit and bare-LF ones)."""
        folders, subs, msgs, roles = self.quick_plan(seed)
        c = self.connect(user)
        try:
            if "CREATE-SPECIAL-USE" in c.caps:
                for folder, role in sorted(roles.items()):
                    c.command("CREATE %s (USE (%s))"
                              % (imapwire.quote(self.mailbox_name(folder)),
                                 role))
            return corpus.fill_plan(c, folders, subs, msgs, self.prefix,
                                    self.sep)
        finally:
            c.logout()


class Cyrus(_Server):
    """Cyrus IMAP 3.6 from Debian's cyrus-common and cyrus-imapd."""

    kind = "cyrus"
    # SPECIAL-USE set by CREATE ... (USE (...)), under Outlook-era names
    special_use = corpus.ALT_SPECIAL_USE
    # refused by Cyrus: APPEND -> NO Message contains bare newlines
    refused_notes = ("bare-lf",)

    def __init__(self, root_dir, name, *, users=None, namespace="alt"):
        if namespace not in ("alt", "netnews"):
            raise ValueError("namespace must be alt or netnews")
        super().__init__(root_dir, name, users)
        self.namespace = namespace
        self.prefix, self.sep = (("", "/") if namespace == "alt"
                                 else ("INBOX.", "."))
        # a '.' inside a level where the separator is '/'
        self.extra_folders = (["v1.2 Release Notes", "Archive/2019/Q1.v2"]
                              if namespace == "alt" else [])
        self.admin = ("cyrus", secrets.token_hex(8))
        self.bin = os.path.join(self.root, "usr/lib/cyrus/bin")
        self.conf = os.path.join(self.dir, "conf", "imapd.conf")
        missing = _missing_commands(["/usr/sbin/saslpasswd2"])
        if missing:
            raise RuntimeError("missing %s: run .ci/run deps (sasl2-bin)"
                               % ", ".join(missing))
        _ensure_cyrus_user()
        self._write_conf()

    def _write_conf(self):
        d = self.dir
        for sub in ("conf", "lib", "spool"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        for sub in ("db", "proc", "socket", "log", "msg", "user", "quota",
                    "lock"):
            os.makedirs(os.path.join(d, "lib", sub), exist_ok=True)
        alt = "yes" if self.namespace == "alt" else "no"
        with open(self.conf, "w") as f:
            f.write("""# generated by tests/lib/foreign.py
configdirectory: {d}/lib
proc_path: {d}/lib/proc
mboxname_lockpath: {d}/lib/lock
defaultpartition: default
partition-default: {d}/spool
altnamespace: {alt}
unixhierarchysep: {alt}
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: {d}/conf/sasldb2
sasl_mech_list: PLAIN LOGIN
admins: {admin}
servername: localhost
lmtpsocket: {d}/lib/socket/lmtp
idlesocket: {d}/lib/socket/idle
notifysocket: {d}/lib/socket/notify
syslog_prefix: cyrus-{name}
umask: 077
hashimapspool: true
""".format(d=d, alt=alt, admin=self.admin[0], name=self.name))
        # master runs START and SERVICES commands by absolute path (its
        # compiled-in /usr/lib/cyrus/bin is not where they are), each
        # with this config
        with open(os.path.join(d, "conf", "cyrus.conf"), "w") as f:
            f.write("""START {{
  recover cmd="{bin}/ctl_cyrusdb -C {conf} -r"
}}
SERVICES {{
  imap cmd="{bin}/imapd -C {conf}" listen="127.0.0.1:{port}" prefork=0 maxchild=50
  pop3 cmd="{bin}/pop3d -C {conf}" listen="127.0.0.1:{pop3_port}" prefork=0 maxchild=50
}}
EVENTS {{
  checkpoint cmd="{bin}/ctl_cyrusdb -C {conf} -c" period=30
}}
""".format(bin=self.bin, conf=self.conf, port=self.port,
           pop3_port=self.pop3_port))
        sasldb = os.path.join(d, "conf", "sasldb2")
        for user, pw in [self.admin] + sorted(self.users.items()):
            # realm: Cyrus asks SASL for user@servername
            subprocess.run(["saslpasswd2", "-f", sasldb, "-p", "-c", "-u",
                            "localhost", user], input=pw.encode(),
                           check=True)
        subprocess.run(["chown", "-R", "cyrus:mail", d], check=True)

    def start(self, timeout=20):
        if self.proc and self.proc.poll() is None:
            return self
        lib = os.path.join(self.root, "usr/lib/x86_64-linux-gnu")
        command = ("export LD_LIBRARY_PATH=%s\nexec %s/master -C %s -M %s "
                   "-p %s/lib/master.pid"
                   % (lib, self.bin, self.conf,
                      os.path.join(self.dir, "conf", "cyrus.conf"),
                      self.dir))
        self._launch(self._namespace_script([], command), "master.log",
                     timeout)
        # each user's INBOX, made by the admin as on a real Cyrus
        c = imapwire.Conn("127.0.0.1", self.port)
        c.login(*self.admin)
        for user in sorted(self.users):
            c.command("CREATE %s" % imapwire.quote("user%s%s"
                                                   % (self.sep, user)),
                      check=False)   # made already at an earlier start
        c.logout()
        return self


def _ensure_cyrus_user():
    """The system user cyrus (group mail), as cyrus-common's postinst
    makes it; Cyrus will not run as root.  Under a lock: two tests side
    by side may both find it missing, and the second adduser would fail."""
    os.makedirs(cache_dir(), exist_ok=True)
    with open(os.path.join(cache_dir(), ".adduser.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            pwd.getpwnam("cyrus")
            return
        except KeyError:
            pass
        subprocess.run(["adduser", "--quiet", "--system", "--ingroup",
                        "mail", "--home", "/var/spool/cyrus", "--shell",
                        "/bin/sh", "--no-create-home", "--disabled-password",
                        "--disabled-login", "--gecos",
                        "Cyrus Mailsystem User", "cyrus"], check=True,
                       stdout=subprocess.DEVNULL)


class Courier(_Server):
    """Courier-IMAP 5.0 from Debian's courier-imap, with courier-base's
    couriertcpd and courier-authlib's authdaemond (userdb)."""

    kind = "courier"
    # no SPECIAL-USE: the role folders are known by their names only
    special_use = {"Sent": "\\Sent", "Drafts": "\\Drafts",
                   "Trash": "\\Trash", "Spam": "\\Junk"}
    refused_notes = ()
    # '.' is the separator, '/' is refused: no name with either
    extra_folders = []

    def __init__(self, root_dir, name, *, users=None):
        super().__init__(root_dir, name, users)
        self.prefix, self.sep = "INBOX.", "."
        missing = _missing_commands([
            "/usr/sbin/couriertcpd", "/usr/lib/courier/courier-authlib/"
            "authdaemond", "/usr/lib/courier-authlib/libauthuserdb.so",
            "/usr/sbin/makeuserdb", "/usr/libexec/gam_server"])
        if missing:
            raise RuntimeError("missing %s: run .ci/run deps (courier-base, "
                               "courier-authdaemon, courier-authlib-userdb, "
                               "gamin)" % ", ".join(missing))
        self.uid = pwd.getpwnam("courier").pw_uid
        self.gid = grp.getgrnam("courier").gr_gid
        self._write_conf()

    def home(self, user):
        return os.path.join(self.dir, "home", user)

    def _write_conf(self):
        etc, run = os.path.join(self.dir, "etc"), os.path.join(self.dir,
                                                               "run")
        os.makedirs(os.path.join(run, "authdaemon"), exist_ok=True)
        os.makedirs(etc, exist_ok=True)
        for d in (run, os.path.join(run, "authdaemon")):
            os.chown(d, self.uid, self.gid)
        os.chmod(os.path.join(run, "authdaemon"), 0o750)
        for f in ("imapd", "imapd-ssl", "pop3d", "pop3d-ssl"):
            shutil.copy(os.path.join(self.root, "etc/courier", f), etc)
        with open(os.path.join(etc, "authdaemonrc"), "w") as f:
            f.write('authmodulelist="authuserdb"\n'
                    'authmodulelistorig="authuserdb"\ndaemons=3\n'
                    'authdaemonvar=/run/courier/authdaemon\nDEBUG_LOGIN=0\n'
                    'DEFAULTOPTIONS=""\nLOGGEROPTS=""\n')
        userdb = os.path.join(etc, "userdb")
        with open(userdb, "w") as f:
            for user, pw in sorted(self.users.items()):
                home = self.home(user)
                for sub in ("cur", "new", "tmp"):
                    os.makedirs(os.path.join(home, "Maildir", sub),
                                exist_ok=True)
                subprocess.run(["chown", "-R", "%d:%d" % (self.uid,
                                                          self.gid), home],
                               check=True)
                os.chmod(home, 0o700)
                crypt = subprocess.run(["openssl", "passwd", "-6", "-stdin"],
                                       input=pw, capture_output=True,
                                       text=True, check=True).stdout.strip()
                f.write("%s\tuid=%d|gid=%d|home=%s|mail=%s|systempw=%s\n"
                        % (user, self.uid, self.gid, home,
                           os.path.join(home, "Maildir"), crypt))
        os.chmod(userdb, 0o600)
        subprocess.run(["makeuserdb", "-f", userdb], check=True)

    def start(self, timeout=20):
        if self.proc and self.proc.poll() is None:
            return self
        imapd = os.path.join(self.root, "usr/bin/imapd")
        login = os.path.join(self.root, "usr/lib/courier/courier/imaplogin")
        pop3d = os.path.join(self.root, "usr/lib/courier/courier/courierpop3d")
        pop3login = os.path.join(self.root,
                                 "usr/lib/courier/courier/courierpop3login")
        tcpd = ("/usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=40 "
                "-maxperip=40 -nodnslookup -noidentlookup")
        # as Debian's /usr/sbin/imapd and /usr/lib/courier/pop3d start
        # do, minus courierlogger (stderr goes to the log file) and with
        # authdaemond beside them
        command = """/usr/lib/courier/courier-authlib/authdaemond &
i=0
while [ ! -S /run/courier/authdaemon/socket ] && [ $i -lt 200 ]; do
  sleep 0.05; i=$((i + 1))
done
/usr/bin/env -i /bin/sh -c 'set -a; . /etc/courier/pop3d; \
. /etc/courier/pop3d-ssl; POP3_STARTTLS=NO; \
exec %s %d %s %s Maildir' &
exec /usr/bin/env -i /bin/sh -c 'set -a; . /etc/courier/imapd; \
. /etc/courier/imapd-ssl; IMAP_STARTTLS=NO; IMAP_EMPTYTRASH=; \
ulimit -v $IMAP_ULIMITD; \
exec %s %d %s %s Maildir'""" % (tcpd, self.pop3_port, pop3login, pop3d,
                                tcpd, self.port, login, imapd)
        if not os.path.isdir("/run/courier"):
            # made at boot by courier-authdaemon's tmpfiles.d entry where
            # systemd runs; the bind mount below needs it (exist_ok: a
            # test beside this one may make it first)
            os.makedirs("/run/courier", 0o775, exist_ok=True)
            os.chown("/run/courier", 0, self.gid)
        binds = [(os.path.join(self.dir, "etc"), "/etc/courier"),
                 (os.path.join(self.dir, "run"), "/run/courier")]
        self._launch(self._namespace_script(binds, command),
                     "imapd-stderr.log", timeout)
        return self


__all__ = ["Cyrus", "Courier", "unpacked", "cache_dir", "SyslogCatcher"]
