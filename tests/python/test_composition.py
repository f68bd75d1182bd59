"""Composed pipelines (issue 13) against DeepTrack2 2.0.1.

1. An operand smaller than the image (a row, one element, a 0-d array, a feature's image) after a
   view whose samples are out of C order (Transpose, MoveAxis, FlipDiagonal, FlipLR) is applied index
   by index. EXPECTED was computed with DeepTrack2 2.0.1 (deeptrack==2.0.1, numpy) by evaluating each
   case's expression below with ``import deeptrack as dt`` on the same inputs (None: 2.0.1 raises,
   the operands do not broadcast).
2. An index feature that gives no image is an error naming Slice and the index (2.0.1 indexes with
   its empty list: a meaningless (0, ...) result; a deliberate difference).
3. ``f(x, key=v)`` sets ``key`` on the pipeline's features for that call, not on a feature outside it
   that one of its properties links to (the values in the tests are 2.0.1's).
4. ``feature.prop[i]`` is a dependent property (2.0.1's DeepTrackNode.__getitem__).
"""

import logging
import unittest
import warnings

import numpy as np

import deeptrack_native as dt

X2 = np.arange(6.0).reshape(2, 3)
X3 = np.arange(12.0).reshape(2, 3, 2)

VIEWS = {
    "T": "dt.Transpose()",
    "T201": "dt.Transpose(axes=(2,0,1))",
    "mv": "dt.MoveAxis(source=0, destination=-1)",
    "fdiag": "dt.FlipDiagonal(p=1)",
    "flr": "dt.FlipLR(p=1)",
}
AFTER = {
    "add_row": "dt.Add(value=np.array([10., 20.]))",
    "add_one": "dt.Add(value=np.array([1.5]))",
    "add_0d": "dt.Add(value=np.array(2.5))",
    "sub_val": "- dt.Value(value=1.0)",
    "mul_valrow": "* dt.Value(value=np.array([2., 3.]))",
    "div_row": "dt.Divide(value=np.array([2., 4.]))",
    "floordiv_row": "dt.FloorDivide(value=np.array([2., 3.]))",
    "gt_row": "dt.GreaterThan(value=np.array([1.5, 4.5]))",
    "le_val": "<= dt.Value(value=np.array([2., 3.]))",
    "eq_row": "dt.Equals(value=np.array([1., 3.]))",
    "offset_row": "dt.Background(offset=np.array([100., 200.]))",
    "gauss_mu_row": "dt.Gaussian(mu=np.array([100., 200.]), sigma=0)",
    "clip_row": "dt.Clip(min=np.array([2., 3.]), max=np.array([4., 8.]))",
    "nmm_row": "dt.NormalizeMinMax(min=np.array([0., 10.]), max=np.array([1., 20.]))",
    "cplx_row": "dt.Add(value=np.array([1j, 2j]))",
}

def _cases():
    for xk in ["x2", "x3"]:
        for vk, v in VIEWS.items():
            if xk == "x2" and vk == "T201":
                continue
            for ak, a in AFTER.items():
                e = f"({v}) {a}" if a[0] in "-*<" else f"{v} >> {a}"
                yield f"{xk}-{vk}-{ak}", xk, e


