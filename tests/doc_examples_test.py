#!/usr/bin/env python3
"""Compiles and runs the code blocks of README.md and docs/*.md that say they run.

The convention (docs/doc_examples.md): an HTML comment on the line just before
a fenced block says what the test does with it.

  <!-- test: compile -->    ```cpp or ```c: a whole program, compiled and linked
                            (C++ against hubreg::core and hubreg::persist, C
                            against hubreg::c), warnings as errors
  <!-- test: run -->        the same, then run; ```python and ```sh blocks are
                            run; each must exit 0
  <!-- test: file NAME -->  the block is written to NAME, for a later session
  <!-- test: session -->    a console transcript: each `$ COMMAND` line is run
                            by bash, and the lines after it, up to the next `$`,
                            must equal what it printed (stdout and stderr);
                            `...` in a line stands for any text. A failing
                            command must be followed by `$ echo $?`.
  <!-- test: skip -->       not tested (say why in the text)

Every ```cpp, ```c and ```python block must carry one of these, so that no
example escapes the test. The blocks of one page run in order in one fresh
directory, with hubreg installed (cmake --install) in $PREFIX, $PREFIX/bin on
PATH and the Python module on PYTHONPATH. A failure names the page and line.

usage: doc_examples_test.py --source DIR --build DIR --work DIR --cxx CXX --cc CC
"""
import argparse
import dataclasses
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

MARKER = re.compile(r"^<!--\s*test:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)")
CHECKED_LANGUAGES = {"cpp", "c", "python"}
TIMEOUT_SECONDS = 120


@dataclasses.dataclass
class Block:
    page: Path        # relative to the source directory
    line: int         # of the opening fence, counting from 1
    language: str
    kind: str
    argument: str
    text: str

    @property
    def where(self):
        return f"{self.page}:{self.line}"


class Failure(Exception):
    pass


def parse_page(source, page):
    """Returns the page's marked blocks and the problems with its markers."""
    lines = (source / page).read_text(encoding="utf-8").splitlines()
    blocks, problems = [], []
    index = 0
    while index < len(lines):
        marker = MARKER.match(lines[index])
        fence = FENCE.match(lines[index])
        if marker and not FENCE.match(lines[index + 1] if index + 1 < len(lines) else ""):
            problems.append(f"{page}:{index + 1}: a test marker must be the line just before a code block")
        if not fence:
            index += 1
            continue
        ticks, language = fence.group(1), fence.group(2)
        end = index + 1
        while end < len(lines) and not lines[end].startswith(ticks):
            end += 1
        if end == len(lines):
            problems.append(f"{page}:{index + 1}: code block is not closed")
            break
        previous = MARKER.match(lines[index - 1]) if index > 0 else None
        kind, _, argument = (previous.group(1).partition(" ") if previous else ("", "", ""))
        where = f"{page}:{index + 1}"
        if not previous:
            if language in CHECKED_LANGUAGES:
                problems.append(f"{where}: ```{language} block has no test marker "
                                "(<!-- test: compile|run|file NAME|skip -->)")
        elif kind not in ("compile", "run", "file", "session", "skip"):
            problems.append(f"{where}: unknown test marker {previous.group(1)!r}")
        elif kind == "compile" and language not in ("cpp", "c"):
            problems.append(f"{where}: `compile` needs a ```cpp or ```c block, not {language!r}")
        elif kind == "run" and language not in ("cpp", "c", "python", "sh"):
            problems.append(f"{where}: `run` needs a cpp, c, python or sh block, not {language!r}")
        elif kind == "file" and not argument:
            problems.append(f"{where}: `file` needs a name")
        elif kind != "skip":
            text = "\n".join(lines[index + 1:end]) + "\n"
            blocks.append(Block(page, index + 1, language, kind, argument.strip(), text))
        index = end + 1
    return blocks, problems


