"""Tests of tests/doc_examples_test.py: it must fail, naming page and line, on
every kind of wrong page, and pass the right ones. Runs it on pages written
here, against the build named by DOC_EXAMPLES_BUILD (installed as for the real
pages)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = Path(__file__).with_name("doc_examples_test.py")

GOOD = """# Good

<!-- test: run -->
```sh
test -x "$PREFIX/bin/hubreg"
```

<!-- test: file hello.py -->
```python
print("hello", 42)
```

<!-- test: session -->
```console
$ /usr/bin/python3 hello.py
hello ...
$ false
$ echo $?
1
```

<!-- test: run -->
```python
import hubreg

with hubreg.Registry() as reg:
    reg.insert_user(external_id="U-1", email="ann@example.com")
```

<!-- test: skip -->
```python
this is not Python
```

```sql
SELECT 'blocks in other languages need no marker';
```
"""

# One problem per page: a failing block stops only its own page.
BAD_PAGES = {
    "unmarked.md": ("# x\n\n```python\nprint(1)\n```\n",
                    "docs/unmarked.md:3: ```python block has no test marker"),
    "stray.md": ("# x\n\n<!-- test: run -->\n\n```sh\ntrue\n```\n",
                 "docs/stray.md:3: a test marker must be the line just before a code block"),
    "unknown.md": ("# x\n\n<!-- test: maybe -->\n```sh\ntrue\n```\n",
                   "docs/unknown.md:4: unknown test marker 'maybe'"),
    "output.md": ("# x\n\n<!-- test: session -->\n```console\n$ echo hello\nhello\n$ echo world\n"
                  "moon\n```\n",
                  "docs/output.md:7: `echo world` printed:\nworld\nbut the page expects:\nmoon"),
    "status.md": ("# x\n\n<!-- test: session -->\n```console\n$ echo a\na\n$ exit 3\n```\n",
                  "docs/status.md:7: `exit 3` failed (exit status 3) and no `$ echo $?` follows"),
    "raises.md": ("# x\n\n<!-- test: run -->\n```python\nimport sys\n\nraise ValueError('no')\n```\n",
                  'raises.md-line4.py", line 7'),
    "broken.md": ("# x\n\n<!-- test: compile -->\n```c\nint main(void) {\n  return nothing;\n}\n```\n",
                  "docs/broken.md:6:"),
    "fails.md": ("# x\n\n<!-- test: run -->\n```c\nint main(void) { return 4; }\n```\n",
                 "docs/fails.md:4: running failed (exit status 4)"),
}


def run_driver(source, work):
    build = os.environ.get("DOC_EXAMPLES_BUILD")
    if not build:
        pytest.fail("DOC_EXAMPLES_BUILD must name a built hubreg tree")
    return subprocess.run(
        [sys.executable, str(DRIVER), "--source", str(source), "--build", build, "--work",
         str(work)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)


def write_pages(source, pages):
    (source / "docs").mkdir(parents=True)
    (source / "README.md").write_text("# readme\n")
    for name, text in pages.items():
        (source / "docs" / name).write_text(text)


def test_correct_pages_pass(tmp_path):
    write_pages(tmp_path / "src", {"good.md": GOOD})
    result = run_driver(tmp_path / "src", tmp_path / "work")
    assert result.returncode == 0, result.stdout
    # The skipped block and the unmarked sql block are not run.
    assert "4 marked blocks in 2 pages; 0 problems" in result.stdout


def test_every_wrong_page_is_reported_with_its_line(tmp_path):
    write_pages(tmp_path / "src", {name: text for name, (text, _) in BAD_PAGES.items()})
    result = run_driver(tmp_path / "src", tmp_path / "work")
    assert result.returncode == 1, result.stdout
    for name, (_, expected) in BAD_PAGES.items():
        assert expected in result.stdout, f"{name}: {expected!r} not in:\n{result.stdout}"
    assert f"; {len(BAD_PAGES)} problems" in result.stdout
