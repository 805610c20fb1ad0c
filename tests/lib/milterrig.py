"""Test rig for mailshift-milter (stdlib + Debian's python3-dkim only).

    import milterrig
    from milterrig import check

    def main(tmp):
        m = milterrig.Milter(tmp, {"example.test": ["mx2026", "mx2026e"]})
        m.start()
        r = m.client().message(milterrig.message(subject="hi"))
        check(r.action == "continue", "signed mail continues", r)
        milterrig.check_verifies(r.message, m.records, tmp)

    milterrig.run("t-milter-name", main)      # harness.run + milter logs

Milter       mailshift-milter ($BUILD/milter/mailshift-milter, so that
             `make check-asan` runs the ASan build) with its own keys
             (made by `mailshift-milter genkey`) and configuration, on a
             free loopback port (an inet socket: any local user may
             connect, fine for a test); socket_in(queue_dir) moves it to
             the default UNIX socket inside a Postfix's queue directory,
             as conf.d/postfix-milter.cf expects; stop() fails the test
             on a sanitizer report in its log.
Unbound      a real DNS server (Debian's unbound) on a free loopback port
             serving the keys' TXT records (the milter's dns_check).
postfix()    a postfixrig.Postfix (`postfix -c DIR start`, smtpd on a
             free loopback port) with the milter in smtpd_milters and
             non_smtpd_milters, delivery into bob's maildir; .swaks()
             sends, .delivered() reads.
DovecotAuth  a Dovecot that only authenticates, for Postfix's SASL.
dkimpy_results / opendkim_results: the two independent verifiers, fed
             the published records directly (dkimpy's dnsfunc, OpenDKIM's
             TestPublicKeys), as research/postfix-milter.md 4.7 describes.
private_dir  a new directory for files OpenDKIM signs with, on a path no
             other user can write (Debian's /tmp is not one).
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
TOP = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("BUILD") or os.path.join(TOP, "build")
MILTER_BIN = os.path.join(BUILD, "milter", "mailshift-milter")

import imapwire                                # noqa: E402
from milterclient import MilterClient          # noqa: E402
import harness                                 # noqa: E402
# the harness's, under the names the tests import from here
from harness import check, expect, TestFailure  # noqa: E402,F401
import postfixrig                              # noqa: E402


def _private_chain(path):
    """True if path and every directory above it are a directory only
    root or this user owns and only its owner can write: what OpenDKIM
    demands of a key's path (a directory others or a group can write
    refuses the key, sticky bit or not: "/tmp can be read or written by
    other users", exit 78)."""
    path = os.path.realpath(path)
    while True:
        try:
            st = os.stat(path)
        except OSError:
            return False
        if (st.st_uid not in (0, os.geteuid()) or st.st_mode & 0o022
                or not os.path.isdir(path)):
            return False
        if path == "/":
            return True
        path = os.path.dirname(path)


def private_dir(prefix):
    """A new directory (mode 0700) for OpenDKIM's keys and configuration,
    below $TMPDIR when that path qualifies (_private_chain), else
    $XDG_RUNTIME_DIR, /run (root) or ~/.cache: a fresh Debian has
    /tmp world-writable.  The caller removes it."""
    bases = [tempfile.gettempdir(), os.environ.get("XDG_RUNTIME_DIR"),
             "/run" if os.geteuid() == 0 else None,
             os.path.expanduser("~/.cache")]
    for base in bases:
        if base and _private_chain(base):
            return tempfile.mkdtemp(prefix=prefix, dir=base)
    raise TestFailure("no directory only this user can write for %s "
                      "(tried %s): set TMPDIR to one"
                      % (prefix, ", ".join(b for b in bases if b)))


