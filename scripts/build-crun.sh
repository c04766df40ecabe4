#!/bin/sh
# Build crun from its release tarball (as Debian ships it: scripts/build-oracles.mjs crun downloads it
# and checks its pinned SHA-256) into sysgate's oracle cache and print the binary's path. The cache
# directory is keyed by the tarball's SHA-256, so a changed tarball builds again and an unchanged one
# is reused:
#   ${SYSGATE_ORACLE_CACHE:-$HOME/.cache/sysgate/oracles}/crun-VERSION-SHA12/bin/crun
# Needs the Debian packages listed in scripts/system-packages.txt (autoconf, automake, libtool,
# pkg-config, gperf, python3, libyajl-dev, libcap-dev, libseccomp-dev). crun links the host's
# libseccomp (Debian 12: 2.5.4); its filter generation is libseccomp's, crun only feeds it rules.
#
# Configured with --disable-systemd (sysgate runs crun with cgroupfs), --disable-criu, static libcrun;
# only libocispec's library and the crun binary are built (no man pages, no tests), with Debian's
# libyajl-dev rather than the yajl the tarball embeds.
#
# Usage: scripts/build-crun.sh TARBALL VERSION SHA256   (SYSGATE_JOBS sets make -j, default 2)
set -eu
tarball=$1 version=$2 want=$3
got=$(sha256sum "$tarball" | awk '{print $1}')
[ "$got" = "$want" ] || { echo "build-crun: $tarball has SHA-256 $got, expected $want" >&2; exit 2; }

cache=${SYSGATE_ORACLE_CACHE:-$HOME/.cache/sysgate/oracles}
dest=$cache/crun-$version-$(echo "$want" | cut -c1-12)
if [ -x "$dest/bin/crun" ] && "$dest/bin/crun" --version >/dev/null 2>&1; then
  echo "$dest/bin/crun"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.build-crun-XXXXXX")
trap 'rm -rf "$work"' EXIT
jobs=${SYSGATE_JOBS:-2}
start=$(date +%s)
log=$work/build.log
(
  cd "$work"
  tar -xaf "$tarball"
  cd "crun-$version"
  # libocispec's embedded yajl is not vendored (Debian's libyajl-dev is used, as without
  # --enable-embedded-yajl), so its build must not descend into yajl/.
  sed -i 's/^DIST_SUBDIRS = yajl$/DIST_SUBDIRS =/; s/^SUBDIRS = yajl$/SUBDIRS =/' libocispec/Makefile.am
  sed -i '/^AC_CONFIG_SUBDIRS(\[yajl\])$/d; /^AM_EXTRA_RECURSIVE_TARGETS(\[yajl\])$/d' libocispec/configure.ac
  mkdir -p m4 libocispec/m4
  autoreconf -fi
  PYTHON=python3 ./configure --disable-systemd --disable-criu --disable-shared --disable-dependency-tracking
  make -j"$jobs" -C libocispec libocispec.la
  make -j"$jobs" git-version.h .version
  make -j"$jobs" crun
  ./crun --version
) >"$log" 2>&1 || { tail -40 "$log" >&2; echo "build-crun: build failed (log above)" >&2; exit 3; }

mkdir -p "$work/out/bin"
cp "$work/crun-$version/crun" "$work/out/bin/crun"
echo "$(basename "$tarball") sha256 $want" > "$work/out/SOURCES"
echo "$(($(date +%s) - start))" > "$work/out/build-seconds"
echo "make -j$jobs" > "$work/out/build-jobs"
rm -rf "$dest"
mv "$work/out" "$dest"
echo "build-crun: crun $version built in $(($(date +%s) - start)) s" >&2
echo "$dest/bin/crun"
