"""`pip install .` from the checkout's root: the same as from bindings/python,
whose setup.py builds and packages the module (see there)."""
import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parent / "bindings" / "python" / "setup.py"),
               run_name="__main__")
