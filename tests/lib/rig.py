"""Stand up real Dovecot instances for tests and benches (stdlib only).

    from rig import Dovecot
    with Dovecot(tmp, "old", layout="courier") as old, \\
         Dovecot(tmp, "new") as new:
        c = old.connect("alice")            # imapwire.Conn, logged in
        new.doveadm("backup", "-R", "-u", "alice", "imapc:")

Every instance is a plain `dovecot -F -c <root>/<name>/dovecot.conf`
process with its own base_dir, state_dir and log, listening on free ports
on 127.0.0.1 only; mail runs as nobody/nogroup (65534).  Nothing under
/etc/dovecot or systemd is used.

Environment:
  MS_ASAN=1 (or SANITIZE=1)  doveadm runs with LD_PRELOAD=<libasan.so>
                             and ASAN_OPTIONS=detect_leaks=0 (listed in
                             import_environment); the servers never get
                             the preload.
"""
import grp
import imaplib
import os
import poplib
import shutil
import signal
import socket
import subprocess
import time
import uuid

import harness
import imapwire

MAIL_UID = MAIL_GID = 65534

DEFAULT_USERS = {"alice": "pw-alice", "bob": "pw-bob"}
DEFAULT_SPECIAL_USE = {"Sent": "\\Sent", "Drafts": "\\Drafts",
                       "Trash": "\\Trash", "Junk": "\\Junk",
                       "Archive": "\\Archive"}

def asan_env():
    """Extra environment for running instrumented plugins, or {}."""
    if os.environ.get("MS_ASAN") != "1" and os.environ.get("SANITIZE") != "1":
        return {}
    lib = subprocess.run(["gcc", "-print-file-name=libasan.so"],
                         capture_output=True, text=True).stdout.strip()
    opts = os.environ.get("ASAN_OPTIONS", "")
    if "detect_leaks" not in opts:
        opts = (opts + ":" if opts else "") + "detect_leaks=0"
    return {"LD_PRELOAD": lib, "ASAN_OPTIONS": opts}


