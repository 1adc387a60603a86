"""Fisher–Jenks in blocks of rows (issue 24): any block size gives mapclassify's partition, ties included."""

from __future__ import annotations

import mapclassify
import numpy as np
import pytest

from geo.maps import _jenks


@pytest.mark.parametrize("cells", [1, 50, 997, 100_000, 10**9])
def test_every_block_size_gives_mapclassifys_breaks(monkeypatch, cells):
    monkeypatch.setattr(_jenks, "_CELLS", cells)
    rng = np.random.default_rng(3)
    cases = [
        rng.lognormal(3, 1.5, 300),
        rng.integers(0, 12, 200).astype(float),  # duplicates
        np.repeat([0.0, 1.0, 2.0], [5, 3, 5]),  # a symmetric tie
        np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
    ]
    for values in cases:
        for k in (2, 3, 4, 6):
            if k > len(np.unique(values)):
                continue
            fitted = mapclassify.FisherJenks(values, k=k)
            np.testing.assert_array_equal(_jenks.fisher_jenks_bins(values, k), fitted.bins)
            np.testing.assert_array_equal(_jenks.fisher_jenks_classes(values, k), fitted.yb)
