"""Fisher–Jenks natural breaks in plain numpy: mapclassify's partition without a JIT compile.

``mapclassify.FisherJenks`` runs a numba kernel that is compiled in every fresh process (5–6.7 s measured on
this machine kind, before the first map of each ``geo map`` call). This is the same dynamic programme (Fisher
1958, as coded in mapclassify's ``_fisher_jenks_means``), with the inner loops over the candidate class starts
done as whole-array numpy operations on blocks of rows (every candidate class of every row at once) in the
same float32 arithmetic, the same summation order and the same tie rule (the last candidate scanned with ``>=``
wins), so it returns mapclassify's breaks exactly; ``tests/test_scale.py`` compares the two on real and random
data. Time O(k·n²) like the original; 1,906 values with k = 6 take about 20 ms (numba's kernel, warm: 11–12 ms;
numpy's cumsum, at about 2 ns a cell, is most of it).
"""

from __future__ import annotations

import numpy as np

_CELLS = 100_000  # matrix cells per block of rows (float32: 0.4 MB each, in cache); measured best of 50k–2M


def fisher_jenks_bins(values: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of the ``k`` Fisher–Jenks classes of ``values`` (float64, shape (k,)), as mapclassify's ``bins``.

    Parameters
    ----------
    values
        Finite numbers, any order, shape (n,), with at least ``k`` distinct values.
    k
        Number of classes, 2 or more.
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = len(x)
    x32 = x.astype(np.float32)
    sq32 = x32 * x32
    # mat1[l, j]: 1-based start of the last class of the best j-class split of the first l values; mat2: its cost
    mat1 = np.zeros((n + 1, k + 1), dtype=np.int64)
    mat2 = np.zeros((n + 1, k + 1), dtype=np.float32)
    mat1[1, 1:] = 1
    mat2[2:, 1:] = np.inf
    # Rows `last` in blocks; in a block, whole matrices over (last, m) with m the size of the last class
    # x[last-m:last]. Its sums are the kernel's: x[last-1] + x[last-2] + ... in float32, a cumsum along a row of
    # the reversed values (windows of one padded array, no copies). Column j of the programme needs only column
    # j-1 at rows < last: in a block, column by column.
    windows = np.lib.stride_tricks.sliding_window_view
    y1 = windows(np.concatenate([x32[::-1], np.zeros(n, np.float32)]), n)
    y2 = windows(np.concatenate([sq32[::-1], np.zeros(n, np.float32)]), n)
    block = max(1, min(n, _CELLS // max(n, 1)))
    for a in range(2, n + 1, block):
        b = min(n + 1, a + block)
        width = b - 1
        rows = np.arange(b - a)
        last = a + rows
        # laid out with m descending (column p: m = width - p) so that numpy's first minimum is the kernel's last
        s1 = np.empty((b - a, width), np.float32)
        s2 = np.empty((b - a, width), np.float32)
        np.cumsum(y1[n - b + 1 : n - a + 1, :width][::-1], axis=1, dtype=np.float32, out=s1[:, ::-1])
        np.cumsum(y2[n - b + 1 : n - a + 1, :width][::-1], axis=1, dtype=np.float32, out=s2[:, ::-1])
        w = np.arange(width, 0, -1, dtype=np.float32)
        np.multiply(s1, s1, out=s1)
        np.divide(s1, w, out=s1)
        v = np.subtract(s2, s1, out=s2)  # float32, as in the kernel; m > last: unused
        mat1[a:b, 1] = 1
        mat2[a:b, 1] = v[rows, width - last]  # m = last: one class
        for j in range(2, k + 1 if b == n + 1 else k):  # column k is read at row n only (the backtrack)
            # candidate m adds the best (j-1)-class split of the first last-m values (none for m >= last)
            before = np.concatenate([np.full(n, np.inf, np.float32), mat2[1:, j - 1]])
            cost = v + windows(before, width)[n - 1 + a - width : n - 1 + b - width]
            p = np.argmin(cost, axis=1)  # the kernel scans m upwards and keeps the last minimum (>=)
            mat1[a:b, j] = last - width + p + 1  # i3 = last - m + 1
            mat2[a:b, j] = cost[rows, p]
    kclass = np.zeros(k + 1, dtype=np.float64)
    kclass[k] = x[n - 1]
    kclass[0] = x[0]
    row = n
    for count in range(k, 1, -1):
        pivot = int(mat1[row, count])
        kclass[count - 1] = x[pivot - 2]
        row = pivot - 1
    return kclass[1:]


def fisher_jenks_classes(values: np.ndarray, k: int) -> np.ndarray:
    """Class of each value (int, shape (n,), 0 … k-1): mapclassify's ``FisherJenks(values, k).yb``.

    A value belongs to the first class whose upper bound is at least the value (right-closed classes).
    """
    v = np.asarray(values, dtype=np.float64)
    bins = fisher_jenks_bins(v, k)
    return np.searchsorted(bins, v, side="left")
