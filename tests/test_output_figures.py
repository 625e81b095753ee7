"""RunOutput.write_figure: the crop computed once is the crop savefig's tight box gives."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import pytest
from PIL import Image
from spinemets.output import RunOutput


def _tight_png_size(fig) -> tuple[int, int]:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    return Image.open(buffer).size


@pytest.mark.parametrize("layout", [None, "tight", "constrained"])
def test_the_png_is_cropped_as_a_tight_savefig_crops_it(tmp_path, layout) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(5, 3), layout=layout)
    for ax in axes:
        ax.plot([0, 1], [0, 1])
        ax.set_ylabel("a long label that sticks out to the left")
    fig.suptitle("title")
    expected = _tight_png_size(fig)
    png = RunOutput(tmp_path / "out").write_figure(fig, "f", dpi=150)
    assert png == (tmp_path / "out" / "figures" / "f.png").read_bytes()
    width, height = Image.open(io.BytesIO(png)).size
    assert abs(width - expected[0]) <= 2 and abs(height - expected[1]) <= 2
    assert (tmp_path / "out" / "figures" / "f.svg").is_file()
    plt.close(fig)
