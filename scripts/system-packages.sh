#!/bin/sh
# Installs the Debian packages the app needs ("run"), the app and its tests need ("test"), or the app and
# its benchmark need ("bench": espeak-ng speaks the speech that bench/evaluate.py must not match).
# Does nothing when they are all present already, so it also works for users who are not root.
set -eu

RUN_PACKAGES="ffmpeg libmariadb-dev pkg-config build-essential python3-venv python3-dev libpulse-mainloop-glib0
  libportaudio2 libasound2-plugins
  libgl1 libegl1 libglib2.0-0 libfontconfig1 libfreetype6 libx11-6 libxext6 libdbus-1-3
  libxkbcommon0 libxkbcommon-x11-0 libx11-xcb1 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0"
TEST_PACKAGES="mariadb-server mariadb-plugin-rocksdb mariadb-plugin-spider xvfb pulseaudio pulseaudio-utils"
BENCH_PACKAGES="mariadb-server espeak-ng"

case "${1:-run}" in
  run) wanted="$RUN_PACKAGES" ;;
  test) wanted="$RUN_PACKAGES $TEST_PACKAGES" ;;
  bench) wanted="$RUN_PACKAGES $BENCH_PACKAGES" ;;
  *) echo "usage: $0 [run|test|bench]" >&2; exit 2 ;;
esac

missing=""
for package in $wanted; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages:$missing" >&2
  echo "Install them as root: apt-get install -y$missing" >&2
  exit 1
fi
echo "Installing system packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Debian's packaging must not start the MariaDB service: the tests start their own throwaway server.
apt-get install -y -q --no-install-recommends $missing
