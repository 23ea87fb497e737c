# kttcp for Linux: top-level Makefile.
#
#   make                the tool (userland/kttcp) and the module for KDIR
#   make tool           the tool only
#   make module         the module only (Kbuild, module/Kbuild)
#   make check          all tests: unit tests here, module tests in VMs
#   make demo           build, boot the lab, compare the send modes
#   make bench          the full benchmark (scripts/bench)
#   make install        tool, man pages, completion under PREFIX/DESTDIR
#   make modules_install  the module, through Kbuild
#   make uninstall
#
# KDIR defaults to the running kernel's headers.  W=1 is passed through
# to Kbuild for the extra warnings.

KVER	?= $(shell uname -r)
KDIR	?= /lib/modules/$(KVER)/build
PREFIX	?= /usr/local
DESTDIR	?=

TESTS_CFLAGS := -O2 -g -Wall -Wextra

.PHONY: all tool module tests check demo bench install modules_install \
	uninstall clean kdir-check

all: tool module

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

tests: tests/ioctl_test

tests/ioctl_test: tests/ioctl_test.c include/kttcp.h
	$(CC) $(TESTS_CFLAGS) -o $@ $<

check: tool tests
	scripts/check

demo: tool
	scripts/demo

bench: tool
	scripts/bench

install: tool
	$(MAKE) -C userland install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

modules_install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module modules_install

uninstall:
	$(MAKE) -C userland uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

clean:
	$(MAKE) -C userland clean
	-[ -f "$(KDIR)/Makefile" ] && $(MAKE) -C $(KDIR) M=$(CURDIR)/module clean
	rm -f tests/ioctl_test
	rm -rf build
