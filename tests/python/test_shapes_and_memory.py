"""Issue 12 through Python: 0-d images follow numpy's legacy rule where DeepTrack2 2.0.1 returns a
result (checked with 2.0.1: Sum, Prod, Min, Max, PeakToPeak with axis 0 or -1 give a 0-d result,
Cumsum one of shape (1,), Squeeze a 0-d one; Mean, Median, Std, Variance and a tuple of axes raise);
AsType and the comparisons give a 0-d ndarray of their dtype, as 2.0.1; ElasticTransformation with
no axis to displace raises an ordinary error; an input that cannot be allocated raises MemoryError;
MedianBlur in a limited address space runs in memory bounded by the image and the window, or raises
MemoryError, and the process goes on; NonOverlapping's search is bounded, with an error stating the
limit."""

import os
import subprocess
import sys
import textwrap
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import errors


def zero_d():
    return np.array(3.0)


class LegacyZeroDimensionalRule(unittest.TestCase):
    def test_reductions_with_axis_0_or_minus_1_reduce_the_one_number(self):
        for name, expected in [("Sum", 3.0), ("Prod", 3.0), ("Min", 3.0), ("Max", 3.0), ("PeakToPeak", 0.0)]:
            for axis in (0, -1):
                for keepdims in (False, True):
                    with self.subTest(name=name, axis=axis, keepdims=keepdims):
                        out = getattr(dt, name)(axis=axis, keepdims=keepdims).resolve(zero_d())
                        self.assertEqual(np.ndim(out), 0)
                        self.assertEqual(float(out), expected)
            for axis in (1, (0,), (0, -1)):
                with self.subTest(name=name, axis=axis):
                    with self.assertRaisesRegex(errors.InvalidArgumentError, "is out of bounds for an image of 0"):
                        getattr(dt, name)(axis=axis).resolve(zero_d())

    def test_cumsum_and_squeeze(self):
        for axis in (0, -1):
            out = dt.Cumsum(axis=axis).resolve(zero_d())
            self.assertEqual((np.shape(out), list(out)), ((1,), [3.0]))
            out = dt.Squeeze(axis=axis).resolve(zero_d())
            self.assertEqual((np.ndim(out), float(out)), (0, 3.0))
        with self.assertRaises(errors.InvalidArgumentError):
            dt.Squeeze(axis=1).resolve(zero_d())

    def test_reductions_that_check_their_axis_raise_as_numpy(self):
        for name in ("Mean", "Median", "Std", "Variance"):
            for axis in (0, -1):
                with self.assertRaisesRegex(
                    errors.InvalidArgumentError,
                    f"property 'axis' of feature '{name}': axis {axis} is out of bounds for an image of 0 dimensions",
                ):
                    getattr(dt, name)(axis=axis).resolve(zero_d())

    def test_as_type_gives_a_0d_array_of_its_dtype_and_comparisons_numpys_bool(self):
        for dtype in ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float16",
                      "float32", "bool"):
            with self.subTest(dtype=dtype):
                out = dt.AsType(dtype=dtype).resolve(np.array(3.7))
                self.assertIs(type(out), np.ndarray)
                self.assertEqual((out.shape, out.dtype), ((), np.dtype(dtype)))
                self.assertEqual(out, np.array(3.7).astype(dtype))
        for feature, expected in [(dt.GreaterThan(value=1), True), (dt.LessThan(value=1), False),
                                  (dt.Equals(value=3), True)]:
            # numpy's comparison of a 0-d array, as DeepTrack2 2.0.1 returns it: np.bool_.
            out = feature.resolve(zero_d())
            self.assertIs(type(out), np.bool_)
            self.assertEqual((np.shape(out), out.dtype, bool(out)), ((), np.dtype(bool), expected))
        # A whole-number Value is Python's int, as in 2.0.1.
        self.assertIs(type(dt.Value(value=3).resolve()), int)

    def test_elastic_transformation_without_an_axis_to_displace_is_an_ordinary_error(self):
        for ignore_last_dim, image in [(False, zero_d()), (True, np.array([3.0]))]:
            for order in (0, 1, 3):
                with self.assertRaisesRegex(errors.InvalidArgumentError, "has no axis to displace"):
                    dt.ElasticTransformation(ignore_last_dim=ignore_last_dim, order=order).resolve(image)


