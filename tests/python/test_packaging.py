"""bindings/python/setup.py's checks of HUBREG_USE_CMAKE_BUILD: a directory
that is not a CMake build of this checkout with the Python module is refused
before anything is built. (The install itself: tests/pip_install_test.sh.)"""
import importlib.util
from pathlib import Path

import hubreg
import pytest

SOURCE = Path(__file__).resolve().parents[2]


def load_setup_py():
    spec = importlib.util.spec_from_file_location(
        "hubreg_setup", SOURCE / "bindings" / "python" / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not __main__: setup() does not run
    return module


def write_cache(directory, home, python="ON"):
    (directory / "CMakeCache.txt").write_text(
        f"CMAKE_HOME_DIRECTORY:INTERNAL={home}\nHUBREG_BUILD_PYTHON:BOOL={python}\n")


def test_version_is_cmakes_project_version():
    setup_py = load_setup_py()
    assert setup_py.ROOT == SOURCE
    assert setup_py.project_version() == hubreg.__version__


def test_a_build_of_this_checkout_with_the_module_is_used(tmp_path):
    write_cache(tmp_path, SOURCE)
    assert load_setup_py().existing_build(tmp_path) == tmp_path


def test_a_directory_without_cmake_cache_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match=r"no CMakeCache.txt there"):
        load_setup_py().existing_build(tmp_path)


def test_a_build_of_another_source_tree_is_refused(tmp_path):
    write_cache(tmp_path, tmp_path)
    with pytest.raises(RuntimeError, match=rf"builds {tmp_path}, not {SOURCE}"):
        load_setup_py().existing_build(tmp_path)


def test_a_build_without_the_python_module_is_refused(tmp_path):
    write_cache(tmp_path, SOURCE, python="OFF")
    with pytest.raises(RuntimeError, match=r"configured without -DHUBREG_BUILD_PYTHON=ON"):
        load_setup_py().existing_build(tmp_path)