class Runner:
    def __init__(self, args, prefix):
        self.args = args
        self.prefix = prefix
        self.env = dict(os.environ)
        self.env["PREFIX"] = str(prefix)
        self.env["HUBREG_SOURCE"] = str(args.source)
        self.env["PATH"] = f"{prefix / 'bin'}{os.pathsep}{self.env.get('PATH', '')}"
        self.env["PYTHONPATH"] = str(prefix / "lib" / "python3" / "dist-packages")
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"

    def run(self, command, cwd, block, what):
        try:
            return subprocess.run(command, cwd=cwd, env=self.env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise Failure(f"{block.where}: {what} did not finish in {TIMEOUT_SECONDS} s")

    def check(self, result, block, what):
        if result.returncode != 0:
            raise Failure(f"{block.where}: {what} failed (exit status {result.returncode}):\n"
                          f"{result.stdout}")

    def source_file(self, block, path):
        """Writes the block so that diagnostics name the page and its lines."""
        if path.suffix in (".c", ".cpp", ".h"):
            header = f'#line {block.line + 1} "{self.args.source / block.page}"\n'
        elif path.suffix in (".py", ".sh"):
            header = "\n" * block.line  # the interpreter's line numbers are the page's
        else:
            header = ""
        path.write_text(header + block.text, encoding="utf-8")
        return path

    def block_file(self, block, cwd, suffix):
        return self.source_file(block, cwd / f"{block.page.name}-line{block.line}{suffix}")

    def compile(self, block, cwd):
        include, lib = self.prefix / "include", self.prefix / "lib"
        warnings = ["-Wall", "-Wextra", "-Wpedantic", "-Werror"]
        if block.language == "cpp":
            source = self.block_file(block, cwd, ".cpp")
            command = [self.args.cxx, "-std=c++20", *warnings, f"-I{include}", str(source),
                       f"-L{lib}", "-lhubreg_persist", "-lhubreg_core", "-llmdb", "-pthread"]
        else:
            source = self.block_file(block, cwd, ".c")
            command = [self.args.cc, "-std=c99", *warnings, f"-I{include}", str(source),
                       f"-L{lib}", f"-Wl,-rpath,{lib}", "-lhubreg_c"]
        executable = source.with_suffix("")
        self.check(self.run(command + ["-o", str(executable)], cwd, block, "compiling"), block,
                   "compiling")
        return executable

    def execute(self, block, cwd):
        if block.kind == "file":
            self.source_file(block, cwd / block.argument)
        elif block.kind == "compile":
            self.compile(block, cwd)
        elif block.kind == "run" and block.language in ("cpp", "c"):
            executable = self.compile(block, cwd)
            self.check(self.run([str(executable)], cwd, block, "running"), block, "running")
        elif block.kind == "run" and block.language == "python":
            script = self.block_file(block, cwd, ".py")
            self.check(self.run([self.args.python, str(script)], cwd, block, "running"), block,
                       "running")
        elif block.kind == "run":
            script = self.block_file(block, cwd, ".sh")
            self.check(self.run(["bash", "-eu", str(script)], cwd, block, "running"), block,
                       "running")
        else:
            self.session(block, cwd)

    def session(self, block, cwd):
        steps = []  # (line, command, expected lines)
        for offset, text in enumerate(block.text.splitlines(), start=1):
            if text.startswith("$ "):
                steps.append((block.line + offset, text[2:], []))
            elif steps:
                steps[-1][2].append(text)
            else:
                raise Failure(f"{block.page}:{block.line + offset}: output before any `$ ` command")
        status = 0
        for index, (line, command, expected) in enumerate(steps):
            where = f"{block.page}:{line}"
            if command == "echo $?":
                output = f"{status}\n"
            else:
                result = self.run(["bash", "-c", command], cwd, block, f"`{command}`")
                output, status = result.stdout, result.returncode
                following = steps[index + 1][1] if index + 1 < len(steps) else ""
                if status != 0 and following != "echo $?":
                    raise Failure(f"{where}: `{command}` failed (exit status {status}) and no "
                                  f"`$ echo $?` follows:\n{output}")
            if not lines_match(expected, output.splitlines()):
                raise Failure(f"{where}: `{command}` printed:\n{output}"
                              f"but the page expects:\n" + "".join(e + "\n" for e in expected))


def lines_match(expected, actual):
    if len(expected) != len(actual):
        return False
    for want, got in zip(expected, actual):
        pattern = ".*".join(re.escape(part) for part in want.split("..."))
        if not re.fullmatch(pattern, got):
            return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="the checkout")
    parser.add_argument("--build", type=Path, required=True, help="a built CMake tree to install")
    parser.add_argument("--work", type=Path, required=True, help="scratch directory (emptied)")
    parser.add_argument("--cxx", default="c++")
    parser.add_argument("--cc", default="cc")
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--cmake", default="cmake")
    args = parser.parse_args()
    args.source = args.source.resolve()

    pages = [Path("README.md")] + sorted(p.relative_to(args.source)
                                         for p in (args.source / "docs").glob("*.md"))
    blocks, problems = [], []
    for page in pages:
        page_blocks, page_problems = parse_page(args.source, page)
        blocks += page_blocks
        problems += page_problems

    shutil.rmtree(args.work, ignore_errors=True)
    prefix = args.work.resolve() / "prefix"
    installed = subprocess.run([args.cmake, "--install", str(args.build), "--prefix", str(prefix)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if installed.returncode != 0:
        sys.exit(f"cmake --install {args.build} failed:\n{installed.stdout}")

    runner = Runner(args, prefix)
    failed_pages = set()
    for block in blocks:
        if block.page in failed_pages:
            continue  # later blocks of a page depend on the earlier ones
        cwd = args.work.resolve() / "pages" / block.page.name
        cwd.mkdir(parents=True, exist_ok=True)
        try:
            runner.execute(block, cwd)
            print(f"ok   {block.where} {block.kind} {block.language}".rstrip())
        except Failure as failure:
            failed_pages.add(block.page)
            problems.append(str(failure))
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    print(f"{len(blocks)} marked blocks in {len(pages)} pages; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