# name: (shape, dtype, values in C order ([real, imag] when complex)), computed with DeepTrack2 2.0.1.
EXPECTED = {
    'x2-T-add_row': ((3, 2), 'float64', [10.0, 23.0, 11.0, 24.0, 12.0, 25.0]),
    'x2-T-add_one': ((3, 2), 'float64', [1.5, 4.5, 2.5, 5.5, 3.5, 6.5]),
    'x2-T-add_0d': ((3, 2), 'float64', [2.5, 5.5, 3.5, 6.5, 4.5, 7.5]),
    'x2-T-sub_val': ((3, 2), 'float64', [-1.0, 2.0, 0.0, 3.0, 1.0, 4.0]),
    'x2-T-mul_valrow': ((3, 2), 'float64', [0.0, 9.0, 2.0, 12.0, 4.0, 15.0]),
    'x2-T-div_row': ((3, 2), 'float64', [0.0, 0.75, 0.5, 1.0, 1.0, 1.25]),
    'x2-T-floordiv_row': ((3, 2), 'float64', [0.0, 1.0, 0.0, 1.0, 1.0, 1.0]),
    'x2-T-gt_row': ((3, 2), 'bool', [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]),
    'x2-T-le_val': ((3, 2), 'bool', [1.0, 1.0, 1.0, 0.0, 1.0, 0.0]),
    'x2-T-eq_row': ((3, 2), 'bool', [0.0, 1.0, 1.0, 0.0, 0.0, 0.0]),
    'x2-T-offset_row': ((3, 2), 'float64', [100.0, 203.0, 101.0, 204.0, 102.0, 205.0]),
    'x2-T-gauss_mu_row': ((3, 2), 'float64', [100.0, 203.0, 101.0, 204.0, 102.0, 205.0]),
    'x2-T-clip_row': ((3, 2), 'float64', [2.0, 3.0, 2.0, 4.0, 2.0, 5.0]),
    'x2-T-nmm_row': ((3, 2), 'float64', [0.0, 16.0, 0.2, 18.0, 0.4, 20.0]),
    'x2-T-cplx_row': ((3, 2), 'complex128', [[0.0, 1.0], [3.0, 2.0], [1.0, 1.0], [4.0, 2.0], [2.0, 1.0], [5.0, 2.0]]),
    'x2-mv-add_row': ((3, 2), 'float64', [10.0, 23.0, 11.0, 24.0, 12.0, 25.0]),
    'x2-mv-add_one': ((3, 2), 'float64', [1.5, 4.5, 2.5, 5.5, 3.5, 6.5]),
    'x2-mv-add_0d': ((3, 2), 'float64', [2.5, 5.5, 3.5, 6.5, 4.5, 7.5]),
    'x2-mv-sub_val': ((3, 2), 'float64', [-1.0, 2.0, 0.0, 3.0, 1.0, 4.0]),
    'x2-mv-mul_valrow': ((3, 2), 'float64', [0.0, 9.0, 2.0, 12.0, 4.0, 15.0]),
    'x2-mv-div_row': ((3, 2), 'float64', [0.0, 0.75, 0.5, 1.0, 1.0, 1.25]),
    'x2-mv-floordiv_row': ((3, 2), 'float64', [0.0, 1.0, 0.0, 1.0, 1.0, 1.0]),
    'x2-mv-gt_row': ((3, 2), 'bool', [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]),
    'x2-mv-le_val': ((3, 2), 'bool', [1.0, 1.0, 1.0, 0.0, 1.0, 0.0]),
    'x2-mv-eq_row': ((3, 2), 'bool', [0.0, 1.0, 1.0, 0.0, 0.0, 0.0]),
    'x2-mv-offset_row': ((3, 2), 'float64', [100.0, 203.0, 101.0, 204.0, 102.0, 205.0]),
    'x2-mv-gauss_mu_row': ((3, 2), 'float64', [100.0, 203.0, 101.0, 204.0, 102.0, 205.0]),
    'x2-mv-clip_row': ((3, 2), 'float64', [2.0, 3.0, 2.0, 4.0, 2.0, 5.0]),
    'x2-mv-nmm_row': ((3, 2), 'float64', [0.0, 16.0, 0.2, 18.0, 0.4, 20.0]),
    'x2-mv-cplx_row': ((3, 2), 'complex128', [[0.0, 1.0], [3.0, 2.0], [1.0, 1.0], [4.0, 2.0], [2.0, 1.0], [5.0, 2.0]]),
    'x2-fdiag-add_row': ((3, 2), 'float64', [10.0, 23.0, 11.0, 24.0, 12.0, 25.0]),
    'x2-fdiag-add_one': ((3, 2), 'float64', [1.5, 4.5, 2.5, 5.5, 3.5, 6.5]),
    'x2-fdiag-add_0d': ((3, 2), 'float64', [2.5, 5.5, 3.5, 6.5, 4.5, 7.5]),
    'x2-fdiag-sub_val': ((3, 2), 'float64', [-1.0, 2.0, 0.0, 3.0, 1.0, 4.0]),
    'x2-fdiag-mul_valrow': ((3, 2), 'float64', [0.0, 9.0, 2.0, 12.0, 4.0, 15.0]),
    'x2-fdiag-div_row': ((3, 2), 'float64', [0.0, 0.75, 0.5, 1.0, 1.0, 1.25]),
    'x2-fdiag-floordiv_row': ((3, 2), 'float64', [0.0, 1.0, 0.0, 1.0, 1.0, 1.0]),
    'x2-fdiag-gt_row': ((3, 2), 'bool', [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]),
    'x2-fdiag-le_val': ((3, 2), 'bool', [1.0, 1.0, 1.0, 0.0, 1.0, 0.0]),
    'x2-fdiag-eq_row': ((3, 2), 'bool', [0.0, 1.0, 1.0, 0.0, 0.0, 0.0]),
    'x2-fdiag-offset_row': ((3, 2), 'float64', [100.0, 203.0, 101.0, 204.0, 102.0, 205.0]),
    'x2-fdiag-gauss_mu_row': ((3, 2), 'float64', [100.0, 203.0, 101.0, 204.0, 102.0, 205.0]),
    'x2-fdiag-clip_row': ((3, 2), 'float64', [2.0, 3.0, 2.0, 4.0, 2.0, 5.0]),
    'x2-fdiag-nmm_row': ((3, 2), 'float64', [0.0, 16.0, 0.2, 18.0, 0.4, 20.0]),
    'x2-fdiag-cplx_row': ((3, 2), 'complex128', [[0.0, 1.0], [3.0, 2.0], [1.0, 1.0], [4.0, 2.0], [2.0, 1.0], [5.0, 2.0]]),
    'x2-flr-add_row': None,
    'x2-flr-add_one': ((2, 3), 'float64', [3.5, 2.5, 1.5, 6.5, 5.5, 4.5]),
    'x2-flr-add_0d': ((2, 3), 'float64', [4.5, 3.5, 2.5, 7.5, 6.5, 5.5]),
    'x2-flr-sub_val': ((2, 3), 'float64', [1.0, 0.0, -1.0, 4.0, 3.0, 2.0]),
    'x2-flr-mul_valrow': None,
    'x2-flr-div_row': None,
    'x2-flr-floordiv_row': None,
    'x2-flr-gt_row': None,
    'x2-flr-le_val': None,
    'x2-flr-eq_row': None,
    'x2-flr-offset_row': None,
    'x2-flr-gauss_mu_row': None,
    'x2-flr-clip_row': None,
    'x2-flr-nmm_row': None,
    'x2-flr-cplx_row': None,
    'x3-T-add_row': ((2, 3, 2), 'float64', [10.0, 26.0, 12.0, 28.0, 14.0, 30.0, 11.0, 27.0, 13.0, 29.0, 15.0, 31.0]),
    'x3-T-add_one': ((2, 3, 2), 'float64', [1.5, 7.5, 3.5, 9.5, 5.5, 11.5, 2.5, 8.5, 4.5, 10.5, 6.5, 12.5]),
    'x3-T-add_0d': ((2, 3, 2), 'float64', [2.5, 8.5, 4.5, 10.5, 6.5, 12.5, 3.5, 9.5, 5.5, 11.5, 7.5, 13.5]),
    'x3-T-sub_val': ((2, 3, 2), 'float64', [-1.0, 5.0, 1.0, 7.0, 3.0, 9.0, 0.0, 6.0, 2.0, 8.0, 4.0, 10.0]),
    'x3-T-mul_valrow': ((2, 3, 2), 'float64', [0.0, 18.0, 4.0, 24.0, 8.0, 30.0, 2.0, 21.0, 6.0, 27.0, 10.0, 33.0]),
    'x3-T-div_row': ((2, 3, 2), 'float64', [0.0, 1.5, 1.0, 2.0, 2.0, 2.5, 0.5, 1.75, 1.5, 2.25, 2.5, 2.75]),
    'x3-T-floordiv_row': ((2, 3, 2), 'float64', [0.0, 2.0, 1.0, 2.0, 2.0, 3.0, 0.0, 2.0, 1.0, 3.0, 2.0, 3.0]),
    'x3-T-gt_row': ((2, 3, 2), 'bool', [0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    'x3-T-le_val': ((2, 3, 2), 'bool', [1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    'x3-T-eq_row': ((2, 3, 2), 'bool', [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    'x3-T-offset_row': ((2, 3, 2), 'float64', [100.0, 206.0, 102.0, 208.0, 104.0, 210.0, 101.0, 207.0, 103.0, 209.0, 105.0, 211.0]),
    'x3-T-gauss_mu_row': ((2, 3, 2), 'float64', [100.0, 206.0, 102.0, 208.0, 104.0, 210.0, 101.0, 207.0, 103.0, 209.0, 105.0, 211.0]),
    'x3-T-clip_row': ((2, 3, 2), 'float64', [2.0, 6.0, 2.0, 8.0, 4.0, 8.0, 2.0, 7.0, 3.0, 8.0, 4.0, 8.0]),
    'x3-T-nmm_row': ((2, 3, 2), 'float64', [0.0, 15.454545454545453, 0.18181818181818182, 17.272727272727273, 0.36363636363636365, 19.09090909090909, 0.09090909090909091, 16.363636363636363, 0.2727272727272727, 18.18181818181818, 0.45454545454545453, 20.0]),
    'x3-T-cplx_row': ((2, 3, 2), 'complex128', [[0.0, 1.0], [6.0, 2.0], [2.0, 1.0], [8.0, 2.0], [4.0, 1.0], [10.0, 2.0], [1.0, 1.0], [7.0, 2.0], [3.0, 1.0], [9.0, 2.0], [5.0, 1.0], [11.0, 2.0]]),
    'x3-T201-add_row': None,
    'x3-T201-add_one': ((2, 2, 3), 'float64', [1.5, 3.5, 5.5, 7.5, 9.5, 11.5, 2.5, 4.5, 6.5, 8.5, 10.5, 12.5]),
    'x3-T201-add_0d': ((2, 2, 3), 'float64', [2.5, 4.5, 6.5, 8.5, 10.5, 12.5, 3.5, 5.5, 7.5, 9.5, 11.5, 13.5]),
    'x3-T201-sub_val': ((2, 2, 3), 'float64', [-1.0, 1.0, 3.0, 5.0, 7.0, 9.0, 0.0, 2.0, 4.0, 6.0, 8.0, 10.0]),
    'x3-T201-mul_valrow': None,
    'x3-T201-div_row': None,
    'x3-T201-floordiv_row': None,
    'x3-T201-gt_row': None,
    'x3-T201-le_val': None,
    'x3-T201-eq_row': None,
    'x3-T201-offset_row': None,
    'x3-T201-gauss_mu_row': None,
    'x3-T201-clip_row': None,
    'x3-T201-nmm_row': None,
    'x3-T201-cplx_row': None,
    'x3-mv-add_row': ((3, 2, 2), 'float64', [10.0, 26.0, 11.0, 27.0, 12.0, 28.0, 13.0, 29.0, 14.0, 30.0, 15.0, 31.0]),
    'x3-mv-add_one': ((3, 2, 2), 'float64', [1.5, 7.5, 2.5, 8.5, 3.5, 9.5, 4.5, 10.5, 5.5, 11.5, 6.5, 12.5]),
    'x3-mv-add_0d': ((3, 2, 2), 'float64', [2.5, 8.5, 3.5, 9.5, 4.5, 10.5, 5.5, 11.5, 6.5, 12.5, 7.5, 13.5]),
    'x3-mv-sub_val': ((3, 2, 2), 'float64', [-1.0, 5.0, 0.0, 6.0, 1.0, 7.0, 2.0, 8.0, 3.0, 9.0, 4.0, 10.0]),
    'x3-mv-mul_valrow': ((3, 2, 2), 'float64', [0.0, 18.0, 2.0, 21.0, 4.0, 24.0, 6.0, 27.0, 8.0, 30.0, 10.0, 33.0]),
    'x3-mv-div_row': ((3, 2, 2), 'float64', [0.0, 1.5, 0.5, 1.75, 1.0, 2.0, 1.5, 2.25, 2.0, 2.5, 2.5, 2.75]),
    'x3-mv-floordiv_row': ((3, 2, 2), 'float64', [0.0, 2.0, 0.0, 2.0, 1.0, 2.0, 1.0, 3.0, 2.0, 3.0, 2.0, 3.0]),
    'x3-mv-gt_row': ((3, 2, 2), 'bool', [0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    'x3-mv-le_val': ((3, 2, 2), 'bool', [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    'x3-mv-eq_row': ((3, 2, 2), 'bool', [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    'x3-mv-offset_row': ((3, 2, 2), 'float64', [100.0, 206.0, 101.0, 207.0, 102.0, 208.0, 103.0, 209.0, 104.0, 210.0, 105.0, 211.0]),
    'x3-mv-gauss_mu_row': ((3, 2, 2), 'float64', [100.0, 206.0, 101.0, 207.0, 102.0, 208.0, 103.0, 209.0, 104.0, 210.0, 105.0, 211.0]),
    'x3-mv-clip_row': ((3, 2, 2), 'float64', [2.0, 6.0, 2.0, 7.0, 2.0, 8.0, 3.0, 8.0, 4.0, 8.0, 4.0, 8.0]),
    'x3-mv-nmm_row': ((3, 2, 2), 'float64', [0.0, 15.454545454545453, 0.09090909090909091, 16.363636363636363, 0.18181818181818182, 17.272727272727273, 0.2727272727272727, 18.18181818181818, 0.36363636363636365, 19.09090909090909, 0.45454545454545453, 20.0]),
    'x3-mv-cplx_row': ((3, 2, 2), 'complex128', [[0.0, 1.0], [6.0, 2.0], [1.0, 1.0], [7.0, 2.0], [2.0, 1.0], [8.0, 2.0], [3.0, 1.0], [9.0, 2.0], [4.0, 1.0], [10.0, 2.0], [5.0, 1.0], [11.0, 2.0]]),
    'x3-fdiag-add_row': ((3, 2, 2), 'float64', [10.0, 21.0, 16.0, 27.0, 12.0, 23.0, 18.0, 29.0, 14.0, 25.0, 20.0, 31.0]),
    'x3-fdiag-add_one': ((3, 2, 2), 'float64', [1.5, 2.5, 7.5, 8.5, 3.5, 4.5, 9.5, 10.5, 5.5, 6.5, 11.5, 12.5]),
    'x3-fdiag-add_0d': ((3, 2, 2), 'float64', [2.5, 3.5, 8.5, 9.5, 4.5, 5.5, 10.5, 11.5, 6.5, 7.5, 12.5, 13.5]),
    'x3-fdiag-sub_val': ((3, 2, 2), 'float64', [-1.0, 0.0, 5.0, 6.0, 1.0, 2.0, 7.0, 8.0, 3.0, 4.0, 9.0, 10.0]),
    'x3-fdiag-mul_valrow': ((3, 2, 2), 'float64', [0.0, 3.0, 12.0, 21.0, 4.0, 9.0, 16.0, 27.0, 8.0, 15.0, 20.0, 33.0]),
    'x3-fdiag-div_row': ((3, 2, 2), 'float64', [0.0, 0.25, 3.0, 1.75, 1.0, 0.75, 4.0, 2.25, 2.0, 1.25, 5.0, 2.75]),
    'x3-fdiag-floordiv_row': ((3, 2, 2), 'float64', [0.0, 0.0, 3.0, 2.0, 1.0, 1.0, 4.0, 3.0, 2.0, 1.0, 5.0, 3.0]),
    'x3-fdiag-gt_row': ((3, 2, 2), 'bool', [0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    'x3-fdiag-le_val': ((3, 2, 2), 'bool', [1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    'x3-fdiag-eq_row': ((3, 2, 2), 'bool', [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    'x3-fdiag-offset_row': ((3, 2, 2), 'float64', [100.0, 201.0, 106.0, 207.0, 102.0, 203.0, 108.0, 209.0, 104.0, 205.0, 110.0, 211.0]),
    'x3-fdiag-gauss_mu_row': ((3, 2, 2), 'float64', [100.0, 201.0, 106.0, 207.0, 102.0, 203.0, 108.0, 209.0, 104.0, 205.0, 110.0, 211.0]),
    'x3-fdiag-clip_row': ((3, 2, 2), 'float64', [2.0, 3.0, 4.0, 7.0, 2.0, 3.0, 4.0, 8.0, 4.0, 5.0, 4.0, 8.0]),
    'x3-fdiag-nmm_row': ((3, 2, 2), 'float64', [0.0, 10.90909090909091, 0.5454545454545454, 16.363636363636363, 0.18181818181818182, 12.727272727272727, 0.7272727272727273, 18.18181818181818, 0.36363636363636365, 14.545454545454545, 0.9090909090909091, 20.0]),
    'x3-fdiag-cplx_row': ((3, 2, 2), 'complex128', [[0.0, 1.0], [1.0, 2.0], [6.0, 1.0], [7.0, 2.0], [2.0, 1.0], [3.0, 2.0], [8.0, 1.0], [9.0, 2.0], [4.0, 1.0], [5.0, 2.0], [10.0, 1.0], [11.0, 2.0]]),
    'x3-flr-add_row': ((2, 3, 2), 'float64', [14.0, 25.0, 12.0, 23.0, 10.0, 21.0, 20.0, 31.0, 18.0, 29.0, 16.0, 27.0]),
    'x3-flr-add_one': ((2, 3, 2), 'float64', [5.5, 6.5, 3.5, 4.5, 1.5, 2.5, 11.5, 12.5, 9.5, 10.5, 7.5, 8.5]),
    'x3-flr-add_0d': ((2, 3, 2), 'float64', [6.5, 7.5, 4.5, 5.5, 2.5, 3.5, 12.5, 13.5, 10.5, 11.5, 8.5, 9.5]),
    'x3-flr-sub_val': ((2, 3, 2), 'float64', [3.0, 4.0, 1.0, 2.0, -1.0, 0.0, 9.0, 10.0, 7.0, 8.0, 5.0, 6.0]),
    'x3-flr-mul_valrow': ((2, 3, 2), 'float64', [8.0, 15.0, 4.0, 9.0, 0.0, 3.0, 20.0, 33.0, 16.0, 27.0, 12.0, 21.0]),
    'x3-flr-div_row': ((2, 3, 2), 'float64', [2.0, 1.25, 1.0, 0.75, 0.0, 0.25, 5.0, 2.75, 4.0, 2.25, 3.0, 1.75]),
    'x3-flr-floordiv_row': ((2, 3, 2), 'float64', [2.0, 1.0, 1.0, 1.0, 0.0, 0.0, 5.0, 3.0, 4.0, 3.0, 3.0, 2.0]),
    'x3-flr-gt_row': ((2, 3, 2), 'bool', [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    'x3-flr-le_val': ((2, 3, 2), 'bool', [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    'x3-flr-eq_row': ((2, 3, 2), 'bool', [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    'x3-flr-offset_row': ((2, 3, 2), 'float64', [104.0, 205.0, 102.0, 203.0, 100.0, 201.0, 110.0, 211.0, 108.0, 209.0, 106.0, 207.0]),
    'x3-flr-gauss_mu_row': ((2, 3, 2), 'float64', [104.0, 205.0, 102.0, 203.0, 100.0, 201.0, 110.0, 211.0, 108.0, 209.0, 106.0, 207.0]),
    'x3-flr-clip_row': ((2, 3, 2), 'float64', [4.0, 5.0, 2.0, 3.0, 2.0, 3.0, 4.0, 8.0, 4.0, 8.0, 4.0, 7.0]),
    'x3-flr-nmm_row': ((2, 3, 2), 'float64', [0.36363636363636365, 14.545454545454545, 0.18181818181818182, 12.727272727272727, 0.0, 10.90909090909091, 0.9090909090909091, 20.0, 0.7272727272727273, 18.18181818181818, 0.5454545454545454, 16.363636363636363]),
    'x3-flr-cplx_row': ((2, 3, 2), 'complex128', [[4.0, 1.0], [5.0, 2.0], [2.0, 1.0], [3.0, 2.0], [0.0, 1.0], [1.0, 2.0], [10.0, 1.0], [11.0, 2.0], [8.0, 1.0], [9.0, 2.0], [6.0, 1.0], [7.0, 2.0]]),
}


class BroadcastAfterViews(unittest.TestCase):
    def test_every_kind_and_view_gives_deeptrack2s_values(self):
        cases = list(_cases())
        self.assertEqual(sorted(name for name, _, _ in cases), sorted(EXPECTED))
        for name, xk, e in cases:
            with self.subTest(name, expression=e):
                x = {"x2": X2, "x3": X3}[xk]
                expected = EXPECTED[name]
                if expected is None:
                    with self.assertRaises(Exception):
                        eval(e)(x)
                    continue
                shape, dtype, values = expected
                out = np.asarray(eval(e)(x))
                self.assertEqual(out.shape, shape)
                self.assertEqual(str(out.dtype), dtype)
                if np.iscomplexobj(out):
                    got = [[float(v.real), float(v.imag)] for v in out.ravel()]
                else:
                    got = [float(v) for v in out.ravel()]
                np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(values, dtype=float), rtol=1e-12)

    def test_the_input_is_not_changed(self):
        x = X2.copy()
        (dt.Transpose() >> dt.Add(value=np.array([10.0, 20.0])))(x)
        np.testing.assert_array_equal(x, X2)


class IndexFeatureWithoutImage(unittest.TestCase):
    def test_an_index_feature_giving_no_image_is_an_error(self):
        x = np.arange(12.0).reshape(3, 4)
        for name, f in [
            ("mask of a DummyFeature", dt.DummyFeature()[dt.DummyFeature() > 4]),
            ("an Add", dt.DummyFeature()[dt.Add(value=1)]),
            ("second item", dt.DummyFeature()[1:, dt.Add(value=1)]),
        ]:
            with self.subTest(name):
                with self.assertRaises(TypeError) as cm:
                    f(x)
                message = str(cm.exception)
                self.assertIn("feature 'Slice'", message)
                self.assertIn("property 'slices'", message)
                self.assertIn("of the index gave no image", message)
        with self.assertRaises(TypeError) as cm:
            dt.DummyFeature()[1:, dt.Add(value=1)](x)
        self.assertIn("item 1 of the index", str(cm.exception))

    def test_none_and_an_index_feature_with_an_image_still_index(self):
        x = np.arange(12.0).reshape(3, 4)
        self.assertEqual(dt.DummyFeature()[None](x).shape, (1, 3, 4))
        out = np.asarray(dt.DummyFeature()[dt.Value(value=np.arange(12.0).reshape(3, 4)) > 4](x))
        np.testing.assert_array_equal(out, x[x > 4])


class CallTimeOverrides(unittest.TestCase):
    """The values are DeepTrack2 2.0.1's (same calls)."""

    def setUp(self):
        logging.disable(logging.WARNING)
        warnings.simplefilter("ignore")
        self.addCleanup(logging.disable, logging.NOTSET)
        self.x = np.zeros((2, 2))

    def first(self, f):
        return float(np.asarray(f(self.x))[0, 0])

    def test_a_linked_feature_outside_the_pipeline_keeps_its_value(self):
        for how in ["call", "resolve"]:
            with self.subTest(how):
                p = dt.Add(value=1)
                f = dt.Add(value=p.value)
                out = f(self.x, value=5) if how == "call" else f.resolve(self.x, value=5)
                self.assertEqual(float(np.asarray(out)[0, 0]), 5.0)
                self.assertEqual(p.value(), 1)
                self.assertEqual(self.first(p), 1.0)
                self.assertEqual(self.first(f), 5.0)  # until the update, as 2.0.1
                f.update()
                self.assertEqual(self.first(f), 1.0)
                self.assertEqual((f.value(), p.value()), (1, 1))

    def test_a_linked_feature_inside_the_pipeline_takes_the_value(self):
        p = dt.Add(value=1)
        f = p >> dt.Add(value=p.value)
        self.assertEqual(float(np.asarray(f(self.x, value=5))[0, 0]), 10.0)
        self.assertEqual(self.first(f), 10.0)
        f.update()
        self.assertEqual(self.first(f), 2.0)
        self.assertEqual(p.value(), 1)

    def test_own_properties_take_the_value_until_the_update(self):
        for name, make in [
            ("constant", lambda: dt.Add(value=2)),
            ("lambda", lambda: dt.Add(value=lambda: 2)),
            ("dependent", lambda: dt.Add(value=lambda s: s, s=2)),
        ]:
            with self.subTest(name):
                f = make()
                self.assertEqual(float(np.asarray(f(self.x, value=5))[0, 0]), 5.0)
                self.assertEqual(self.first(f), 5.0)
                f.update()
                self.assertEqual(self.first(f), 2.0)
                self.assertEqual(f.value(), 2)

    def test_a_feature_given_as_a_value_is_in_the_pipeline(self):
        v = dt.Value(value=3)
        f = dt.Add(value=v)
        self.assertEqual(float(np.asarray(f(self.x, value=5))[0, 0]), 5.0)
        self.assertEqual(v.value(), 5)
        f.update()
        self.assertEqual(self.first(f), 3.0)


class PropertyIndexing(unittest.TestCase):
    """The values are DeepTrack2 2.0.1's (same calls)."""

    def test_items_and_slices_of_a_property(self):
        x = np.zeros((2, 2))
        a = dt.DummyFeature(v=np.array([3.0, 4.0, 5.0]))
        np.testing.assert_array_equal((a >> dt.Add(value=a.v[1:]))(x), [[4.0, 5.0], [4.0, 5.0]])
        np.testing.assert_array_equal((a >> dt.Add(value=a.v[-1]))(x), [[5.0, 5.0], [5.0, 5.0]])
        np.testing.assert_array_equal(dt.Add(value=a.v[1:])(x), [[4.0, 5.0], [4.0, 5.0]])
        p = dt.DummyFeature(position=(3, 7))
        self.assertEqual((p.position[0](), p.position[1](), p.position[::-1]()), (3, 7, (7, 3)))
        b = dt.Add(value=3)
        f = b >> dt.Add(value=b.value + 0)
        with self.assertRaises(TypeError):
            dt.Add(value=b.value[0])(x)  # an int is not subscriptable, as in 2.0.1
        del f

    def test_an_item_follows_its_parents_sample(self):
        x = np.zeros((2, 2))
        r = dt.DummyFeature(v=lambda: np.random.rand(3))
        d = dt.Add(value=r.v[0])
        out = (r >> d)(x)
        self.assertEqual(out[0, 0], r.v()[0])
        self.assertEqual(d.value(), r.v()[0])
        r.update()
        d.update()
        again = (r >> d)(x)
        self.assertEqual(again[0, 0], r.v()[0])
        self.assertNotEqual(again[0, 0], out[0, 0])

    def test_a_property_is_not_iterated_by_index(self):
        # A deliberate difference (README): 2.0.1's node iterates forever by index.
        with self.assertRaises(TypeError):
            iter(dt.DummyFeature(position=(3, 7)).position)


if __name__ == "__main__":
    unittest.main()
