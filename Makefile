# relay: build, install and uninstall.
#
#   make                        a release build, the Swift runtime linked in (runs without the toolchain)
#   make install PREFIX=/usr/local [DESTDIR=...]
#   make uninstall PREFIX=/usr/local
#   make man                    regenerate man/relay*.1 from the commands' own help
#
# Installs the binary, the man pages (relay(1), relay-serve(1), relay-connect(1),
# relay-bridge(1), relay(7)), bash, zsh and fish completions in their standard
# folders, and example systemd units in share/doc/relay/systemd.

PREFIX ?= /usr/local
DESTDIR ?=
SCRATCH ?= .build-static

BINDIR := $(DESTDIR)$(PREFIX)/bin
MAN1DIR := $(DESTDIR)$(PREFIX)/share/man/man1
MAN7DIR := $(DESTDIR)$(PREFIX)/share/man/man7
BASHDIR := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHDIR := $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHDIR := $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
UNITDIR := $(DESTDIR)$(PREFIX)/share/doc/relay/systemd

PAGES1 := relay.1 relay-serve.1 relay-connect.1 relay-bridge.1
UNITS := relay-serve.service relay-bridge@.service relay-bot@.service relay-announce@.service
BINARY := $(SCRATCH)/release/relay

.PHONY: all install uninstall man

all: $(BINARY)

# --static-swift-stdlib: the Swift runtime goes into the binary, so it runs
# where no toolchain is (readline and OpenSSL stay the system's shared libraries).
$(BINARY): Package.swift $(shell find Sources -type f)
	swift build -c release --static-swift-stdlib --scratch-path $(SCRATCH) --product relay

install: $(BINARY)
	install -d $(BINDIR) $(MAN1DIR) $(MAN7DIR) $(BASHDIR) $(ZSHDIR) $(FISHDIR) $(UNITDIR)
	install -m 0755 $(BINARY) $(BINDIR)/relay
	for page in $(PAGES1); do install -m 0644 man/$$page $(MAN1DIR)/$$page; done
	install -m 0644 man/relay.7 $(MAN7DIR)/relay.7
	install -m 0644 completions/relay.bash $(BASHDIR)/relay
	install -m 0644 completions/_relay $(ZSHDIR)/_relay
	install -m 0644 completions/relay.fish $(FISHDIR)/relay.fish
	for unit in $(UNITS); do \
		sed 's#/usr/local/bin/relay#$(PREFIX)/bin/relay#' scripts/systemd/$$unit > $(UNITDIR)/$$unit; \
		chmod 0644 $(UNITDIR)/$$unit; \
	done

uninstall:
	rm -f $(BINDIR)/relay $(MAN7DIR)/relay.7 $(BASHDIR)/relay $(ZSHDIR)/_relay $(FISHDIR)/relay.fish
	for page in $(PAGES1); do rm -f $(MAN1DIR)/$$page; done
	for unit in $(UNITS); do rm -f $(UNITDIR)/$$unit; done
	-rmdir $(UNITDIR) $(DESTDIR)$(PREFIX)/share/doc/relay 2>/dev/null

man:
	bash scripts/generate-manuals.sh
