#!/usr/bin/python3
"""The mailshift demo (see run-demo)."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import corpus       # noqa: E402
import imapcompare  # noqa: E402
import rig          # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(os.path.dirname(__file__),
                                             "..", "..", "build"))
BULK = int(os.environ.get("MS_DEMO_MESSAGES", "3000"))


def say(text):
    print("\n\033[1m==> %s\033[0m" % text, flush=True)


def main():
    root = tempfile.mkdtemp(prefix="mailshift-demo.")
    os.chmod(root, 0o755)
    try:
        say("starting the OLD server (Courier-style: INBOX.Sent, '.' "
            "separator, \"Sent Items\")")
        old = rig.Dovecot(root, "old", layout="courier",
                          special_use=corpus.ALT_SPECIAL_USE).start()
        conn = old.connect("alice")
        corpus.fill_quick(conn, prefix="INBOX.", sep=".", seed=1,
                          special=corpus.ALT_SPECIAL_USE)
        # an Outlook-era server: sent mail lives in "Sent Items"
        folders = tuple(("Sent Items" if f == "Sent" else f, w)
                        for f, w in corpus.BULK_FOLDERS)
        corpus.fill_bulk(conn, BULK, seed=7, prefix="INBOX.", sep=".",
                         folders=folders)
        conn.close()
        with old.connect("alice") as c:
            print("alice has %d folders on the old server (port %d)"
                  % (len(c.list()), old.port))

        state = os.path.join(root, "state")
        os.makedirs(state)
        os.chmod(state, 0o1777)
        pwfile = os.path.join(root, "master.pass")
        with open(pwfile, "w") as f:
            f.write(old.master_user[1] + "\n")
        os.chmod(pwfile, 0o600)

        say("starting the NEW server with the mailshift plugin")
        new = rig.Dovecot(root, "new", plugin_dir=os.path.join(BUILD,
                                                               "modules"),
                          extra_conf="""
protocol doveadm {
  mail_fsync = never
}
plugin {
  mailshift_source_host = 127.0.0.1
  mailshift_source_port = %d
  mailshift_source_tls = no
  mailshift_source_master_user = %s
  mailshift_source_password_file = %s
  mailshift_source_prefix = INBOX.
  mailshift_store = sqlite:%s/state.db
  mailshift_state_dir = %s
}
""" % (old.port, old.master_user[0], pwfile, state, state)).start()

        say("doveadm mailshift sync -u alice")
        t0 = time.time()
        subprocess.run(new.doveadm_argv("mailshift", "sync", "-u", "alice"),
                       check=True, env=new.doveadm_env())
        secs = time.time() - t0
        say("doveadm mailshift status -u alice")
        subprocess.run(new.doveadm_argv("mailshift", "status", "-u",
                                        "alice"),
                       check=True, env=new.doveadm_env())

        say("comparing old and new over IMAP: folders, subscriptions, "
            "UIDVALIDITY, UIDs, flags, INTERNALDATE, bytes")
        res = imapcompare.compare(old.connect("alice"), new.connect("alice"))
        print(res.report())
        if not res.ok:
            return 1
        say("alice's mailbox migrated in %.1f s: a client pointed at the "
            "new server keeps its cache" % secs)

        say("meanwhile on the old server: a message is flagged, one is "
            "deleted, one arrives; the next pass brings just that")
        c = old.imap_client("alice")
        c.select("INBOX")
        first = c.uid("SEARCH", None, "ALL")[1][0].split()[:2]
        c.uid("STORE", first[0].decode(), "+FLAGS", "(\\Flagged)")
        c.uid("STORE", first[1].decode(), "+FLAGS", "(\\Deleted)")
        c.uid("EXPUNGE", first[1].decode())
        c.append("INBOX", None, None,
                 b"From: demo@example.com\r\nSubject: late mail\r\n"
                 b"Message-ID: <late@demo.mailshift>\r\n\r\nhello\r\n")
        c.logout()
        subprocess.run(new.doveadm_argv("mailshift", "sync", "-u", "alice"),
                       check=True, env=new.doveadm_env())
        res = imapcompare.compare(old.connect("alice"), new.connect("alice"))
        print(res.report())
        if not res.ok:
            return 1
        say("and a pass when nothing changed opens no folder at all")
        subprocess.run(new.doveadm_argv("mailshift", "sync", "-u", "alice"),
                       check=True, env=new.doveadm_env())
        return 0
    finally:
        # rig stops its servers at exit; the temp dir goes now
        if os.environ.get("MS_DEMO_KEEP"):
            print("kept %s" % root)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
