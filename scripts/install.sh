#!/usr/bin/env bash
# Set up gridsight on a Debian 12 machine (root, Python 3.11, no display needed):
# system packages, the .venv with the app, local web assets, translations and the demo city.
# Idempotent: every step is skipped when its result is already up to date.
set -Eeuo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
LEAFLET_VERSION=1.9.4
GEOMAN_VERSION=2.20.2  # @geoman-io/leaflet-geoman-free: drawing and vertex editing in the grid editor
LEAFLET_HEAT_VERSION=0.2.0  # heat maps of incidents on the map (console and wall)

step() { printf '[install] %s\n' "$*"; }
fail() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'fail "step failed at line $LINENO: $BASH_COMMAND"' ERR

# QtWebEngine runtime (see shared PLATFORM.md), a CJK font, Xvfb for a window without a display,
# ffmpeg for the video benchmark and gdal-bin for checking stores with ogrinfo.
APT_PACKAGES=(
  libasound2 libbrotli1 libdbus-1-3 libdrm2 libegl1 libfontconfig1 libfreetype6 libgbm1 libgl1
  libglib2.0-0 libnspr4 libnss3 libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-dri3-0 libxcb-glx0
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0
  libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1 libxcomposite1
  libxdamage1 libxext6 libxfixes3 libxkbcommon0 libxkbcommon-x11-0 libxkbfile1 libxrandr2 libxtst6
  python3-venv fonts-wqy-microhei xvfb xauth ffmpeg gdal-bin
  # A real RTSP server on loopback for the demo streams and the video tests (run by the system python3).
  gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-x  # -x: textoverlay (camera name, clock)
  # OpenCV's pedestrian sample footage (examples/data/vtest.avi) for the person-detection tests.
  opencv-doc
  # The multi-seat store: PostgreSQL 15 + PostGIS 3 (the tests start a throwaway cluster of their own).
  postgresql-15 postgresql-15-postgis-3
)
command -v npm >/dev/null || APT_PACKAGES+=(nodejs npm)

install_system_packages() {
  local installed missing
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${APT_PACKAGES[@]}" 2>/dev/null \
    | awk '$2 == "ii" {print $1}' || true)
  missing=$(comm -23 <(printf '%s\n' "${APT_PACKAGES[@]}" | sort -u) <(printf '%s\n' "$installed" | sort -u))
  if [[ -z $missing ]]; then
    step "system packages: all present"
    return
  fi
  [[ $(id -u) -eq 0 ]] || fail "missing system packages (run as root to install them): $(echo $missing)"
  step "system packages: installing $(echo $missing)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086  # one word per package
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

find_python() {
  local candidate
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "$candidate"
      return
    fi
  done
  fail "Python >= 3.11 not found on PATH"
}

install_python_packages() {
  if [[ ! -x .venv/bin/python ]]; then
    step "virtual environment: creating .venv"
    "$(find_python)" -m venv .venv
  fi
  # Reinstall only when the declared dependencies change (or the entry point is missing).
  local stamp=.venv/.gridsight-pyproject.sha256 wanted
  wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [[ -x .venv/bin/gridsight && -f $stamp && $(cat "$stamp") == "$wanted" ]]; then
    step "python packages: up to date"
    return
  fi
  step "python packages: pip install -e '.[test]'"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]' \
    || fail "pip install failed"
  echo "$wanted" >"$stamp"
}

install_npm_files() {
  # Files (or folders) of one npm package into resources/web/vendor/NAME, fetched once per version,
  # so the map page never needs the internet at run time: npm pack gives the published tarball
  # without installing anything.
  local name=$1 package=$2 version=$3 tarball=$4
  shift 4
  local target=resources/web/vendor/$name stamp=resources/web/vendor/$name/VERSION tmp log file
  if [[ -f $stamp && $(cat "$stamp") == "$version" ]]; then
    step "web assets: $package $version present"
    return
  fi
  command -v npm >/dev/null || fail "npm not found; it is needed once to fetch $package"
  step "web assets: fetching $package $version"
  tmp=$(mktemp -d)
  if ! log=$(npm pack --silent --pack-destination "$tmp" "$package@$version" 2>&1); then
    printf '%s\n' "$log" >&2
    fail "npm pack $package@$version failed (is the npm registry reachable?)"
  fi
  tar -xzf "$tmp/$tarball" -C "$tmp" "${@/#/package/}"
  rm -rf "$target"
  mkdir -p "$target"
  for file in "$@"; do cp -r "$tmp/package/$file" "$target/"; done
  echo "$version" >"$stamp"
  rm -rf "$tmp"
}

build_translations() {
  # The .ts files are the source; the compiled .qm files are build output (not in git).
  local ts qm built=0
  for ts in resources/translations/*.ts; do
    qm=${ts%.ts}.qm
    if [[ ! -f $qm || $ts -nt $qm ]]; then
      .venv/bin/pyside6-lrelease -silent "$ts" -qm "$qm"
      built=$((built + 1))
    fi
  done
  step "translations: $built compiled"
}

build_demo_city() {
  # Rebuilt whenever the generator or the schema changes, so the demo always shows what the code makes.
  local out=demo/small.gpkg stamp=demo/small.gpkg.sha256 wanted
  wanted=$(cat data/demo/*.py data/schema.py | sha256sum | cut -d' ' -f1)
  if [[ -f $out && -f $stamp && $(cat "$stamp") == "$wanted" ]]; then
    step "demo city: $out up to date"
    return
  fi
  step "demo city: building $out"
  mkdir -p demo
  # The build moves the new city into place only when it is complete, and the stamp follows it:
  # an interrupted build leaves the old city and stamp, and the next run builds again.
  .venv/bin/gridsight demo build --scale small --seed 1 --out "$out" --force || fail "building the demo city failed"
  echo "$wanted" >"$stamp"
}

install_system_packages
install_python_packages
install_npm_files leaflet leaflet "$LEAFLET_VERSION" "leaflet-$LEAFLET_VERSION.tgz" \
  dist/leaflet.js dist/leaflet.css dist/images
install_npm_files geoman @geoman-io/leaflet-geoman-free "$GEOMAN_VERSION" \
  "geoman-io-leaflet-geoman-free-$GEOMAN_VERSION.tgz" dist/leaflet-geoman.js dist/leaflet-geoman.css LICENSE
install_npm_files leaflet-heat leaflet.heat "$LEAFLET_HEAT_VERSION" "leaflet.heat-$LEAFLET_HEAT_VERSION.tgz" \
  dist/leaflet-heat.js LICENSE
build_translations
build_demo_city
step "done: $REPO/.venv/bin/gridsight"
