"""numpy integer arrays as property values keep their integers (as DeepTrack2 2.0.1 keeps the array
itself): a constant ``np.array([1, 2])`` or a rule such as ``lambda: np.random.randint(0, 64, 2)``
reads back from property dicts, ``get_property``, ``feature.pos()`` and the library's ground-truth
table as int64 integers, so that it indexes numpy arrays; wherever the library computes with one it
reads its values (arithmetic operands, clip bounds, indices), with 2.0.1's results."""

import copy
import pickle
import unittest
import warnings

import numpy as np

import deeptrack_native as dt
from deeptrack_native import _store, data


def _draw():
    return np.array([4, 1])


class Quiet(unittest.TestCase):
    """The extra keywords (``pos``, ``label``) are the point: their warning is not shown."""

    def setUp(self):
        self.enterContext(warnings.catch_warnings())
        warnings.simplefilter("ignore", dt.UnknownPropertyWarning)


class DictsKeepIntegers(Quiet):
    def test_a_rule_returning_an_int_array_reads_back_as_int64_everywhere(self):
        # 2.0.1: f.resolve(x).properties[0]["pos"] is array([4, 1]) of int64 (the rule's array).
        f = dt.Add(value=1, pos=lambda: np.array([4, 1]))
        f.store_properties()
        out = f.resolve(np.zeros(3))
        for got in (out.properties[0]["pos"], out.get_property("pos"), f.pos(), f.properties["pos"]()):
            self.assertIsInstance(got, np.ndarray)
            self.assertEqual(got.dtype, np.int64)
            self.assertEqual(got.tolist(), [4, 1])
        self.assertEqual([p.tolist() for p in out.get_property("pos", get_one=False)], [[4, 1]])
        # Ground truth indexes arrays: a float array here would raise IndexError.
        grid = np.arange(100).reshape(10, 10)
        pos = out.properties[0]["pos"]
        self.assertEqual(grid[pos[0], pos[1]], 41)
        self.assertEqual(grid[tuple(pos)], 41)

    def test_random_draws_are_integers_and_index(self):
        classes = np.array([10, 20, 30])
        v = dt.Value(value=0, label=lambda: np.random.randint(0, 3, 1))
        v.store_properties()
        for _ in range(5):
            v.update()
            label = v.resolve().properties[0]["label"]
            self.assertEqual((label.dtype, label.shape), (np.int64, (1,)))
            self.assertIn(np.take(classes, label)[0], classes)
        # A Value whose value is a rule returning an int array: an int64 image, as 2.0.1 gives.
        w = dt.Value(value=lambda: np.random.randint(0, 10, 2))
        w.store_properties()
        out = w.resolve()
        self.assertEqual(np.asarray(out).dtype, np.int64)
        self.assertEqual(out.properties[0]["value"].dtype, np.int64)
        self.assertEqual(out.properties[0]["value"].tolist(), np.asarray(out).tolist())

    def test_a_constant_int_array_and_other_integer_dtypes(self):
        for dtype in (np.int64, np.int32, np.int16, np.int8, np.uint8, np.uint16, np.uint32, np.uint64):
            f = dt.Multiply(value=np.array([3, 2], dtype=dtype))
            f.store_properties()
            out = f.resolve(np.array([1.5, 1.5]))
            self.assertEqual(np.asarray(out).tolist(), [4.5, 3.0])  # 2.0.1's values
            got = out.properties[0]["value"]
            # 2.0.1 gives back the dtype given; the library holds every integer dtype as int64.
            self.assertEqual((got.dtype, got.tolist()), (np.int64, [3, 2]), dtype)
            self.assertEqual(f.value().dtype, np.int64)
        # uint64 beyond int64 stays a float array (as before); 0-d and n-d shapes are kept.
        big = dt.Value(value=0, v=np.array([2**63 + 5], dtype=np.uint64))
        big.store_properties()
        self.assertEqual(big.resolve().properties[0]["v"].dtype, np.float64)
        for arr in (np.array(7), np.arange(6).reshape(2, 3), np.zeros((0, 2), dtype=int)):
            f = dt.Value(value=0, v=arr)
            f.store_properties()
            got = f.resolve().properties[0]["v"]
            self.assertEqual((got.dtype, got.shape, got.tolist()), (np.int64, arr.shape, arr.tolist()))
        # Exact beyond 2^53 (a float64 would round it).
        f = dt.Value(value=0, v=np.array([2**53 + 1, -(2**63)]))
        f.store_properties()
        self.assertEqual(f.resolve().properties[0]["v"].tolist(), [2**53 + 1, -(2**63)])
        # Lists of ints stay lists.
        f = dt.Value(value=0, v=[1, 2])
        f.store_properties()
        self.assertEqual(f.resolve().properties[0]["v"], [1, 2])

    def test_the_library_table_gives_integers(self):
        from deeptrack_native import _items

        p = dt.PointParticle(position=lambda: np.array([15, 18]), intensity=1, label=np.array(2))
        pipe = dt.Fluorescence(output_region=(0, 0, 32, 32))(p)
        pipe.store_properties()
        # generate's items: rendered images whose dicts are still the library's.
        ((img,),) = _items.render(pipe, 1, 0, 0, 1, threads=1)
        rows = _store.library_table(img.__dict__["_library_owner"])
        self.assertEqual([r["position"] for r in rows], [[15, 18]])
        self.assertTrue(all(type(x) is int for x in rows[0]["position"]))
        self.assertEqual((rows[0]["label"], type(rows[0]["label"])), (2, int))
        (row,) = data.table_of(img)
        # The dataset table's position columns are floats (one type per column); a 0-d label an int.
        self.assertEqual((row["position_0"], row["position_1"], row["label"], type(row["label"])), (15.0, 18.0, 2, int))
        self.assertEqual(np.unravel_index(np.argmax(np.asarray(img)[..., 0]), (32, 32)), (15, 18))  # as 2.0.1
        self.assertEqual(img.get_property("position").dtype, np.int64)
        self.assertEqual(data.positions(img).tolist(), [[15.0, 18.0]])