class MemoryErrors(unittest.TestCase):
    def test_an_input_that_cannot_be_converted_for_lack_of_memory_raises_memory_error(self):
        # 512 GiB as float64 (the copy numpy cannot allocate), from float64, int64 and float32.
        for scalar in (np.float64(1), np.int64(1), np.float32(1)):
            with self.subTest(dtype=type(scalar).__name__):
                huge = np.broadcast_to(scalar, (2**18, 2**18))
                with self.assertRaises(MemoryError):
                    dt.Add(value=1).resolve(huge)
        # A ragged input is still a TypeError.
        with self.assertRaises(TypeError):
            dt.Add(value=1).resolve(np.array([[1.0, 2.0], [3.0]], dtype=object))

    def run_limited(self, system_allocator):
        script = textwrap.dedent(
            """
            import resource
            import numpy as np
            import deeptrack_native as dt

            def limit_to(margin):
                with open("/proc/self/status") as f:
                    vm = next(int(l.split()[1]) for l in f if l.startswith("VmSize:")) * 1024
                soft, hard = resource.getrlimit(resource.RLIMIT_AS)
                resource.setrlimit(resource.RLIMIT_AS, (vm + margin, hard))

            def unlimit():
                soft, hard = resource.getrlimit(resource.RLIMIT_AS)
                resource.setrlimit(resource.RLIMIT_AS, (hard, hard))

            dt.MedianBlur(ksize=3).resolve(np.arange(8.0))
            short, blur = np.arange(2.0), dt.MedianBlur(ksize=2**20)
            limit_to(4 << 20)
            try:
                out = blur.resolve(short)
                print("ran", out.tolist())
            except MemoryError as e:
                print("MemoryError", e)
            unlimit()
            ramp, blur = np.arange(2.0**18), dt.MedianBlur(ksize=1024)
            limit_to(512 << 20)
            out = blur.resolve(ramp)
            unlimit()
            print("long", out[512], out[100000], len(out))
            print("after", dt.MedianBlur(ksize=3).resolve(np.arange(5.0)).tolist())
            """
        )
        env = dict(os.environ)
        env.pop("DEEPTRACK_SYSTEM_ALLOCATOR", None)
        if system_allocator:
            env["DEEPTRACK_SYSTEM_ALLOCATOR"] = "1"
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout.splitlines()

    def test_median_blur_in_a_limited_address_space(self):
        for system_allocator in (False, True):
            with self.subTest(system_allocator=system_allocator):
                lines = self.run_limited(system_allocator)
                self.assertEqual(lines[-2:], ["long 512.0 100000.0 262144", "after [0.0, 1.0, 2.0, 3.0, 4.0]"])
                # The scratch of a window of 2^20 (24 MiB) does not fit in 4 MiB more than is in use:
                # MemoryError, unless the allocator had reserved room before (mimalloc's arenas).
                expected = ["MemoryError property 'ksize' of feature 'MedianBlur': cannot allocate the scratch of a "
                            "window of 1048576 samples"]
                if not system_allocator:
                    expected.append("ran [1.0, 1.0]")
                self.assertIn(lines[0], expected)


    def test_image_kinds_in_a_limited_address_space_raise_memory_error(self):
        # The kinds that aborted on an infallible image-sized copy (noise, axis reductions): warmed
        # up on 8 x 8, then a 2000 x 2000 image in 20 MiB more than is in use. tests/address_space.rs
        # sweeps every kind of the registry this way.
        script = textwrap.dedent(
            """
            import resource, sys
            import numpy as np
            import deeptrack_native as dt

            x = np.random.rand(2000, 2000)
            for f in [dt.Gaussian(), dt.Poisson(), dt.Background(offset=1), dt.Offset(offset=1),
                      dt.Median(axis=0), dt.Percentile(q=50, axis=0), dt.Cumsum(axis=0)]:
                f(np.random.rand(8, 8))
                with open("/proc/self/status") as s:
                    vm = next(int(l.split()[1]) for l in s if l.startswith("VmSize:")) * 1024
                soft, hard = resource.getrlimit(resource.RLIMIT_AS)
                resource.setrlimit(resource.RLIMIT_AS, (vm + (20 << 20), hard))
                try:
                    f(x)
                    print(type(f).__name__, "ran")
                except MemoryError as e:
                    print(type(f).__name__, "MemoryError", e)
                resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
            """
        )
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.splitlines()
        self.assertEqual(len(lines), 7, done.stdout)
        for line in lines:
            name = line.split()[0]
            self.assertIn(
                line,
                [f"{name} ran", f"{name} MemoryError feature '{name}': cannot allocate an image of 4000000 elements"],
            )
        self.assertIn("MemoryError", lines[0])

    def test_a_propagation_matrix_that_cannot_be_allocated_raises_memory_error(self):
        for shape in [(2**40, 1), (1, 2**40)]:
            with self.assertRaises(MemoryError) as caught:
                dt.get_propagation_matrix(shape, 1e-6, 1e-7, 5e-7)
            self.assertIn(f"cannot allocate a {shape[0]} x {shape[1]} matrix", str(caught.exception))

    def test_a_batch_whose_results_cannot_be_allocated_raises_memory_error_naming_the_count(self):
        pipe = dt.Value(value=np.zeros(3)) >> dt.Add(value=1)
        for kwargs in ({"threads": 2}, {"processes": 2}):
            with self.subTest(**kwargs), self.assertRaises(MemoryError) as caught:
                pipe.resolve_batch(10**13, **kwargs)
            self.assertEqual(
                str(caught.exception), "feature 'Chain': cannot allocate the results of a batch of 10000000000000 items"
            )


