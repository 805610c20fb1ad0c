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
import imapwire     # noqa: E402
import mstest       # noqa: E402

BULK = int(os.environ.get("MS_DEMO_MESSAGES", "3000"))


def say(text):
    print("\n\033[1m==> %s\033[0m" % text, flush=True)


def doveadm(m, *args):
    subprocess.run(m.new.doveadm_argv(*args), check=True,
                   env=m.new.doveadm_env())


def compare(m):
    say("comparing old and new over IMAP: folders, subscriptions, "
        "UIDVALIDITY, UIDs, flags, INTERNALDATE, bytes")
    res = imapcompare.compare(m.old.connect("alice"), m.new.connect("alice"))
    print(res.report())
    return res.ok


def watch_first_login(m):
    """alice logs in to the NEW server; watch her mailbox arrive."""
    say("alice points her mail client at the NEW server and logs in")
    c = imapwire.Conn("127.0.0.1", m.new.port)
    t0 = time.time()
    c.login("alice", m.new.users["alice"])
    print("LOGIN OK after %.0f ms -- the migration runs in the background"
          % ((time.time() - t0) * 1000))
    c.logout()
    say("what `doveadm mailshift status` and her INBOX show meanwhile")
    while True:
        st = m.status()
        with m.new.connect("alice") as view:
            inbox = view.select("INBOX").get("EXISTS", 0)
        print("  %-8s folders %-7s messages %-11s INBOX shows %d"
              % (st["state"], "%s/%s" % (st["folders_done"],
                                         st["folders_total"]),
                 "%s/%s" % (st["messages_done"], st["messages_total"]),
                 inbox), flush=True)
        if st["state"] in ("synced", "failed"):
            return st["state"] == "synced", time.time() - t0
        time.sleep(0.3)


def main():
    root = tempfile.mkdtemp(prefix="mailshift-demo.")
    os.chmod(root, 0o755)
    try:
        say("starting the OLD server (Courier-style: INBOX.Sent, '.' "
            "separator, \"Sent Items\")")
        m = mstest.Migration(root)
        conn = m.old.connect("alice")
        corpus.fill_quick(conn, prefix="INBOX.", sep=".", seed=1,
                          special=corpus.ALT_SPECIAL_USE)
        # an Outlook-era server: sent mail lives in "Sent Items"
        folders = tuple(("Sent Items" if f == "Sent" else f, w)
                        for f, w in corpus.BULK_FOLDERS)
        corpus.fill_bulk(conn, BULK, seed=7, prefix="INBOX.", sep=".",
                         folders=folders)
        conn.close()
        with m.old.connect("alice") as c:
            print("alice has %d folders on the old server (port %d)"
                  % (len(c.list()), m.old.port))

        say("starting the NEW server with the mailshift plugin: logins "
            "start passes (conf.d/90-mailshift.conf)")
        # every login may start a delta pass, so the demo need not wait
        # no Postfix here: nothing on the old host caches "deliver
        # locally", so the cutover's wait (35 s for Postfix's resolver
        # cache on a real old host) is cut short
        m.start_new_login(delta_interval="0", cutover_settle="5s",
                          extra_conf="protocol doveadm {\n"
                          "  mail_fsync = never\n}\n")

        ok, secs = watch_first_login(m)
        if not ok or not compare(m):
            return 1
        say("alice's mailbox migrated in %.1f s: a client pointed at the "
            "new server keeps its cache" % secs)

        say("meanwhile on the old server: a message is flagged, one is "
            "deleted, one arrives; her next login brings just that")
        c = m.old.imap_client("alice")
        c.select("INBOX")
        first = c.uid("SEARCH", None, "ALL")[1][0].split()[:2]
        c.uid("STORE", first[0].decode(), "+FLAGS", "(\\Flagged)")
        c.uid("STORE", first[1].decode(), "+FLAGS", "(\\Deleted)")
        c.uid("EXPUNGE", first[1].decode())
        c.append("INBOX", None, None,
                 b"From: demo@example.com\r\nSubject: late mail\r\n"
                 b"Message-ID: <late@demo.mailshift>\r\n\r\nhello\r\n")
        c.logout()
        before = m.status()["finished"]
        m.new.connect("alice").logout()
        mstest.wait_until(lambda: m.status()["finished"] != before, 60,
                          interval=0.2)
        doveadm(m, "mailshift", "status", "-u", "alice")
        if not compare(m):
            return 1

        say("cutover: the old host holds alice's mail (final-sync), waits "
            "until no cache there can still deliver locally (5 s here, 35 s "
            "beside a real Postfix), the last pass runs and every folder is "
            "verified, she is migrated")
        doveadm(m, "mailshift", "cutover", "-u", "alice")
        doveadm(m, "mailshift", "status", "-A")
        return 0
    finally:
        # rig stops its servers at exit; the temp dir goes now
        if os.environ.get("MS_DEMO_KEEP"):
            print("kept %s" % root)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
