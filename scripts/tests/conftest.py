"""Shared pytest fixtures: the fixture run directories and one report built
from them (vm2 + big16, so the cross-CPU page is in it too), built once per
session to keep the suite fast."""
from __future__ import annotations

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT_DIR = os.path.join(os.path.dirname(HERE), "report")
sys.path.insert(0, REPORT_DIR)

FIX = os.path.join(HERE, "fixtures")
VM2 = os.path.join(FIX, "vm2", "20261127T120000Z")
BIG16 = os.path.join(FIX, "big16", "20261127T130000Z")
PARTIAL = os.path.join(FIX, "partial", "20261127T140000Z")
MALFORMED = os.path.join(FIX, "malformed", "20261127T150000Z")
REPORT_PY = os.path.join(REPORT_DIR, "report.py")
PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="session")
def full_report(tmp_path_factory):
    """full_report: (outdir, exit status, stdout) of report.py on vm2 + big16."""
    import figures
    import report
    figures.DPI = 60   # smaller PNGs: the same figures, a faster suite
    out = str(tmp_path_factory.mktemp("full"))
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = report.main([VM2, BIG16, "--out", out])
    return out, rc, buf.getvalue()


@pytest.fixture(scope="session")
def vm2_run():
    from runs import load_run
    return load_run(VM2)
