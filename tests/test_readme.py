"""The README's Python examples run as written (in order, sharing one namespace)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 4
    namespace: dict = {}
    printed = []
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own README
        printed.append(capsys.readouterr().out)
    training = next(i for i, block in enumerate(blocks) if "evaluate(net, data.test" in block)
    # The block's comment promises the test loss and accuracy: exactly those keys are printed.
    result = ast.literal_eval(printed[training].strip().splitlines()[-1])
    assert set(result) == {"loss", "accuracy"}
    assert result["loss"] > 0 and result["accuracy"] > 0.9


def test_readme_names_every_file_the_optimizer_tour_writes():
    text = README.read_text()
    tour = text[text.index("## The optimizer tour"):text.index("## scikit-learn estimators")]
    for name in ("tour.md", "claim1.png", "claim7.png", "results.json", "raw.npz"):
        assert f"`{name}`" in tour
