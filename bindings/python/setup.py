"""Builds and packages the `hubreg` Python module by running CMake on the checkout.

CMake is the one build of the C++ core: this file configures it with the
Python interpreter that runs pip, builds the module's target (which compiles
the core and persist libraries into it statically) and hands the module to
setuptools. It serves `pip install .` both from the checkout's root (whose
setup.py runs this file) and from bindings/python. The version is
CMakeLists.txt's project(VERSION). Environment:
  HUBREG_CMAKE_BUILD_DIR  CMake build directory (default: under setuptools'
                          build_temp); kept, so a second install is incremental
  HUBREG_USE_CMAKE_BUILD  an existing CMake build directory of this checkout,
                          configured with HUBREG_BUILD_PYTHON=ON for this
                          Python (e.g. CI's): it is not configured again, only
                          its module target is built (nothing to do when it is
                          up to date) and that module is installed
  CMAKE_ARGS              extra arguments for the configure step
  CMAKE_BUILD_PARALLEL_LEVEL, CMAKE_CXX_COMPILER_LAUNCHER (e.g. ccache): as for CMake
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parents[2]  # the checkout: bindings/python/setup.py


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    match = re.search(r"project\(\s*hubreg\s+VERSION\s+([0-9]+(?:\.[0-9]+)*)", text)
    if not match:
        raise RuntimeError(f"{ROOT / 'CMakeLists.txt'}: no `project(hubreg VERSION x.y.z)`")
    return match.group(1)


def cached_value(cache, name):
    """The value of `name` in a CMakeCache.txt's text, or None."""
    match = re.search(rf"^{re.escape(name)}:[A-Z]+=(.*)$", cache, re.MULTILINE)
    return match.group(1) if match else None


def existing_build(build_dir):
    """Checks that `build_dir` is a CMake build of ROOT with the Python module."""
    cache_file = build_dir / "CMakeCache.txt"
    if not cache_file.is_file():
        raise RuntimeError(f"HUBREG_USE_CMAKE_BUILD={build_dir}: no CMakeCache.txt there "
                           "(configure it first, or unset it to let setup.py build)")
    cache = cache_file.read_text(encoding="utf-8", errors="replace")
    source = cached_value(cache, "CMAKE_HOME_DIRECTORY")
    if source is None or Path(source).resolve() != ROOT:
        raise RuntimeError(f"HUBREG_USE_CMAKE_BUILD={build_dir} builds {source}, not {ROOT}")
    if cached_value(cache, "HUBREG_BUILD_PYTHON") not in ("ON", "TRUE", "1"):
        raise RuntimeError(f"HUBREG_USE_CMAKE_BUILD={build_dir} is configured without "
                           "-DHUBREG_BUILD_PYTHON=ON")
    return build_dir


class CMakeExtension(Extension):
    """A module built by a CMake target rather than from listed sources."""

    def __init__(self, name, target):
        super().__init__(name, sources=[])
        self.target = target


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        if os.environ.get("HUBREG_USE_CMAKE_BUILD"):
            build_dir = existing_build(Path(os.environ["HUBREG_USE_CMAKE_BUILD"]).resolve())
        else:
            build_dir = Path(os.environ.get("HUBREG_CMAKE_BUILD_DIR") or
                             Path(self.build_temp) / "cmake").resolve()
            subprocess.run([
                "cmake", "-S", str(ROOT), "-B", str(build_dir),
                "-DCMAKE_BUILD_TYPE=Release",
                f"-DPython_EXECUTABLE={sys.executable}",
                "-DHUBREG_BUILD_PYTHON=ON", "-DHUBREG_BUILD_TESTS=OFF",
                "-DHUBREG_BUILD_TOOLS=OFF", "-DHUBREG_BUILD_BENCH=OFF", "-DHUBREG_INSTALL=OFF",
            ] + shlex.split(os.environ.get("CMAKE_ARGS", "")), check=True)
        build = ["cmake", "--build", str(build_dir), "--target", ext.target]
        if "CMAKE_BUILD_PARALLEL_LEVEL" not in os.environ:
            build += ["--parallel", str(os.cpu_count() or 1)]
        subprocess.run(build, check=True)

        module = f"hubreg{sysconfig.get_config_var('EXT_SUFFIX')}"
        built = build_dir / "bindings" / "python" / module
        if not built.is_file():
            raise RuntimeError(f"{build_dir} built no {module}: is it configured for "
                               f"this Python ({sys.version_info.major}.{sys.version_info.minor})?")
        destination = Path(self.get_ext_fullpath(ext.name))
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, destination)


# Run by pip's build backend and by the root setup.py as __main__; imported
# under another name by tests/python/test_packaging.py.
if __name__ == "__main__":
    setup(
        name="hubreg",
        version=project_version(),
        description="hub_alpha's client registry in memory, durable in LMDB",
        long_description=(ROOT / "README.md").read_text(encoding="utf-8"),
        long_description_content_type="text/markdown",
        python_requires=">=3.9",
        ext_modules=[CMakeExtension("hubreg", target="hubreg_python")],
        cmdclass={"build_ext": CMakeBuild},
        packages=[],  # the module is one extension; nothing else in the tree is Python
        zip_safe=False,
    )
