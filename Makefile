# kttcp for Linux: top-level Makefile.
#
#   make                the tool (userland/kttcp) and the module for KDIR
#   make tool           the tool only
#   make module         the module only (Kbuild, module/Kbuild)
#   make check          all tests: unit tests here, module tests in VMs
#   make demo           build, boot the lab, compare the send modes
#   make bench          the full benchmark (scripts/bench)
#   make mutants        deliberate breakages make check must catch
#                       (scripts/mutants; 38 minutes, not in check: make
#                       check only verifies tests/mutants.out is current)
#   make install        tool, man pages, completion under PREFIX/DESTDIR
#   make uninstall      remove what make install installed
#   make modules_install  the module, through Kbuild, to
#                       DESTDIR/lib/modules/KVER/extra (then depmod)
#   make modules_uninstall
#   make install-udev   the udev rule giving group kttcp /dev/kttcp
#                       (DESTDIR/etc/udev/rules.d; not part of install)
#   make uninstall-udev
#   make dkms-src       module sources + dkms.conf to DESTDIR/usr/src/kttcp-V
#   make dkms-install   dkms-src, then dkms add/build/install (root)
#   make dkms-uninstall dkms remove --all, then remove the sources
#
# KDIR defaults to the running kernel's headers.  W=1 is passed through
# to Kbuild for the extra warnings.

KVER	?= $(shell uname -r)
KDIR	?= /lib/modules/$(KVER)/build
PREFIX	?= /usr/local
DESTDIR	?=
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UDEVRULESDIR ?= /etc/udev/rules.d
INSTALL_MOD_DIR ?= extra
INSTALL	?= install

