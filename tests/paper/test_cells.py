"""The four surgery x therapy cells, read from the claims file; numbers by hand from the paper.

Abstract: 39 metastasectomy, 61 decompression; 26 targeted: 7 with metastasectomy,
19 with decompression. Results: 89 of 100 died; local progressions 3 after
metastasectomy, 13 after decompression, 1 with targeted therapy.
"""

from __future__ import annotations

import pytest
from spinemets.paper import cells
from spinemets.paper.claims import ClaimsError, load_numbers


def test_cells_by_hand() -> None:
    assert cells.cells() == (
        ("metastasectomy", "targeted", 7, 1),
        ("metastasectomy", "cytokine", 32, 2),
        ("decompression", "targeted", 19, 0),
        ("decompression", "cytokine", 42, 13),
    )


def test_the_other_progression_split() -> None:
    # the one targeted progression after decompression instead: (0, 3, 1, 12)
    other = cells.cells(targeted_progression_surgery="decompression")
    assert [c.local_progressions for c in other] == [0, 3, 1, 12]
    with pytest.raises(ClaimsError, match="targeted_progression_surgery 'radiotherapy'"):
        cells.cells(targeted_progression_surgery="radiotherapy")


def test_group_sizes_and_deaths() -> None:
    assert cells.group_sizes() == {
        "all": 100,
        "metastasectomy": 39,
        "decompression": 61,
        "targeted": 26,
        "cytokine": 74,
    }
    assert cells.deaths() == 89


def test_margins_that_admit_no_split_are_refused() -> None:
    numbers = load_numbers() | {"lp_targeted_n": 9.0}  # 9 targeted but 7 in the cell
    with pytest.raises(ClaimsError, match="metastasectomy\\+targeted: 9 local progressions"):
        cells.cells(numbers)


def test_cells_frame() -> None:
    frame = cells.cells_frame()
    assert list(frame.columns) == ["surgery", "adjuvant_therapy", "patients", "local_progressions"]
    assert frame["patients"].tolist() == [7, 32, 19, 42]
    assert frame["local_progressions"].tolist() == [1, 2, 0, 13]
