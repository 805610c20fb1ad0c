"""What bench/ scripts share: the mount namespace that shows doveadm this
build's plugin, and the big cached corpus on an OLD Dovecot."""
import glob
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
import corpus       # noqa: E402
import rig          # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
CACHE = "/var/tmp/mailshift-bench"
STOCK_DOVEADM_MODULES = "/usr/lib/dovecot/modules/doveadm"
USERS = {"alice": "pw-alice", "bob": "pw-bob"}


def enter_namespace():
    """Re-exec in a private mount namespace; bind-mount the build's doveadm
    module dir over Dovecot's (as tests/integration/run-all does)."""
    if not os.environ.get("MS_IN_NAMESPACE"):
        os.environ["MS_IN_NAMESPACE"] = "1"
        os.execvp("unshare", ["unshare", "-m", "--propagation", "private",
                              sys.executable, os.path.abspath(sys.argv[0])] +
                  sys.argv[1:])
    mods = os.path.join(BUILD, "modules", "doveadm")
    if os.path.isdir(mods):
        subprocess.run(["mount", "--bind", mods, STOCK_DOVEADM_MODULES],
                       check=True)


def mailshift_plugin():
    return glob.glob(os.path.join(BUILD, "modules", "doveadm",
                                  "lib*_doveadm_mailshift_plugin.so"))


# ------------------------------------------------------------ the corpus
# Message sizes, (weight, min bytes, max bytes): "default" is mostly small
# mail; "wan" is a mailbox as migrations between providers meet it, a few
# percent of messages carrying attachments of 0.2-5 MB, and one message
# of LARGEST bytes in alice's INBOX.
SIZES = {"default": corpus.DEFAULT_SIZES,
         "wan": ((0.62, 2000, 20000), (0.30, 20000, 50000),
                 (0.05, 50000, 200000), (0.03, 200000, 5000000))}
LARGEST = {"default": 0, "wan": 25 * 1000 * 1000}


def corpus_root(count, small, seed, sizes="default"):
    """Where the corpus of these parameters is cached."""
    return os.path.join(CACHE, "corpus-v%d-n%d-s%d-seed%d%s" % (
        corpus.CORPUS_VERSION, count, small, seed,
        "" if sizes == "default" else "-" + sizes))


def old_server(count, small, seed, sizes="default"):
    root = corpus_root(count, small, seed, sizes)
    marker = os.path.join(root, "complete.json")
    if not os.path.exists(marker):
        shutil.rmtree(root, ignore_errors=True)
    old = rig.Dovecot(root, "old", users=USERS).start()
    if os.path.exists(marker):
        with open(marker) as f:
            info = json.load(f)
        print("corpus: cached %s (%d + %d messages, %.0f MB)"
              % (root, info["alice"][0], info["bob"][0],
                 info["alice"][1] / 1e6))
        return old, info
    print("corpus: generating %s (once)..." % root, flush=True)
    t0 = time.time()
    info = {}
    for user, n, s in (("alice", count, seed), ("bob", small, seed + 1)):
        c = old.connect(user)
        info[user] = corpus.fill_bulk(c, n, s, old.prefix, old.sep,
                                      sizes=SIZES[sizes],
                                      progress=max(n // 5, 1))
        if user == "alice" and LARGEST[sizes]:
            big = corpus.Builder(s).sized("INBOX", LARGEST[sizes])
            info[user] = [x + y for x, y in zip(info[user], corpus.append_all(
                c, [big], old.prefix, old.sep))]
        c.logout()
    info["generate_seconds"] = round(time.time() - t0, 1)
    print("corpus: %d messages / %.0f MB appended in %.0fs"
          % (info["alice"][0] + info["bob"][0],
             (info["alice"][1] + info["bob"][1]) / 1e6, time.time() - t0))
    with open(marker, "w") as f:
        json.dump(info, f)
    return old, info



def old_server_copy(tmp, count, small, seed, extra_conf=""):
    """A started OLD Dovecot in tmp holding a copy of the cached corpus,
    for benches that change the old mailbox.  A complete cache is copied
    without starting its server, which another bench may be running.
    extra_conf: more settings for the old server."""
    root = corpus_root(count, small, seed)
    marker = os.path.join(root, "complete.json")
    if os.path.exists(marker):
        with open(marker) as f:
            info = json.load(f)
        home = os.path.join(root, "old", "home")
    else:
        cached, info = old_server(count, small, seed)
        cached.stop()
        home = os.path.join(cached.dir, "home")
    os.makedirs(os.path.join(tmp, "old"), exist_ok=True)
    subprocess.run(["cp", "-a", home, os.path.join(tmp, "old")], check=True)
    return rig.Dovecot(tmp, "old", users=USERS,
                       extra_conf=extra_conf).start(), info


# ------------------------------------------------------------ a domain
def domain_users(n):
    """{user: password} of a domain of n users, u0001 ... u<n>."""
    return {"u%04d" % i: "pw-u%04d" % i for i in range(1, n + 1)}


def domain_old_server(users, messages, seed, templates):
    """A started OLD Dovecot holding a domain: `users` users (a
    passwd-file, which the userdb iterates for -A) of `messages` messages
    each, cached under CACHE like the corpus above.  The first
    `templates` users are filled over IMAP (corpus.fill_bulk, seeds seed,
    seed+1, ...); every other user gets a copy on disk (cp -a of the
    maildir, its index and uidlist) of template (i mod templates): the old
    server serves each from its own files, only the bytes repeat.
    Returns (server, info): info["users"], ["messages"] (each user's),
    ["bytes"] (all users'), ["generate_seconds"]."""
    root = os.path.join(CACHE, "domain-v%d-u%d-m%d-t%d-seed%d" % (
        corpus.CORPUS_VERSION, users, messages, templates, seed))
    marker = os.path.join(root, "complete.json")
    if not os.path.exists(marker):
        shutil.rmtree(root, ignore_errors=True)
    old = rig.Dovecot(root, "old", users=domain_users(users),
                      extra_conf="mail_fsync = never\n").start()
    if os.path.exists(marker):
        with open(marker) as f:
            info = json.load(f)
        print("domain: cached %s (%d users x %d messages, %.0f MB)"
              % (root, info["users"], info["messages"], info["bytes"] / 1e6))
        return old, info
    print("domain: generating %s (once)..." % root, flush=True)
    t0 = time.time()
    names = sorted(old.users)
    tbytes = []
    for t, user in enumerate(names[:templates]):
        c = old.connect(user)
        n, nbytes = corpus.fill_bulk(c, messages, seed + t, old.prefix,
                                     old.sep)
        c.logout()
        if n != messages:
            raise RuntimeError("%s: %d of %d messages appended"
                               % (user, n, messages))
        tbytes.append(nbytes)
    print("domain: %d template users filled in %.0fs; copying them"
          % (len(tbytes), time.time() - t0), flush=True)
    total = sum(tbytes)
    for i, user in enumerate(names[templates:], templates):
        t = i % templates
        subprocess.run(["cp", "-a", "--reflink=auto",
                        old.home(names[t]) + "/.", old.home(user)],
                       check=True)
        total += tbytes[t]
        if i % 200 == 0:
            print("  copied %d/%d (%.0fs)" % (i, users, time.time() - t0),
                  flush=True)
    info = {"users": users, "messages": messages, "bytes": total,
            "templates": templates,
            "generate_seconds": round(time.time() - t0, 1)}
    print("domain: %d users / %.0f MB in %.0fs" % (users, total / 1e6,
                                                  info["generate_seconds"]))
    with open(marker, "w") as f:
        json.dump(info, f)
    return old, info