# The module's version (also dkms.conf's PACKAGE_VERSION).
VERSION	:= $(shell sed -n 's/^.define[[:space:]]*KTTCP_MODULE_VERSION[[:space:]]*"\(.*\)".*/\1/p' module/kttcp.h)
DKMS_SRC ?= /usr/src/kttcp-$(VERSION)
MODDST	= $(DESTDIR)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)
DKMS_FILES := $(wildcard module/Kbuild module/*.c module/*.h) include/kttcp.h

TESTS_CFLAGS := -O2 -g -Wall -Wextra

.PHONY: deps all tool module tests check demo bench mutants install modules_install \
	uninstall modules_uninstall install-udev uninstall-udev dkms-src \
	dkms-install dkms-uninstall clean kdir-check

all: tool module

# What the lab, the tests and the benchmark need (apt-get, as root).
deps:
	scripts/deps >/dev/null

tool:
	$(MAKE) -C userland

kdir-check:
	@if [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "make: no kernel headers at $(KDIR)" >&2; \
		echo "  for the running kernel: apt-get install linux-headers-$(KVER)" >&2; \
		echo "  for another kernel:     make KDIR=/lib/modules/RELEASE/build" >&2; \
		echo "  for the tool only:      make tool" >&2; \
		exit 2; \
	fi

module: kdir-check
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module modules

tests: tests/ioctl_test tests/hostile tests/burst tests/fuzz tests/failnth

tests/ioctl_test: tests/ioctl_test.c tests/lib/ktest.c tests/lib/ktest.h include/kttcp.h
	$(CC) $(TESTS_CFLAGS) -o $@ tests/ioctl_test.c tests/lib/ktest.c

tests/hostile: tests/hostile.c tests/lib/ktest.c tests/lib/ktest.h include/kttcp.h
	$(CC) $(TESTS_CFLAGS) -o $@ tests/hostile.c tests/lib/ktest.c

tests/burst: tests/burst.c tests/lib/ktest.c tests/lib/ktest.h include/kttcp.h
	$(CC) $(TESTS_CFLAGS) -o $@ tests/burst.c tests/lib/ktest.c

tests/fuzz: tests/fuzz.c tests/lib/ktest.c tests/lib/ktest.h include/kttcp.h
	$(CC) $(TESTS_CFLAGS) -pthread -o $@ tests/fuzz.c tests/lib/ktest.c

tests/failnth: tests/failnth.c include/kttcp.h
	$(CC) $(TESTS_CFLAGS) -o $@ $<

check: deps tool tests
	scripts/check

demo: deps tool
	scripts/demo

bench: deps tool
	scripts/bench

# The lab self-test it runs boots every kernel of make check.
mutants: tool tests
	scripts/deps all >/dev/null
	scripts/mutants

# Files install puts in place, relative to DESTDIR; uninstall removes
# exactly these.  tests/install.sh checks both.
install: tool
	$(MAKE) -C userland install PREFIX=$(PREFIX) BINDIR=$(BINDIR) DESTDIR=$(DESTDIR)
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man4 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 0644 man/kttcp.4 $(DESTDIR)$(MANDIR)/man4/kttcp.4
	$(INSTALL) -m 0644 man/kttcp.8 $(DESTDIR)$(MANDIR)/man8/kttcp.8
	$(INSTALL) -m 0644 completion/kttcp.bash $(DESTDIR)$(BASHCOMPDIR)/kttcp

uninstall:
	$(MAKE) -C userland uninstall PREFIX=$(PREFIX) BINDIR=$(BINDIR) DESTDIR=$(DESTDIR)
	rm -f $(DESTDIR)$(MANDIR)/man4/kttcp.4 $(DESTDIR)$(MANDIR)/man8/kttcp.8 \
		$(DESTDIR)$(BASHCOMPDIR)/kttcp

# Kbuild's own install: DESTDIR/lib/modules/KVER/INSTALL_MOD_DIR/kttcp.ko
# (.ko.xz where the kernel compresses its modules).  Kbuild skips depmod
# without a System.map in KDIR (Debian's headers have none), so depmod
# runs here: on the live system, or on a DESTDIR holding a whole
# lib/modules/KVER tree (otherwise the packager's postinst does it).
DEPMOD_CMD = if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); \
	elif [ -e $(DESTDIR)/lib/modules/$(KVER)/modules.order ]; then \
		depmod -a -b $(DESTDIR) $(KVER); fi

modules_install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	$(DEPMOD_CMD)

modules_uninstall:
	rm -f $(MODDST)/kttcp.ko $(MODDST)/kttcp.ko.gz $(MODDST)/kttcp.ko.xz \
		$(MODDST)/kttcp.ko.zst
	$(DEPMOD_CMD)

install-udev:
	$(INSTALL) -d $(DESTDIR)$(UDEVRULESDIR)
	$(INSTALL) -m 0644 contrib/udev/60-kttcp.rules $(DESTDIR)$(UDEVRULESDIR)/60-kttcp.rules
	@echo "install-udev: members of group kttcp may now use /dev/kttcp once the"
	@echo "  group exists (groupadd --system kttcp) and udev has reloaded its rules"
	@echo "  (udevadm control --reload; udevadm trigger /sys/class/misc/kttcp)"

uninstall-udev:
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-kttcp.rules

# DKMS: the sources in the layout dkms.conf describes.
dkms-src:
	@[ -n "$(VERSION)" ] || { echo "dkms-src: no KTTCP_MODULE_VERSION in module/kttcp.h" >&2; exit 2; }
	$(INSTALL) -d $(DESTDIR)$(DKMS_SRC)/module $(DESTDIR)$(DKMS_SRC)/include
	$(INSTALL) -m 0644 dkms.conf $(DESTDIR)$(DKMS_SRC)/dkms.conf
	$(INSTALL) -m 0644 $(filter module/%,$(DKMS_FILES)) $(DESTDIR)$(DKMS_SRC)/module/
	$(INSTALL) -m 0644 include/kttcp.h $(DESTDIR)$(DKMS_SRC)/include/

dkms-install: dkms-src
	dkms status -m kttcp -v $(VERSION) | grep -q . || dkms add -m kttcp -v $(VERSION)
	dkms build -m kttcp -v $(VERSION) -k $(KVER)
	dkms install -m kttcp -v $(VERSION) -k $(KVER)

dkms-uninstall:
	-dkms remove -m kttcp -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

clean:
	$(MAKE) -C userland clean
	-[ -f "$(KDIR)/Makefile" ] && $(MAKE) -C $(KDIR) M=$(CURDIR)/module clean
	rm -f tests/ioctl_test tests/hostile tests/burst tests/fuzz tests/failnth
	rm -rf build
