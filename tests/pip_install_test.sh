#!/usr/bin/env bash
# `pip install` from a checkout (its root or bindings/python) into a fresh
# virtual environment, offline (only Debian's setuptools, wheel, cmake and
# pybind11), then the installed module is used from outside the source tree
# and pip knows its name and version.
#   usage: pip_install_test.sh SOURCE_DIR WORK_DIR EXPECTED_VERSION
# WORK_DIR is emptied first: the virtual environment is made anew each run.
# With HUBREG_USE_CMAKE_BUILD set (as ctest does: this build's directory),
# setup.py takes the module from that CMake build; otherwise it configures
# and builds one in WORK_DIR/cmake, as `pip install` does for a user.
set -euo pipefail
source_dir=$(realpath "$1") work_dir=$(realpath -m "$2") expected_version=$3
venv=$work_dir/venv

rm -rf "$work_dir"
mkdir -p "$work_dir/run"
# No pip of its own (ensurepip takes seconds): Debian's, seen through the
# system site-packages with setuptools and wheel, installs into the venv.
/usr/bin/python3 -m venv --system-site-packages --without-pip "$venv"
if [ -z "${HUBREG_USE_CMAKE_BUILD:-}" ]; then
  export HUBREG_CMAKE_BUILD_DIR=$work_dir/cmake
fi
"$venv/bin/python" -m pip install --no-build-isolation --no-index --no-deps --quiet "$source_dir"

cd "$work_dir/run"
"$venv/bin/python" - "$venv" "$expected_version" <<'PY'
import os
import sys

import hubreg

venv, expected_version = sys.argv[1:]
module = os.path.realpath(hubreg.__file__)
if not module.startswith(os.path.realpath(venv) + os.sep):
    sys.exit(f"imported {module}, not the module installed in {venv}")
if hubreg.__version__ != expected_version:
    sys.exit(f"hubreg.__version__ is {hubreg.__version__!r}, expected {expected_version!r}")
with hubreg.open("data") as reg:
    reg.insert_user(external_id="U-1", email="ann@example.com", name="Ann")
with hubreg.open("data", read_only=True) as reg:
    ann = reg.find_user_by_external_id("U-1")
    if ann is None or ann.email != "ann@example.com":
        sys.exit(f"reopened store holds {ann!r}, expected user U-1")
PY

shown=$("$venv/bin/python" -m pip show hubreg)
for line in "Name: hubreg" "Version: $expected_version" \
  "Summary: hub_alpha's client registry in memory, durable in LMDB"; do
  if ! grep -qxF "$line" <<<"$shown"; then
    printf 'pip show hubreg does not say "%s":\n%s\n' "$line" "$shown" >&2
    exit 1
  fi
done
echo "pip installed hubreg $expected_version into $venv"
