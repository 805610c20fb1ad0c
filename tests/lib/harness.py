"""The one driver every integration test runs under (stdlib only).

    import harness
    from harness import check

    def main(tmp):                     # a fresh temp dir of its own
        d = rig.Dovecot(tmp, "old").start()     # tracked: stopped at the end
        check(d.port > 0, "it listens")

    harness.run("t-name", main)        # PASS/FAIL t-name (N.Ns), exit code

run() gives the body a fresh temp dir, catches a failure (TestFailure from
check() or any other exception) and prints its traceback, stops every
instance still running, newest first, also when the test failed, removes
the temp dir (MS_KEEP_TMP=1 keeps it) and prints the one verdict line
tests/integration/run-all looks for: "PASS name (N.Ns)" or "FAIL name
(N.Ns)", exit 0 or 1.  skip(name, why) prints "SKIP name: why", exit 0.

The rigs (rig.Dovecot, foreign servers, Postfix, mailshift-policyd,
PostgreSQL, the milter, unbound ...) track() what they start and
untrack() what they stop: one registry, so that run() (or, outside run(),
the interpreter's exit and SIGTERM) stops them all.
"""
import atexit
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback


class TestFailure(AssertionError):
    pass


_soft_failures = []


def check(cond, what, detail=None):
    """Assert one line of the specification; prints it when it holds,
    stops the test when it does not."""
    if not cond:
        msg = what
        if detail is not None:
            msg += "\n" + str(detail)
        raise TestFailure(msg)
    print("  ok: " + what, flush=True)


def expect(cond, what, detail=None):
    """Like check(), but the test goes on (and fails at the end), so that
    one report shows every line of the specification that does not hold."""
    if cond:
        print("  ok: " + what, flush=True)
        return True
    print("  NOT OK: " + what + ("\n" + str(detail) if detail is not None
                                 else ""), flush=True)
    _soft_failures.append(what)
    return False


# -- the registry ----------------------------------------------------------

_live = []              # [(instance, its stop function)], oldest first
_cleanups = []


def track(obj, stop=None):
    """obj is running: stop it (obj.stop(), or stop()) when the test ends,
    unless untrack(obj) comes first.  Tracking twice is once."""
    if not any(o is obj for o, _ in _live):
        _live.append((obj, stop or obj.stop))
    install_signal_handlers()
    return obj


def untrack(obj):
    """obj stopped by itself (its stop() says so)."""
    _live[:] = [(o, s) for o, s in _live if o is not obj]


def live():
    """The instances running, oldest first."""
    return [o for o, _ in _live]


def on_cleanup(fn):
    """fn(failed) runs when run() ends, newest first, before the tracked
    instances are stopped and the temp dir goes: what a rig started and
    did not track (threads, log feeds, proxies) stops there, and it shows
    its logs when the test failed."""
    _cleanups.append(fn)


def _stop_everything(failed, strict):
    """The clean-ups, then every tracked instance, newest first.  strict
    (the test has passed so far): the first clean-up or stop that fails
    (a sanitizer report in a daemon's log) raises and fails the test; the
    rest is left to the non-strict pass, which prints what fails and goes
    on."""
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn(failed)
        except Exception:
            if strict:
                raise
            traceback.print_exc()
    while _live:
        obj, stop = _live.pop()
        try:
            stop()
        except Exception:
            if strict:
                raise
            traceback.print_exc()


def stop_all():
    """Stops every tracked instance, newest first (benches, and what a
    test must stop before its own end)."""
    _stop_everything(True, strict=False)


atexit.register(stop_all)


def _on_term(signum, frame):
    sys.exit(128 + signum)          # runs finally blocks and atexit


def install_signal_handlers():
    """SIGTERM (run-all's timeout) and SIGINT (also when inherited as
    ignored, as in background jobs) unwind the test, so that the tracked
    instances are stopped instead of left running."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_term)
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, _on_term)


# -- running a test ----------------------------------------------------------

def run(name, body, *, setup=None, after=None, on_failure=None):
    """Runs body(setup(tmp)) -- body(tmp) without setup -- in a fresh temp
    dir, then after(same) if body returned (checks every test of a kind
    ends with); on a failure prints the traceback, then on_failure(same)
    if setup succeeded (the logs that tell why).  Prints the verdict and
    exits: never returns."""
    install_signal_handlers()
    tmp = tempfile.mkdtemp(prefix="ms-%s-" % name)
    t0 = time.time()
    ok = False
    subject = None
    ready = False
    try:
        subject = setup(tmp) if setup else tmp
        ready = True
        body(subject)
        if after:
            after(subject)
        if _soft_failures:
            raise TestFailure("%d expectation(s) failed: %s"
                              % (len(_soft_failures),
                                 "; ".join(_soft_failures)))
        _stop_everything(False, strict=True)
        ok = True
    except Exception:
        traceback.print_exc()
        if on_failure and ready:
            try:
                on_failure(subject)
            except Exception:
                traceback.print_exc()
    finally:
        _stop_everything(not ok, strict=False)
        if os.environ.get("MS_KEEP_TMP") == "1":
            print("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    finish(name, t0, ok)


def finish(name, t0, ok):
    """The verdict run-all looks for (PASS/FAIL name), and the exit code."""
    print("%s %s (%.1fs)" % ("PASS" if ok else "FAIL", name,
                             time.time() - t0), flush=True)
    sys.exit(0 if ok else 1)


def skip(name, why):
    """The test does not apply to this build or host: run-all counts it
    as skipped (exit 0, "SKIP name: why")."""
    print("SKIP %s: %s" % (name, why), flush=True)
    sys.exit(0)
