"""Debian's stock Dovecot configuration, as apt installs it, run from a
temp dir (stdlib only): what t-runbook-stock-debian follows the README on.

    import stockdovecot
    stockdovecot.own_mount_namespace()          # first: re-exec, unshare -m
    root = ...                                  # the admin's "/", in tmp
    stockdovecot.copy_stock_etc(root + "/etc/dovecot")
    stockdovecot.private_accounts(root, [["groupadd", ...], ...])
    new = stockdovecot.StockDovecot(tmp, "new", root, users, home_base)
    ... edit root/etc/dovecot as the README says ...
    new.write_local_conf(plugin_dir)            # the loopback edits
    new.start()                                 # a rig.Dovecot otherwise

- copy_stock_etc(): the files the packages' postinsts put into
  /etc/dovecot (ucf copies of /usr/share/dovecot/...), from /etc/dovecot
  when they are still what the packages ship, else from the .debs of the
  installed versions, fetched with `apt-get download` and unpacked with
  `dpkg-deb -x` into $BUILD/foreign/dovecot-<version>/ (foreign.unpacked);
  MS_STOCK_DOVECOT=deb takes the .debs always.  Never writes to /etc.
- private_accounts(): the README's groupadd/useradd run with --prefix
  <root> on copies of /etc/passwd, group, shadow and gshadow, which are
  then bind-mounted over /etc's in this process's own mount namespace
  (own_mount_namespace()): Dovecot finds the user, the host's /etc is
  untouched.
- StockDovecot: rig.Dovecot's process handling, doveadm and clients for a
  Dovecot started with -c <root>/etc/dovecot/dovecot.conf, whose
  configuration the caller writes; local.conf (stock dovecot.conf's
  `!include_try local.conf`) holds the edits running on loopback ports in
  a temp dir forces.
"""
import filecmp
import grp
import os
import re
import shutil
import subprocess
import sys

import foreign
import imapwire
import rig

PACKAGES = ("dovecot-core", "dovecot-imapd", "dovecot-lmtpd", "dovecot-pop3d")
ACCOUNT_FILES = ("passwd", "group", "shadow", "gshadow")


def own_mount_namespace():
    """Re-exec this script in a mount namespace of its own (once)."""
    if os.environ.get("MS_STOCK_NAMESPACE") == str(os.getpid()):
        return
    env = dict(os.environ)
    argv = ["unshare", "-m", "--propagation", "private", "--",
            sys.executable] + sys.argv
    # the exec'd unshare keeps this pid, and so does the exec it makes
    env["MS_STOCK_NAMESPACE"] = str(os.getpid())
    os.execvpe("unshare", argv, env)


def _installed():
    """{package: version} of PACKAGES installed here."""
    out = {}
    for pkg in PACKAGES:
        p = subprocess.run(["dpkg-query", "-W", "-f", "${Status}\t${Version}",
                            pkg], capture_output=True, text=True)
        if p.returncode == 0 and p.stdout.startswith("install ok installed"):
            out[pkg] = p.stdout.split("\t")[1]
    return out


def _conffiles(pkg):
    """The files pkg's postinst copies from /usr/share/dovecot into
    /etc/dovecot (its CONFFILES="..." list)."""
    with open("/var/lib/dpkg/info/%s.postinst" % pkg) as f:
        m = re.search(r'CONFFILES="([^"]*)"', f.read())
    return [f for f in m.group(1).split() if f != "\\"] if m else []


def copy_stock_etc(dest):
    """Copy Debian's stock /etc/dovecot (as apt installs it) into dest;
    returns where the files came from."""
    versions = _installed()
    files = [f for pkg in versions for f in _conffiles(pkg)]
    if "dovecot.conf" not in files:
        raise RuntimeError("dovecot-core is not installed")
    # (run-all's bind mount over the doveadm module dir shows as changed)
    verify = subprocess.run(["dpkg", "--verify"] + list(versions),
                            capture_output=True, text=True).stdout
    edited = os.environ.get("MS_STOCK_DOVECOT") == "deb" or \
        "/usr/share/dovecot/" in verify or \
        any(not os.path.isfile("/etc/dovecot/" + f) or
            not filecmp.cmp("/etc/dovecot/" + f, "/usr/share/dovecot/" + f,
                            shallow=False) for f in files)
    if edited:
        core = versions["dovecot-core"]
        root, what = foreign.unpacked(
            "dovecot-" + core,
            ["%s=%s" % kv for kv in sorted(versions.items())])
        src = os.path.join(root, "usr", "share", "dovecot")
        origin = "the packages (%s), /etc/dovecot being edited" % \
            what.replace("%3a", ":")
    else:
        src = "/etc/dovecot"
        origin = "/etc/dovecot (as %s installed it)" % ", ".join(
            "%s %s" % kv for kv in sorted(versions.items()))
    dovecot_gid = grp.getgrnam("dovecot").gr_gid
    for f in files:
        path = os.path.join(dest, f)
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        shutil.copyfile(os.path.join(src, f), path)
        # dovecot-core's postinst: the top-level *.ext files root:dovecot 0640
        if "/" not in f and f != "dovecot.conf":
            os.chown(path, 0, dovecot_gid)
            os.chmod(path, 0o640)
        else:
            os.chmod(path, 0o644)
    private = os.path.join(dest, "private")
    os.makedirs(private, exist_ok=True)
    os.chmod(private, 0o700)
    return origin