class ComputingWithIntArrays(Quiet):
    def test_arithmetic_operands_give_2_0_1s_values(self):
        x = np.array([1.5, 7.0])
        expected = {  # DeepTrack2 2.0.1, op(value=np.array([2, 3]))(x)
            dt.Add: [3.5, 10.0],
            dt.Subtract: [-0.5, 4.0],
            dt.Multiply: [3.0, 21.0],
            dt.Divide: [0.75, 2.3333333333333335],
            dt.Power: [2.25, 343.0],
            dt.FloorDivide: [0.0, 2.0],
        }
        for op, values in expected.items():
            self.assertEqual(np.asarray(op(value=np.array([2, 3]))(x)).tolist(), values, op.__name__)
        clip = dt.Clip(min=np.array([1, 2]), max=np.array([5, 6]))
        self.assertEqual(np.asarray(clip(np.array([0.0, 9.0]))).tolist(), [1.0, 6.0])
        self.assertEqual(np.asarray(dt.Pad(px=np.array([1, 1, 2, 0]))(np.ones((2, 2)))).shape, (4, 4))
        grid = np.arange(12.0).reshape(3, 4)
        self.assertEqual(np.asarray(dt.Value(value=grid)[np.array([2, 0])]()).tolist(), [grid[2].tolist(), grid[0].tolist()])
        # An int array drawn per sample as an operand.
        f = dt.Add(value=lambda: np.array([2, 3]))
        self.assertEqual(np.asarray(f(x)).tolist(), [3.5, 10.0])

    def test_setting_an_int_array_in_place_of_equal_floats_shows_the_ints(self):
        f = dt.Add(value=np.array([1.0, 2.0]))
        f.store_properties()
        f.value.set_value(np.array([1, 2]))
        self.assertEqual(f.resolve(np.zeros(2)).properties[0]["value"].dtype, np.int64)


class PicklingAndCopying(Quiet):
    def test_features_and_images_with_int_arrays_pickle_and_copy(self):
        f = dt.Add(value=np.array([1, 2], dtype=np.int16), pos=_draw)
        f.store_properties()
        out = f.resolve(np.zeros(2))
        for back in (pickle.loads(pickle.dumps(out)), copy.deepcopy(out), copy.copy(out)):
            for key, expected in (("value", [1, 2]), ("pos", [4, 1])):
                got = back.properties[0][key]
                self.assertEqual((got.dtype, got.tolist()), (np.int64, expected))
        g = pickle.loads(pickle.dumps(f))
        g.store_properties()
        again = g.resolve(np.zeros(2))
        self.assertEqual(np.asarray(again).tolist(), [1.0, 2.0])
        self.assertEqual(again.properties[0]["pos"].dtype, np.int64)
        self.assertEqual(g.value().dtype, np.int64)