def wait_port(port, proc=None, what="server", timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise TestFailure("%s exited with %s before listening"
                              % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TestFailure("%s is not listening on port %d" % (what, port))


def wait_unix(path, proc, what="server", timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise TestFailure("%s exited with %s before listening"
                              % (what, proc.returncode))
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(path)
            return
        except OSError:
            time.sleep(0.05)
    raise TestFailure("%s is not listening on %s" % (what, path))


def message(subject="Test", body="Hello.\r\n", sender="alice@example.test",
            to="bob@example.net", extra=()):
    """A plain message as bytes (CRLF)."""
    lines = ["From: Alice <%s>" % sender, "To: <%s>" % to,
             "Subject: %s" % subject,
             "Date: Wed, 25 Nov 2026 14:00:00 +0000",
             "Message-ID: <%d.%s>" % (time.time_ns(), sender)]
    lines += list(extra)
    raw = "\r\n".join(lines) + "\r\n\r\n"
    return raw.encode() + (body.encode() if isinstance(body, str) else body)


class Milter:
    """mailshift-milter with its own keys and configuration."""

    def __init__(self, tmp, domains, name="milter", ed25519=("mx2026e",),
                 **settings):
        self.dir = os.path.join(tmp, name)
        self.keydir = os.path.join(self.dir, "keys")
        os.makedirs(self.dir, exist_ok=True)
        self.domains = domains
        self.records = {}       # "sel._domainkey.domain" -> TXT text
        self.port = imapwire.free_port()
        self.settings = {"socket": "inet:%d@127.0.0.1" % self.port,
                         "key_directory": self.keydir, "syslog": "no",
                         "dns_check": "off"}
        self.settings.update(settings)
        for domain, selectors in domains.items():
            for sel in selectors:
                self.genkey(domain, sel,
                            "ed25519" if sel in ed25519 else "rsa")
        self.proc = None
        self.clients = []
        self.log_path = os.path.join(self.dir, "milter.log")
        self.conf = os.path.join(self.dir, "mailshift-milter.conf")

    @property
    def spec(self):
        return self.settings["socket"]

    def socket_in(self, queue_dir):
        """Listen where conf.d/postfix-milter.cf's unix:mailshift/
        milter.sock points a Postfix whose queue_directory is queue_dir
        (the milter's default socket, moved there).  Call before start();
        returns the libmilter spec."""
        self.settings["socket"] = "unix:" + os.path.join(
            queue_dir, "mailshift", "milter.sock")
        return self.spec

    def genkey(self, domain, selector, kind="rsa", keydir=None):
        r = subprocess.run([MILTER_BIN, "genkey", "-k", keydir or self.keydir,
                            "-d", domain, "-s", selector, "-t", kind],
                           capture_output=True, text=True)
        check(r.returncode == 0, "genkey %s/%s (%s) succeeds"
              % (domain, selector, kind), r.stderr)
        # name. IN TXT ( "part" "part" )
        m = re.match(r'(\S+)\. IN TXT \((.*)\)', r.stdout.strip())
        check(m is not None, "genkey prints a TXT record", r.stdout)
        self.records[m.group(1)] = "".join(re.findall(r'"([^"]*)"',
                                                      m.group(2)))
        return r

    def write_conf(self):
        with open(self.conf, "w") as f:
            for k, v in self.settings.items():
                f.write("%s = %s\n" % (k, v))
            for domain, selectors in self.domains.items():
                f.write("domain = %s %s\n" % (domain, " ".join(selectors)))

    def start(self):
        self.write_conf()
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([MILTER_BIN, "-c", self.conf],
                                     stdout=self.logf, stderr=self.logf)
        # at the test's end, not ~5 s of libmilter's wind-down (stop())
        harness.track(self, stop=lambda: self.stop(graceful=False))
        if self.spec.startswith("unix:"):
            wait_unix(self.spec[5:], self.proc, "mailshift-milter")
        else:
            # socket= may name another port than the one picked for us
            port = int(self.spec.split(":", 1)[1].split("@")[0])
            wait_port(port, self.proc, "mailshift-milter")

    def client(self):
        """A new milter connection (closed by stop())."""
        c = MilterClient(self.spec)
        self.clients.append(c)
        return c

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, graceful=True):
        """SIGTERM and wait for the exit (LeakSanitizer runs then, in the
        ASan build).  libmilter needs ~5 s to wind down its worker pool
        after a session, so the harness's clean-up uses graceful=False:
        SIGTERM, half a second, SIGKILL.  Memory errors are reported when they
        happen either way; t-milter-postfix-milter-down-tempfails stops
        its milter gracefully."""
        if self.proc is None:
            return
        # libmilter waits for open sessions before it exits.
        for c in self.clients:
            c.close()
        self.clients = []
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10 if graceful else 0.5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.logf.close()
        harness.untrack(self)
        log = self.log()
        check("Sanitizer" not in log and "runtime error" not in log,
              "mailshift-milter ran without a sanitizer report",
              log[-3000:])


# -- verifiers -----------------------------------------------------------

def dkimpy_results(msg, records):
    """[(selector, ok)] for every DKIM-Signature, verified by dkimpy."""
    import dkim

    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        txt = records.get(name.rstrip("."))
        return txt.encode() if txt is not None else None

    d = dkim.DKIM(msg)
    out = []
    sigs = [v for (k, v) in d.headers if k.lower() == b"dkim-signature"]
    for i, sig in enumerate(sigs):
        sel = re.search(rb"\bs=\s*([^;\s]+)", sig)
        try:
            ok = d.verify(idx=i, dnsfunc=dnsfunc)
        except Exception as e:       # a verifier crash is a failure
            ok = False
            print("dkimpy: %s" % e)
        out.append((sel.group(1).decode() if sel else "?", bool(ok)))
    return out


def only_signature(msg, keep):
    """msg with every DKIM-Signature field but the keep-th (0-based)
    removed: `opendkim -t` reports only one signature per run."""
    head, sep, body = msg.partition(b"\r\n\r\n")
    fields = re.split(rb"\r\n(?![ \t])", head)
    out, n = [], 0
    for f in fields:
        if f.lower().startswith(b"dkim-signature:"):
            n += 1
            if n - 1 != keep:
                continue
        out.append(f)
    return b"\r\n".join(out) + sep + body


def opendkim_results(msg, records, tmp):
    """{selector: "succeeded"|...} from OpenDKIM (`opendkim -t` with
    TestPublicKeys), one run per DKIM-Signature."""
    d = tempfile.mkdtemp(dir=tmp, prefix="opendkim-")
    keys = os.path.join(d, "keys")
    with open(keys, "w") as f:
        for name, txt in records.items():
            f.write("%s %s\n" % (name, txt))
    conf = os.path.join(d, "opendkim.conf")
    with open(conf, "w") as f:
        f.write("Mode v\nTestPublicKeys %s\nSyslog no\n"
                "MinimumKeyBits 1024\n" % keys)
    out = {}
    count = len(re.findall(rb"(?im)^dkim-signature:", msg))
    for i in range(count):
        path = os.path.join(d, "msg%d.eml" % i)
        with open(path, "wb") as f:
            f.write(only_signature(msg, i))
        r = subprocess.run(["opendkim", "-x", conf, "-t", path],
                           capture_output=True, text=True)
        # "opendkim: FILE: verification (s=sel, d=dom, 2048-bit key)
        # succeeded" (or "failed", "...: bad signature data", ...)
        m = re.search(r"verification \(s=([^,]+), d=[^,]+, [^)]*\) "
                      r"(\w+)", r.stdout + r.stderr)
        if m is None:
            print("opendkim -t output:\n%s%s" % (r.stdout, r.stderr))
            out["#%d" % i] = "no verdict"
        else:
            out[m.group(1)] = m.group(2)
    return out


def check_verifies(msg, records, tmp, selectors, what=""):
    """Both verifiers pass every signature, and the signatures are
    exactly those of selectors."""
    py = dkimpy_results(msg, records)
    check(sorted(s for s, _ in py) == sorted(selectors),
          "%ssigned with exactly %s" % (what, ", ".join(selectors)), py)
    check(all(ok for _, ok in py), "%sdkimpy verifies every signature"
          % what, (py, msg[:3000]))
    od = opendkim_results(msg, records, tmp)
    check(all(od.get(s) == "succeeded" for s in selectors),
          "%sOpenDKIM verifies every signature" % what, (od, msg[:3000]))


# -- a real DNS server ------------------------------------------------------

class _Daemon:
    """A helper server the test started (self.proc); stop() ends it."""
    proc = None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None
        harness.untrack(self)


class Unbound(_Daemon):
    """unbound on a free loopback port, authoritative (local-data) for the
    given TXT records only, and for mx: {domain: [MX host, ...]} (in order
    of preference)."""

    def __init__(self, tmp, records, mx=None):
        self.dir = os.path.join(tmp, "unbound")
        os.makedirs(self.dir, exist_ok=True)
        self.port = imapwire.free_port()
        self.records = dict(records)
        self.mx = dict(mx or {})
        self.proc = None

    def write_conf(self):
        zones = sorted({name.split("._domainkey.", 1)[1]
                        for name in self.records})
        lines = ["server:", "  interface: 127.0.0.1@%d" % self.port,
                 "  port: %d" % self.port, '  username: ""',
                 '  chroot: ""', '  directory: "%s"' % self.dir,
                 '  pidfile: "%s/unbound.pid"' % self.dir,
                 "  use-syslog: no", '  logfile: ""', "  verbosity: 1",
                 "  do-ip6: no", "  do-daemonize: no",
                 "  access-control: 127.0.0.0/8 allow",
                 '  module-config: "iterator"']
        for z in zones:
            lines.append('  local-zone: "%s." static' % z)
        for name, txt in self.records.items():
            # one TXT string holds <= 255 bytes
            parts = " ".join('"%s"' % txt[i:i + 250]
                             for i in range(0, len(txt), 250))
            lines.append("  local-data: '%s. 60 IN TXT %s'" % (name, parts))
        for domain, hosts in sorted(self.mx.items()):
            lines.append('  local-zone: "%s." static' % domain)
            for pref, host in enumerate(hosts, 1):
                lines.append("  local-data: '%s. 60 IN MX %d %s.'"
                             % (domain, 10 * pref, host))
        with open(os.path.join(self.dir, "unbound.conf"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        self.write_conf()
        self.logf = open(os.path.join(self.dir, "unbound.log"), "ab")
        self.proc = subprocess.Popen(
            ["unbound", "-d", "-c", os.path.join(self.dir, "unbound.conf")],
            stdout=self.logf, stderr=self.logf)
        harness.track(self)
        end = time.time() + 15
        name = next(iter(self.records))
        while time.time() < end:
            r = subprocess.run(["dig", "+short", "+time=1", "+tries=1",
                                "-p", str(self.port), "@127.0.0.1", name,
                                "TXT"], capture_output=True, text=True)
            if r.returncode == 0 and "DKIM1" in r.stdout:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise TestFailure("unbound does not answer on port %d" % self.port)

    @property
    def resolver(self):
        return "127.0.0.1:%d" % self.port

    def dkimpy_verify(self, msg):
        """[(selector, ok)] from dkimpy looking the keys up in this DNS
        server (dnspython pointed at it), not in a table."""
        import dkim
        import dns.resolver

        res = dns.resolver.Resolver(configure=False)
        res.nameservers = ["127.0.0.1"]
        res.port = self.port

        def dnsfunc(name, timeout=5):
            name = name.decode() if isinstance(name, bytes) else name
            try:
                answer = res.resolve(name, "TXT", lifetime=timeout)
            except dns.exception.DNSException:
                return None
            return b"".join(b"".join(r.strings) for r in answer)

        d = dkim.DKIM(msg)
        sigs = [v for (k, v) in d.headers if k.lower() == b"dkim-signature"]
        out = []
        for i, sig in enumerate(sigs):
            sel = re.search(rb"\bs=\s*([^;\s]+)", sig)
            out.append((sel.group(1).decode() if sel else "?",
                        bool(d.verify(idx=i, dnsfunc=dnsfunc))))
        return out



# -- a real Postfix -------------------------------------------------------

def postfix(tmp, milter_spec, name="postfix", mynetworks=None, extra=None):
    """A postfixrig.Postfix (not started) whose smtpd and sendmail pass
    mail through the milter at milter_spec (its libmilter socket), with
    milter_default_action = tempfail; mail for bob@example.net delivered
    by virtual(8) into its maildir (.delivered()).  extra: more main.cf
    settings."""
    os.chmod(tmp, 0o755)    # postfix and nobody must reach their dirs
    # libmilter "inet:PORT@HOST" -> Postfix "inet:HOST:PORT"; a UNIX
    # socket by its absolute path (this Postfix is not chrooted)
    if milter_spec.startswith("unix:"):
        milter = milter_spec
    else:
        port = milter_spec.split("@")[0].split(":")[1]
        milter = "inet:127.0.0.1:%s" % port
    main = {
        "mydomain": "example.test", "myorigin": "example.test",
        "mynetworks": mynetworks or "127.0.0.0/8",
        "smtpd_milters": milter,
        "non_smtpd_milters": milter,
        "milter_default_action": "tempfail",
        "milter_mail_macros":
            "i {auth_type} {auth_authen} {auth_author} {mail_addr}",
        "disable_mime_output_conversion": "yes",
    }
    main.update(extra or {})
    return postfixrig.Postfix(tmp, name, domains=["example.net"],
                              users=["bob"], main=main,
                              myhostname="mx.example.test")


# -- SASL for Postfix ----------------------------------------------------

class DovecotAuth(_Daemon):
    """A Dovecot that only authenticates (no mail protocols): Postfix's
    smtpd_sasl_type = dovecot talks to its auth listener on a free
    loopback port.  users: {"alice@example.test": "secret"}."""

    def __init__(self, tmp, users):
        os.chmod(tmp, 0o755)
        self.dir = os.path.join(tmp, "dovecot-auth")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.port = imapwire.free_port()
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(os.path.join(self.dir, "users"), "w") as f:
            for user, password in users.items():
                f.write("%s:{PLAIN}%s\n" % (user, password))
        with open(self.conf, "w") as f:
            f.write("""instance_name = mailshift-sasl-{port}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols =
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/users
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={d}/home
}}
service auth {{
  inet_listener {{
    address = 127.0.0.1
    port = {port}
  }}
}}
""".format(d=self.dir, port=self.port))
        self.proc = None

    @property
    def sasl_path(self):
        return "inet:127.0.0.1:%d" % self.port

    def start(self):
        env = {k: v for k, v in os.environ.items()
               if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
        logf = open(os.path.join(self.dir, "dovecot.stderr"), "ab")
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", self.conf],
                                     stdout=logf, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True)
        logf.close()
        harness.track(self)
        wait_port(self.port, self.proc, "dovecot (auth)")



# -- running a test -------------------------------------------------------

def run(name, body):
    """harness.run(name, body): body(tmp) in a fresh temp dir, PASS/FAIL;
    on a failure the milters' log tails."""
    harness.run(name, body, on_failure=_milter_logs)


def _milter_logs(tmp):
    for thing in harness.live():
        if isinstance(thing, Milter) and os.path.exists(thing.log_path):
            print("--- milter log tail ---\n%s" % thing.log()[-2500:])
