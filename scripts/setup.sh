#!/usr/bin/env bash
# Installs what building and testing Ponder needs and is missing: the system libraries of the Tauri
# window (WebKitGTK, GTK), Xvfb for the window's tests, and the window's npm packages. Safe to rerun:
# it only installs what is absent. Debian/Ubuntu; elsewhere, see the README's prerequisites.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
need_lib() { pkg-config --exists "$1" 2>/dev/null || packages+=("$2"); }
need_cmd() { command -v "$1" >/dev/null 2>&1 || packages+=("$2"); }
need_cmd pkg-config pkg-config
need_lib webkit2gtk-4.1 libwebkit2gtk-4.1-dev
need_lib gtk+-3.0 libgtk-3-dev
need_lib libsoup-3.0 libsoup-3.0-dev
need_lib librsvg-2.0 librsvg2-dev
need_lib ayatana-appindicator3-0.1 libayatana-appindicator3-dev
[ -f /usr/include/xdo.h ] || packages+=(libxdo-dev)
need_cmd Xvfb xvfb
need_cmd xauth xauth
need_cmd dbus-daemon dbus
# A real Secret Service for the tests of server keys kept in the OS keychain.
need_cmd gnome-keyring-daemon gnome-keyring
need_cmd kill procps
need_cmd WebKitWebDriver webkit2gtk-driver
need_cmd import imagemagick
# A font with Chinese glyphs: without one the 简体中文 window shows boxes (fontconfig has no fallback).
command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ] || packages+=(fonts-noto-cjk fontconfig)

if [ ${#packages[@]} -gt 0 ]; then
  echo "installing system packages: ${packages[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi

# WebDriver in front of the app for the end-to-end tests (~1 min to build).
if ! command -v tauri-driver >/dev/null 2>&1 && ! [ -x "$HOME/.cargo/bin/tauri-driver" ]; then
  cargo install tauri-driver --version '^2' --locked
fi

# The window's packages; reinstalled only when the lock file changed since the last install.
cd ui
if ! [ -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.ponder-installed-lock; then
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.ponder-installed-lock
fi
