"""Builds the `hubreg` Python module by running CMake on this checkout.

CMake is the one build of the C++ core: this file configures it with the
Python interpreter that runs pip, builds the module's target (which compiles
the core and persist libraries into it statically) and hands the module to
setuptools. The version is CMakeLists.txt's project(VERSION). Environment:
  HUBREG_CMAKE_BUILD_DIR  CMake build directory (default: under setuptools'
                          build_temp); kept, so a second install is incremental
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

ROOT = Path(__file__).resolve().parent


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    match = re.search(r"project\(\s*hubreg\s+VERSION\s+([0-9]+(?:\.[0-9]+)*)", text)
    if not match:
        raise RuntimeError(f"{ROOT / 'CMakeLists.txt'}: no `project(hubreg VERSION x.y.z)`")
    return match.group(1)


class CMakeExtension(Extension):
    """A module built by a CMake target rather than from listed sources."""

    def __init__(self, name, target):
        super().__init__(name, sources=[])
        self.target = target


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = Path(os.environ.get("HUBREG_CMAKE_BUILD_DIR") or
                         Path(self.build_temp) / "cmake").resolve()
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython_EXECUTABLE={sys.executable}",
            "-DHUBREG_BUILD_PYTHON=ON", "-DHUBREG_BUILD_TESTS=OFF",
            "-DHUBREG_BUILD_TOOLS=OFF", "-DHUBREG_BUILD_BENCH=OFF", "-DHUBREG_INSTALL=OFF",
        ] + shlex.split(os.environ.get("CMAKE_ARGS", ""))
        build = ["cmake", "--build", str(build_dir), "--target", ext.target]
        if "CMAKE_BUILD_PARALLEL_LEVEL" not in os.environ:
            build += ["--parallel", str(os.cpu_count() or 1)]
        subprocess.run(configure, check=True)
        subprocess.run(build, check=True)

        built = build_dir / "bindings" / "python" / f"hubreg{sysconfig.get_config_var('EXT_SUFFIX')}"
        if not built.is_file():
            raise RuntimeError(f"CMake built no {built}")
        destination = Path(self.get_ext_fullpath(ext.name))
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, destination)


setup(
    version=project_version(),
    ext_modules=[CMakeExtension("hubreg", target="hubreg_python")],
    cmdclass={"build_ext": CMakeBuild},
    packages=[],  # the module is one extension; nothing else in the tree is Python
    zip_safe=False,
)