def private_accounts(root, commands):
    """Run commands (argv lists: groupadd, useradd ...) with --prefix root
    on copies of the host's account files, then bind those copies over
    /etc's (call own_mount_namespace() first)."""
    etc = os.path.join(root, "etc")
    os.makedirs(etc, exist_ok=True)
    for name in ACCOUNT_FILES + ("login.defs",):
        shutil.copy2("/etc/" + name, os.path.join(etc, name))
    for argv in commands:
        subprocess.run([argv[0], "--prefix", root] + list(argv[1:]),
                       check=True, capture_output=True, text=True)
    for name in ACCOUNT_FILES:
        subprocess.run(["mount", "--bind", os.path.join(etc, name),
                        "/etc/" + name], check=True)


def release_accounts():
    """Undo private_accounts()'s bind mounts."""
    for name in ACCOUNT_FILES:
        subprocess.run(["umount", "/etc/" + name], check=False)


class StockDovecot(rig.Dovecot):
    """A Dovecot run as `dovecot -F -c <root>/etc/dovecot/dovecot.conf`,
    the caller's configuration; users' homes are home_base/<user>."""

    def __init__(self, root_dir, name, root, users, home_base):
        self.root, self.home_base = root, home_base
        super().__init__(root_dir, name, users=users, master_user=None,
                         namespace=("", None))
        self.conf_path = os.path.join(root, "etc", "dovecot", "dovecot.conf")
        self.imaps_port = imapwire.free_port()
        self.pop3s_port = imapwire.free_port()

    def _make_dirs(self, root_dir):
        os.makedirs(os.path.join(self.dir, "run"), exist_ok=True)
        os.makedirs(os.path.join(self.dir, "state"), exist_ok=True)
        for d in (root_dir, self.dir):
            os.chmod(d, 0o755)

    def _write_conf(self):
        pass

    def home(self, user):
        return os.path.join(self.home_base, user)

    def write_local_conf(self, plugin_dir, extra=""):
        """<root>/etc/dovecot/local.conf: what a temp dir and loopback
        ports force (and extra); returns its text."""
        text = """# written by tests/lib/stockdovecot.py: what running on
# loopback ports in a temp dir forces, nothing else
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
listen = 127.0.0.1
mail_plugin_dir = {plugin_dir}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = {pop3s_port}
  }}
}}
{extra}""".format(d=self.dir, plugin_dir=plugin_dir, port=self.port,
                  imaps_port=self.imaps_port, pop3_port=self.pop3_port,
                  pop3s_port=self.pop3s_port, extra=extra)
        with open(os.path.join(self.root, "etc", "dovecot", "local.conf"),
                  "w") as f:
            f.write(text)
        return text


def readme_block(text, marker):
    """The indented block (4 spaces, dedented) that follows marker in a
    Markdown text."""
    i = text.index(marker)
    lines = text[i:].split("\n")[1:]
    while lines and not lines[0].strip():
        lines.pop(0)
    block = []
    for line in lines:
        if line.startswith("    ") or not line.strip():
            block.append(line[4:])
        else:
            break
    return "\n".join(block).strip("\n") + "\n"


def set_setting(text, name, value):
    """NAME = VALUE in a Dovecot config text: its active line replaced,
    else its first commented-out line ("#NAME = ...") made active."""
    for rx in (r"^([ \t]*)%s[ \t]*=.*$", r"^([ \t]*)#%s[ \t]*=.*$"):
        m = re.search(rx % re.escape(name), text, re.M)
        if m:
            return "%s%s%s = %s%s" % (text[:m.start()], m.group(1), name,
                                      value, text[m.end():])
    raise ValueError("no %s line" % name)


def uncomment(text, name):
    """The first commented-out NAME line made active, as it is."""
    m = re.search(r"^([ \t]*)#(%s[ \t]*=.*)$" % re.escape(name), text, re.M)
    if not m:
        raise ValueError("no commented-out %s line" % name)
    return text[:m.start()] + m.group(1) + m.group(2) + text[m.end():]


def delete_setting(text, name):
    """The active NAME line removed."""
    new, n = re.subn(r"^[ \t]*%s[ \t]*=.*\n" % re.escape(name), "", text,
                     count=1, flags=re.M)
    if n != 1:
        raise ValueError("no %s line" % name)
    return new


__all__ = ["own_mount_namespace", "copy_stock_etc", "private_accounts",
           "release_accounts", "StockDovecot", "readme_block", "set_setting",
           "uncomment", "delete_setting"]
