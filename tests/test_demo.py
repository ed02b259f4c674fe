"""The README's ten-second demo runs and learns digits."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo.py"


def test_demo_trains_digits_to_high_accuracy():
    out = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True, check=True).stdout
    accuracy = float(re.search(r"test accuracy (\d\.\d+)", out).group(1))
    assert accuracy > 0.9
    assert out.count("epoch") >= 10