def _conf_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Dovecot:
    def __init__(self, root_dir, name, *, layout="plain",
                 mail_location="maildir:~/Maildir", users=None,
                 master_user=("master", "master-pw"), tls=False,
                 extra_conf="", plugin_dir=None, special_use=None,
                 mail_plugins="", passdbs=None, lmtp=False,
                 userdb_fields=None, namespace=None):
        if layout not in ("plain", "courier"):
            raise ValueError("layout must be plain or courier")
        self.name = name
        self.layout = layout
        self.prefix, self.sep = (("INBOX.", ".") if layout == "courier"
                                 else ("", "/"))
        # namespace=(prefix, separator) instead of the layout's; separator
        # None: no separator setting, Dovecot's default ('.' for maildir,
        # as Debian ships it)
        self.sep_setting = True
        if namespace is not None:
            self.prefix, self.sep = namespace
            if self.sep is None:
                self.sep, self.sep_setting = ".", False
        self.dir = os.path.abspath(os.path.join(root_dir, name))
        self.users = dict(DEFAULT_USERS if users is None else users)
        self.master_user = master_user
        self.tls = tls
        self.mail_location = mail_location
        self.extra_conf = extra_conf
        self.plugin_dir = plugin_dir
        self.mail_plugins = mail_plugins
        # passdb { } blocks replacing the users file's (None: keep them)
        self.passdbs = passdbs
        # an LMTP listener (Postfix's virtual_transport = lmtp:inet:...)
        self.lmtp_port = imapwire.free_port() if lmtp else None
        # {user: "userdb_NAME=VALUE ..."}: the users file's extra fields
        # (NAME is a setting of that user only, e.g. a plugin setting)
        self.userdb_fields = dict(userdb_fields or {})
        self.special_use = dict(DEFAULT_SPECIAL_USE if special_use is None
                                else special_use)
        self.conf_path = os.path.join(self.dir, "dovecot.conf")
        self.log_path = os.path.join(self.dir, "dovecot.log")
        self.ca_file = None
        self.port = imapwire.free_port()
        self.pop3_port = imapwire.free_port()
        self.imaps_port = imapwire.free_port() if tls else None
        self.proc = None
        self._make_dirs(root_dir)
        if tls:
            self._make_certs()
        self._write_conf()

    # ------------------------------------------------------------ setup
    def home(self, user):
        return os.path.join(self.dir, "home", user)

    def _make_dirs(self, root_dir):
        for d in (root_dir, self.dir, os.path.join(self.dir, "home")):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o755)
        for d in ("run", "state"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        for u in self.users:
            h = self.home(u)
            os.makedirs(h, exist_ok=True)
            os.chown(h, MAIL_UID, MAIL_GID)
            os.chmod(h, 0o700)

    def _make_certs(self):
        """Per-rig test CA (in <root>/ca) + a server cert for 127.0.0.1."""
        cadir = os.path.join(os.path.dirname(self.dir), "ca")
        os.makedirs(cadir, exist_ok=True)
        self.ca_file = os.path.join(cadir, "ca.pem")
        cakey = os.path.join(cadir, "ca.key")

        def ossl(*args):
            subprocess.run(["openssl"] + list(args), check=True,
                           capture_output=True)
        if not os.path.exists(self.ca_file):
            ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes",
                 "-keyout", cakey, "-out", self.ca_file, "-days", "30",
                 "-subj", "/CN=mailshift test CA")
        key = os.path.join(self.dir, "server.key")
        csr = os.path.join(self.dir, "server.csr")
        self.cert_file = os.path.join(self.dir, "server.pem")
        ext = os.path.join(self.dir, "san.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
             "-out", csr, "-subj", "/CN=127.0.0.1")
        ossl("x509", "-req", "-in", csr, "-CA", self.ca_file, "-CAkey",
             cakey, "-CAcreateserial", "-out", self.cert_file, "-days", "30",
             "-extfile", ext)
        self.key_file = key
        os.chmod(key, 0o600)

    def _write_conf(self):
        d = self.dir
        with open(os.path.join(d, "users"), "w") as f:
            for u, pw in self.users.items():
                f.write("%s:{PLAIN}%s:%d:%d::%s::%s\n" %
                        (u, pw, MAIL_UID, MAIL_GID, self.home(u),
                         self.userdb_fields.get(u, "")))
        with open(os.path.join(d, "master-users"), "w") as f:
            if self.master_user:
                f.write("%s:{PLAIN}%s\n" % self.master_user)
        gid = grp.getgrnam("dovecot").gr_gid      # auth runs as dovecot
        for fn in ("users", "master-users"):
            os.chown(os.path.join(d, fn), 0, gid)
            os.chmod(os.path.join(d, fn), 0o640)

        boxes = "".join(
            "  mailbox %s {\n    special_use = %s\n  }\n"
            % (_conf_quote(box), use)
            for box, use in sorted(self.special_use.items()))
        if self.tls:
            ssl = ("ssl = yes\nssl_cert = <%s\nssl_key = <%s\n"
                   % (self.cert_file, self.key_file))
        else:
            ssl = "ssl = no\n"
        # doveadm re-execs itself through doveconf, which keeps only
        # import_environment: the ASan preload and the kill-point
        # injector's settings (tests/lib/killpoint.c) must be listed there
        # (the servers themselves start without LD_PRELOAD)
        conf = """# generated by tests/lib/rig.py -- do not edit
instance_name = mailshift-{name}-{uniq}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
log_timestamp = "%Y-%m-%d %H:%M:%S "
protocols = imap pop3{lmtp_protocol}
listen = 127.0.0.1
{ssl}disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_master_user_separator = *
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = {uid}
last_valid_uid = 0
first_valid_gid = {gid}
mail_location = {mail_location}
mail_plugins = $mail_plugins {mail_plugins}
mail_max_userip_connections = 200
{plugin_dir}{import_env}
{passdbs}
userdb {{
  driver = passwd-file
  args = {d}/users
}}
namespace inbox {{
  inbox = yes
  prefix = {prefix}
{sep}{boxes}}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
{lmtp}{extra}
""".format(name=self.name, uniq=uuid.uuid4().hex[:8], d=d, ssl=ssl,
           uid=MAIL_UID, gid=MAIL_GID, mail_location=self.mail_location,
           mail_plugins=self.mail_plugins,
           plugin_dir=("mail_plugin_dir = %s\n" % self.plugin_dir
                       if self.plugin_dir else ""),
           import_env=("import_environment = $import_environment "
                       "LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS "
                       "MS_KILLPOINT_PATHS MS_KILLPOINT_NTH "
                       "MS_KILLPOINT_WHEN MS_KILLPOINT_TRACE\n"),
           passdbs=self.passdbs if self.passdbs is not None else
           self._default_passdbs(d),
           prefix=self.prefix,
           sep=("  separator = %s\n" % self.sep if self.sep_setting else ""),
           boxes=boxes, port=self.port,
           imaps_port=self.imaps_port or 0, pop3_port=self.pop3_port,
           extra=self.extra_conf,
           lmtp_protocol=" lmtp" if self.lmtp_port else "",
           lmtp=self._lmtp_conf())
        with open(self.conf_path, "w") as f:
            f.write(conf)

    def _lmtp_conf(self):
        """LMTP on 127.0.0.1:lmtp_port; recipients user@domain are the
        userdb's user."""
        if not self.lmtp_port:
            return ""
        return ("service lmtp {\n  inet_listener lmtp {\n"
                "    address = 127.0.0.1\n    port = %d\n  }\n}\n"
                "protocol lmtp {\n  auth_username_format = %%Ln\n}\n"
                % self.lmtp_port)

    @staticmethod
    def _default_passdbs(d):
        return """passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/master-users
  master = yes
  result_success = continue
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/users
}}""".format(d=d)

    # ------------------------------------------------------------ process
    def start(self, timeout=20):
        if self.proc and self.proc.poll() is None:
            return self
        # The servers load no instrumented code yet (only doveadm loads the
        # mailshift plugin), and preloading ASan into Dovecot's chrooted
        # service processes makes them abort at startup.
        env = {k: v for k, v in os.environ.items()
               if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
        logf = open(os.path.join(self.dir, "dovecot.stderr"), "ab")
        self.proc = subprocess.Popen(
            ["dovecot", "-F", "-c", self.conf_path], stdout=logf,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True)
        logf.close()
        harness.track(self)
        ports = [self.port, self.pop3_port] + (
            [self.imaps_port] if self.tls else []) + (
            [self.lmtp_port] if self.lmtp_port else [])
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            if all(self._port_open(p) for p in ports):
                return self
            time.sleep(0.05)
        tail = self.log_text()[-3000:] + self._stderr_text()[-2000:]
        self.stop()
        raise RuntimeError("dovecot %s failed to start (conf %s):\n%s"
                           % (self.name, self.conf_path, tail))

    @staticmethod
    def _port_open(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self):
        harness.untrack(self)
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @staticmethod
    def _read(path):
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def log_text(self):
        return self._read(self.log_path)

    def _stderr_text(self):
        return self._read(os.path.join(self.dir, "dovecot.stderr"))

    def wipe(self):
        """Stop and delete this instance's directory."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------ doveadm
    def doveadm_argv(self, *args):
        return ["doveadm", "-c", self.conf_path] + [str(a) for a in args]

    def doveadm_env(self, env=None):
        e = dict(os.environ)
        e.update(asan_env())
        if env:
            e.update(env)
        return e

    def doveadm(self, *args, env=None, check=False, timeout=600,
                input=None):
        """Run `doveadm -c <conf> args...`; returns CompletedProcess (text).
        env: extra environment; MS_ASAN=1 adds the ASan preload."""
        return subprocess.run(self.doveadm_argv(*args),
                              env=self.doveadm_env(env), check=check,
                              capture_output=True, text=True,
                              timeout=timeout, input=input)

    # ------------------------------------------------------------ clients
    def mailbox_name(self, path):
        """'a/b' (canonical, '/'-separated, unicode) -> this server's wire
        name (prefix, separator, mUTF-7). 'INBOX' stays 'INBOX'."""
        if path.upper() == "INBOX":
            return "INBOX"
        return imapwire.utf7_encode(self.prefix +
                                    path.replace("/", self.sep))

    def connect(self, user, *, as_master=False, tls=False, **kw):
        """Logged-in imapwire.Conn. as_master: log in via the master user
        (SASL PLAIN authzid)."""
        port = self.imaps_port if tls else self.port
        c = imapwire.Conn("127.0.0.1", port, tls=tls, ca_file=self.ca_file,
                          **kw)
        if as_master or user not in self.users:
            c.login(self.master_user[0], self.master_user[1], authzid=user)
        else:
            c.login(user, self.users[user])
        return c

    def imap_client(self, user):
        """Logged-in imaplib.IMAP4 (plain port)."""
        m = imaplib.IMAP4("127.0.0.1", self.port)
        if user in self.users:
            m.login(user, self.users[user])
        else:
            m.login("%s*%s" % (user, self.master_user[0]),
                    self.master_user[1])
        return m

    def pop3_client(self, user):
        p = poplib.POP3("127.0.0.1", self.pop3_port)
        if user in self.users:
            p.user(user)
            p.pass_(self.users[user])
        else:
            p.user("%s*%s" % (user, self.master_user[0]))
            p.pass_(self.master_user[1])
        return p

    def imapc_conf(self, *, list_prefix=None, features=
                   "rfc822.size fetch-headers modseq"):
        """Settings for a NEW server whose imapc: source is this server,
        logging in with the master user."""
        lp = list_prefix if list_prefix is not None else (
            "INBOX" if self.layout == "courier" else "")
        s = ("imapc_host = 127.0.0.1\nimapc_port = %d\nimapc_user = %%u\n"
             "imapc_master_user = %s\nimapc_password = %s\n"
             "imapc_features = %s\n"
             % (self.port, self.master_user[0], self.master_user[1],
                features))
        if lp:
            s += "imapc_list_prefix = %s\n" % lp
        return s
