# mailshift — top-level build.  One directory per program (docs/README.md);
# each has its own Makefile and this one only walks them.
#
#   make              build everything (mk.common's warnings, -Werror)
#   make check        unit + integration tests (real Dovecot and Postfix on
#                     loopback; MS_JOBS=N of them at once, default the
#                     CPUs, MS_TESTS="t-a t-b" only those: see
#                     tests/integration/run-all), and the policy daemon's
#                     layering (postfix-policy/check-layers)
#   make check-asan   the same under AddressSanitizer + UBSan
#   make check-fuzz   libFuzzer targets (clang) of the network parsers, 30 s
#                     each
#   make check-docker build the docker/ rig (old + new host, dns, store,
#                     outside), check that a login migrates a mailbox in it,
#                     and run docker/rehearse (no message lost, duplicated
#                     or badly signed); starts dockerd if needed, SKIPs
#                     where no Docker daemon can run
#   make demo         old and new Dovecot on loopback, one user migrates
#   make bench        copy and login benchmarks (bench/copy-bench, login-bench)
#   make bench-policy mailshift-policyd vs postfwd, requests/s
#   make bench-milter mailshift-milter vs OpenDKIM, signed messages/s
#   make bench-domain `sync -A` over 1,000 users vs dsync, users/minute
#   make install      install the Dovecot plugins, mailshift-policyd,
#                     mailshift-milter and their systemd units (not
#                     enabled; the other conf.d/ files are copied by hand)

export TOP := $(CURDIR)
export BUILD ?= $(TOP)/build

SUBDIRS = shared dovecot-plugin postfix-policy milter

.PHONY: all check check-unit check-integration check-asan check-fuzz \
	check-docker demo \
	install clean bench bench-policy bench-milter bench-domain

all:
	@for d in $(SUBDIRS); do $(MAKE) -C $$d all || exit 1; done

check-unit: all
	$(MAKE) -C postfix-policy check-layers
	$(MAKE) -C tests/unit check
	$(MAKE) -C tests/unit/milter check

# MS_JOBS, MS_TESTS and MS_TEST_TIMEOUT reach run-all from the environment.
check-integration: all
	BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/integration/run-all

check: check-unit check-integration

# Sanitizer build lives in its own tree so it never mixes with normal objects.
# One test at a time unless MS_JOBS says otherwise: the sanitizers slow
# every process severalfold, and the tests with wall-clock bounds were
# measured alongside others only without them.
check-asan:
	MS_JOBS=$${MS_JOBS:-1} $(MAKE) BUILD=$(TOP)/build-asan SANITIZE=1 check

# libFuzzer targets (clang), each for a bounded time.
check-fuzz:
	$(MAKE) -C postfix-policy fuzz
	$(MAKE) -C milter fuzz
	$(MAKE) -C dovecot-plugin fuzz

# Builds from the source tree inside the image, so it needs no local build.
check-docker:
	tests/docker/run

demo: all
	BUILD=$(BUILD) tests/demo/run-demo

bench: all
	bench/copy-bench
	bench/login-bench

bench-policy: all
	bench/policy-bench

bench-milter: all
	BUILD=$(BUILD) bench/milter-bench

bench-domain: all
	BUILD=$(BUILD) bench/domain-bench

# systemd units where systemd looks for packages' own (under /usr: a
# DESTDIR tree copied over a merged-/usr root must not replace its /lib
# link); not enabled (the runbook
# says when to enable which)
SYSTEMD_UNITDIR ?= /usr/lib/systemd/system
UNITS = mailshift-sync.service mailshift-sync.timer \
	mailshift-policyd.service mailshift-milter.service \
	mailshift-scan-log.service

install: all
	@for d in $(SUBDIRS); do $(MAKE) -C $$d install || exit 1; done
	install -d $(DESTDIR)$(SYSTEMD_UNITDIR)
	for u in $(UNITS); do \
		install -m 0644 conf.d/$$u $(DESTDIR)$(SYSTEMD_UNITDIR)/ || exit 1; \
	done

clean:
	rm -rf $(TOP)/build $(TOP)/build-asan