if __name__ == "__main__":
    unittest.main()


def _moved(aug, pos):
    """The positions ``aug`` gives to an 8 x 10 image whose dict holds ``pos``."""
    pipe = dt.Value(value=lambda: np.zeros((8, 10)), position=pos) >> aug
    pipe.store_properties()
    return [p["position"] for p in pipe.update().resolve().properties if "position" in p]


class GeometricMovesKeepIntegers(Quiet):
    """DeepTrack2 2.0.1 (target/dt2-venv), ``dt.Value(value=lambda: np.zeros((8, 10)),
    position=pos) >> aug``: the flips and crops keep an integer position int64 (a list or tuple of
    ints becoming an int64 array), exact beyond 2^53 and wrapping as numpy's int64."""

    BIG = 2**62 + 1

    def assertInts(self, got, expected):
        self.assertIsInstance(got, np.ndarray)
        self.assertEqual(got.dtype, np.int64, got)
        self.assertEqual(got.tolist(), expected)

    def test_flips(self):
        for pos in (np.array([3, 4]), [3, 4], (3, 4)):
            self.assertInts(_moved(dt.FlipLR(p=1), pos)[0], [3, 5])
            self.assertInts(_moved(dt.FlipUD(p=1), pos)[0], [4, 4])
            self.assertInts(_moved(dt.FlipDiagonal(p=1), pos)[0], [4, 3])
        self.assertInts(_moved(dt.FlipLR(p=1), np.array([[1, 2], [3, 4]]))[0], [[1, 7], [3, 5]])
        self.assertInts(_moved(dt.FlipUD(p=1), np.array([[1, 2], [3, 4]]))[0], [[6, 2], [4, 4]])
        self.assertInts(_moved(dt.FlipLR(p=1), np.array([self.BIG, 5]))[0], [self.BIG, 4])
        self.assertInts(_moved(dt.FlipUD(p=1), np.array([self.BIG, 5]))[0], [-4611686018427387898, 5])
        self.assertInts(_moved(dt.FlipDiagonal(p=1), np.array([self.BIG, 5]))[0], [5, self.BIG])
        # A float among the coordinates: floats, as np.array([3, 4.5]) is.
        got = _moved(dt.FlipDiagonal(p=1), [3, 4.5])[0]
        self.assertEqual((got.dtype, got.tolist()), (np.float64, [4.5, 3.0]))

    def test_crops(self):
        crop = dt.Crop(crop=(5, 6), corner=(2, 3))
        for pos in (np.array([3, 4]), [3, 4], (3, 4)):
            self.assertInts(_moved(crop, pos)[0], [1, 1])
        self.assertInts(_moved(crop, np.array([[1, 2], [3, 4]]))[0], [[-1, -1], [1, 1]])
        self.assertInts(_moved(crop, np.array([self.BIG, 5]))[0], [self.BIG - 2, 2])
        self.assertInts(_moved(dt.CropToMultiplesOf(multiple=4, corner=(0, 0)), [3, 4])[0], [3, 4])
        got = _moved(crop, [3, 4.5])[0]
        self.assertEqual((got.dtype, got.tolist()), (np.float64, [1.0, 1.5]))

    def test_pad_shifts_in_integers_and_affine_maps_in_floats(self):
        # 2.0.1's Pad leaves positions (README's deliberate differences); here a whole-number shift.
        self.assertInts(_moved(dt.Pad(px=(1, 2, 3, 4)), [3, 4])[0], [4, 7])
        # 2.0.1's Affine truncates its float map into the int64 array (array([3, 4]) for [3, 4.5]);
        # here the mapped position, as floats.
        affine = dt.Affine(translate=(0.5, 0), scale=1, rotate=0, shear=0, order=1)
        got = _moved(affine, np.array([3, 4]))[0]
        self.assertEqual((got.dtype, got.tolist()), (np.float64, [3.0, 4.5]))