class BatchItemRange(unittest.TestCase):
    def test_items_past_the_last_index_are_refused_not_wrapped(self):
        message = (
            "feature 'Chain': the items first .. first + count (first = 18446744073709551615, count = 2) go past "
            "the last item index 18446744073709551615: first + count - 1 overflows"
        )
        native = dt.Value(value=np.zeros(3)) >> dt.Add(value=1)
        python = dt.Value(value=lambda: np.zeros(3)) >> dt.Add(value=1)
        for pipe, kwargs in [(native, {"threads": 2}), (python, {}), (native, {"processes": 2})]:
            with self.subTest(python=pipe is python, **kwargs), self.assertRaises(errors.InvalidArgumentError) as caught:
                pipe.resolve_batch(2, first=2**64 - 1, **kwargs)
            self.assertEqual(str(caught.exception), message)
        # The last index itself is an item.
        self.assertEqual(native.resolve_batch(1, first=2**64 - 1, threads=2)[0].tolist(), [1.0, 1.0, 1.0])
        self.assertEqual(python.resolve_batch(1, first=2**64 - 1)[0].tolist(), [1.0, 1.0, 1.0])


class EmptyCameraField(unittest.TestCase):
    def test_an_empty_field_is_said_to_be_empty(self):
        with self.assertRaises(ValueError) as caught:
            dt.Camera()(np.zeros((0, 5)))
        self.assertEqual(
            str(caught.exception),
            "feature 'Camera': a camera images a field of at least one pixel, got an empty field of shape [0, 5] "
            "(no rows or no columns)",
        )
        with self.assertRaises(ValueError) as caught:
            dt.Camera()(np.zeros(5))
        self.assertIn("a camera images a 2-D field (H, W) or (H, W, channels), got shape [5] (1 axes)", str(caught.exception))


class LongListParameters(unittest.TestCase):
    def test_long_lists_of_numbers_convert_item_by_item(self):
        # The fast path for plain ints and floats keeps the values, the other items their checks.
        x = np.arange(24.0).reshape(2, 3, 4)
        self.assertEqual(dt.Transpose(axes=[2, 0, 1])(x).shape, (4, 2, 3))
        with self.assertRaises(OverflowError) as caught:
            dt.Transpose(axes=[0, 2**70])
        self.assertIn("[1]: the integer 1180591620717411303424 does not fit in 64 bits", str(caught.exception))
        self.assertEqual(dt.Slice(slices=(slice(None), 1, slice(0, 2)))(x).tolist(), x[:, 1, 0:2].tolist())
        self.assertEqual(dt.Pad(px=[1, 0, 2, 0])(np.zeros((2, 2))).shape, (3, 4))


class BoundedPlacement(unittest.TestCase):
    def test_a_search_beyond_the_work_limit_is_an_error_stating_the_limit(self):
        sphere = dt.Sphere(radius=1e-6, position=lambda: np.random.rand(2) * 4)
        placed = dt.NonOverlapping(sphere ^ 200, min_distance=1, max_attempts=2, max_iters=1000)
        placed.store_properties()
        with self.assertRaisesRegex(
            errors.InvalidArgumentError,
            r"property 'max_iters' of feature 'NonOverlapping': placing 200 scatterers apart took 497 re-draws "
            r"without success .* which exceeds the maximum of 10000000",
        ):
            placed.resolve()


if __name__ == "__main__":
    unittest.main()
