"""deeptrack_native.data.generate/load: N items of the batch stream to Zarr or OME-TIFF with the
ground-truth table and the metadata to regenerate them; resumable after an interruption; progress as a
tqdm bar, a plain line or a callable (fed by the batch API's C progress callback)."""

import contextlib
import html
import io
import json
import os
import shutil
import sys
import tempfile
import unittest
import warnings
from unittest import mock

import numpy as np

import deeptrack_native as dt
from deeptrack_native import data

try:
    import tifffile
    import zarr  # noqa: F401
except ImportError:  # pragma: no cover - the test environment installs both (Makefile)
    tifffile = None


def pipeline(size=24, n=3):
    particle = dt.PointParticle(
        position=lambda: np.random.rand(2) * size, intensity=lambda: 50 + 50 * np.random.rand()
    )
    return dt.Fluorescence(NA=0.8, wavelength=680e-9, output_region=(0, 0, size, size))(particle ^ n) >> dt.Gaussian(
        sigma=0.01
    )


def native_pipeline(size=24):
    particle = dt.Sphere(position=(8.0, 12.0), z=0.5, radius=1e-6, intensity=100)
    return dt.Fluorescence(output_region=(0, 0, size, size))(particle) >> dt.Gaussian(sigma=0.5)


class Stop(Exception):
    pass


@unittest.skipIf(tifffile is None, "zarr and tifffile are not installed (pip install deeptrack-native[data])")
class GenerateAndLoad(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def check_dataset(self, stored, pipe, count, seed):
        reference = pipe.resolve_batch(count, seed=seed)
        self.assertEqual(len(stored), count)
        self.assertEqual(stored.images.shape, (count, 24, 24, 1))
        self.assertEqual((stored.dtype, stored.images.dtype), (np.float32, np.float32), "float32 by default")
        self.assertEqual((stored.metadata["dtype"], stored.metadata["dtypes"]), ("float32", {"images": "float32"}))
        for i in range(count):
            np.testing.assert_array_equal(
                np.asarray(stored.images[i]), np.asarray(reference[i]).astype(np.float32), "rounded to float32"
            )
        table = stored.table
        self.assertEqual(list(table)[:5], ["item", "frame", "position_0", "position_1", "z"])
        self.assertIn("intensity", table)
        self.assertEqual(len(table["item"]), 3 * count, "one row per particle per item")
        np.testing.assert_array_equal(table["frame"], 0)
        for i in (0, count - 1):
            rows = stored.rows(i)
            positions = np.array(reference[i].get_property("position", get_one=False))
            np.testing.assert_array_equal(np.stack([rows["position_0"], rows["position_1"]], 1), positions)
            np.testing.assert_array_equal(rows["intensity"], reference[i].get_property("intensity", get_one=False))
            self.assertEqual(list(rows["name"]), ["PointParticle"] * 3)
        meta = stored.metadata
        self.assertEqual((meta["seed"], meta["count"], meta["complete"]), (seed, count, True))
        self.assertEqual(meta["description"]["feature"], "Chain")
        self.assertIn("np.random.rand(2) * size", json.dumps(meta["description"]))

    def test_zarr_holds_the_batch_streams_items_and_their_table(self):
        pipe = pipeline()
        meta = data.generate(pipe, 10, self.path("train.zarr"), seed=7, chunk=4, progress=False)
        self.assertTrue(meta["complete"])
        stored = data.load(self.path("train.zarr"))
        self.check_dataset(stored, pipe, 10, 7)
        group = zarr.open_group(self.path("train.zarr"), mode="r")
        self.assertEqual(group["images"].chunks, (1, 24, 24, 1), "chunked by item")
        self.assertFalse(os.path.exists(self.path("train.zarr/.progress")), "the work files are removed")
        # Generating it again finds it complete and renders nothing.
        calls = []
        data.generate(pipe, 10, self.path("train.zarr"), seed=7, progress=lambda d, t: calls.append(d))
        self.assertEqual(calls, [])

    def test_ome_tiff_holds_the_same_for_fiji_and_napari(self):
        pipe = pipeline()
        data.generate(pipe, 6, self.path("train.ome.tif"), seed=7, chunk=4, progress=False)
        self.assertTrue(os.path.exists(self.path("train.csv")))
        self.assertTrue(os.path.exists(self.path("train.json")))
        self.check_dataset(data.load(self.path("train.ome.tif")), pipe, 6, 7)
        with tifffile.TiffFile(self.path("train.ome.tif")) as tif:
            self.assertTrue(tif.is_ome)
            self.assertEqual(tif.series[0].shape, (6, 24, 24))
            self.assertEqual(tif.series[0].axes, "TYX")
            self.assertIn("\"seed\": 7", html.unescape(tif.ome_metadata))

    def test_image_and_target_pipelines_store_the_target(self):
        particle = dt.PointParticle(position=lambda: 4 + np.random.rand(2) * 16, intensity=100)
        particles = particle ^ 2
        optics = dt.Fluorescence(output_region=(0, 0, 24, 24))
        masks = particles >> dt.SampleToMasks(
            lambda: lambda image: np.ones((3, 3, 1)), output_region=optics.output_region, merge_method="or"
        )
        pipe = optics(particles) & masks
        for name in ("masks.zarr", "masks.ome.tif"):
            data.generate(pipe, 5, self.path(name), seed=2, progress=False)
            stored = data.load(self.path(name))
            self.assertEqual(len(stored.targets), 1)
            items = data.Dataset(pipe, length=5, seed=2)
            for i in range(5):
                np.testing.assert_array_equal(np.asarray(stored.images[i]), items[i][0].astype(np.float32))
                np.testing.assert_array_equal(np.asarray(stored.targets[0][i]), items[i][1].astype(np.float32))
            self.assertEqual(len(stored.table["item"]), 10)

    def test_an_interrupted_generation_resumes_to_the_same_dataset(self):
        pipe = pipeline()
        for name in ("resume.zarr", "resume.ome.tif"):
            seen = []

            def interrupt(done, total):
                seen.append(done)
                if done >= 8:
                    raise Stop()

            with self.assertRaises(Stop):
                data.generate(pipe, 40, self.path(name), seed=5, chunk=4, progress=interrupt)
            with self.assertRaisesRegex(ValueError, "is incomplete"):
                data.load(self.path(name))
            resumed = []
            data.generate(pipe, 40, self.path(name), progress=lambda d, t: resumed.append(d))
            # The chunks done before the interruption (at least the 2 reported) are not rendered
            # again: the resumed count starts past them. (Workers may have finished every chunk
            # before they were stopped: then nothing is left to render.)
            self.assertTrue(all(d >= 12 for d in resumed), (name, seen, resumed))
            self.assertTrue(resumed == [] or resumed[-1] == 40, (name, seen, resumed))
            self.check_dataset(data.load(self.path(name)), pipe, 40, 5)

    def test_workers_and_one_process_write_the_same_dataset(self):
        pipe = pipeline()
        data.generate(pipe, 12, self.path("workers.zarr"), seed=4, chunk=3, processes=2, progress=False)
        data.generate(pipe, 12, self.path("one.zarr"), seed=4, chunk=3, processes=1, progress=False)
        a, b = data.load(self.path("workers.zarr")), data.load(self.path("one.zarr"))
        np.testing.assert_array_equal(np.asarray(a.images), np.asarray(b.images))
        for key in a.table:
            np.testing.assert_array_equal(a.table[key], b.table[key])
        self.check_dataset(a, pipe, 12, 4)

    def test_a_failing_item_fails_generate_with_its_exception(self):
        def position():
            if np.random.rand() > 0.9:
                raise RuntimeError("no position today")
            return np.random.rand(2) * 24

        particle = dt.PointParticle(position=position, intensity=100)
        pipe = dt.Fluorescence(output_region=(0, 0, 24, 24))(particle ^ 3)
        for processes in (1, 2):
            with self.assertRaisesRegex(RuntimeError, "no position today"):
                data.generate(pipe, 40, self.path(f"fail{processes}.zarr"), seed=4, chunk=4, processes=processes, progress=False)

    def test_another_dataset_at_the_path_is_refused_unless_overwritten(self):
        pipe = pipeline()
        data.generate(pipe, 4, self.path("d.zarr"), seed=1, progress=False)
        with self.assertRaisesRegex(ValueError, "holds another dataset"):
            data.generate(pipe, 4, self.path("d.zarr"), seed=2, progress=False)
        with self.assertRaisesRegex(ValueError, "holds another dataset"):
            data.generate(native_pipeline(), 4, self.path("d.zarr"), seed=1, progress=False)
        data.generate(pipe, 4, self.path("d.zarr"), seed=2, progress=False, overwrite=True)
        self.assertEqual(data.load(self.path("d.zarr")).metadata["seed"], 2)
        with self.assertRaisesRegex(FileNotFoundError, "holds no dataset"):
            data.load(self.path("nothing.zarr"))
        with self.assertRaisesRegex(ValueError, "count must be at least 1"):
            data.generate(pipe, 0, self.path("e.zarr"))

    def test_a_native_pipeline_reports_progress_from_the_batch_callback_and_pickles(self):
        pipe = native_pipeline()
        calls = []
        meta = data.generate(pipe, 40, self.path("n.zarr"), seed=3, chunk=20, progress=lambda d, t: calls.append((d, t)))
        self.assertEqual(calls[-1], (40, 40))
        self.assertTrue(all(t == 40 for _, t in calls))
        self.assertEqual(calls, sorted(calls))
        stored = data.load(self.path("n.zarr"))
        rows = stored.rows(0)
        self.assertEqual(rows["z"].tolist(), [0.5])
        self.assertEqual(rows["radius"].tolist(), [1e-6])
        # Without lambdas the pipeline pickles: the dataset can be regenerated from its metadata alone.
        self.assertIsNotNone(meta["pipeline_pickle"])
        again = stored.pipeline()
        np.testing.assert_array_equal(
            np.asarray(again.resolve_batch(1, seed=3, first=7)[0]).astype(stored.dtype), np.asarray(stored.images[7])
        )

    def test_the_progress_bar_is_tqdm_or_a_plain_line(self):
        pipe = native_pipeline()
        err = io.StringIO()
        with contextlib.redirect_stderr(err), mock.patch.dict(sys.modules, {"tqdm": None, "tqdm.auto": None}):
            data.generate(pipe, 6, self.path("plain.zarr"), seed=1, chunk=3)
        self.assertIn("generate: 6/6 items (100%)", err.getvalue())
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            data.generate(pipe, 6, self.path("bar.zarr"), seed=1, chunk=3)
        if "tqdm" in sys.modules or _have("tqdm"):
            self.assertIn("6/6", err.getvalue())
            self.assertIn("item/s", err.getvalue())


def _have(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


@unittest.skipIf(tifffile is None, "zarr and tifffile are not installed (pip install deeptrack-native[data])")
class StoredTypes(unittest.TestCase):
    """generate's dtype: float32 by default, float64 or camera counts as integers (checked to fit),
    recorded in the metadata and given back by load; Zarr shards written as zarr writes them."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_float64_keeps_the_rendered_values(self):
        pipe = pipeline()
        reference = pipe.resolve_batch(5, seed=4)
        for name in ("f64.zarr", "f64.ome.tif"):
            meta = data.generate(pipe, 5, self.path(name), seed=4, chunk=2, progress=False, dtype="float64")
            self.assertEqual((meta["dtype"], meta["dtypes"]), ("float64", {"images": "float64"}))
            stored = data.load(self.path(name))
            self.assertEqual((stored.dtype, stored.images.dtype), (np.float64, np.float64))
            for i in range(5):
                np.testing.assert_array_equal(np.asarray(stored.images[i]), np.asarray(reference[i]))

    def test_camera_counts_are_stored_as_integers_when_they_fit(self):
        pipe = pipeline() >> dt.Camera(photons_per_unit=1e4, read_noise=2.0, bit_depth=12)
        reference = pipe.resolve_batch(6, seed=5)
        for name in ("counts.zarr", "counts.ome.tif"):
            data.generate(pipe, 6, self.path(name), seed=5, chunk=4, progress=False, dtype=np.uint16)
            stored = data.load(self.path(name))
            self.assertEqual((stored.dtype, stored.images.dtype, stored.metadata["dtype"]), (np.uint16, np.uint16, "uint16"))
            for i in range(6):
                np.testing.assert_array_equal(np.asarray(stored.images[i]), np.asarray(reference[i]))
        # 12-bit counts above 255 do not fit in uint8; values that are not whole numbers fit no integer type.
        peak = max(float(np.max(r)) for r in reference)
        self.assertGreater(peak, 255)
        with self.assertRaises(ValueError) as raised:
            data.generate(pipe, 6, self.path("u8.zarr"), seed=5, progress=False, dtype="uint8")
        self.assertRegex(str(raised.exception), r"^generate: images of item \d+ holds \d+\.0, which exceeds the maximum of 255 of uint8")
        with self.assertRaises(ValueError) as raised:
            data.generate(pipeline(), 3, self.path("i16.zarr"), seed=5, progress=False, dtype="int16")
        self.assertIn("not a whole number: dtype='int16' stores camera counts", str(raised.exception))
        with self.assertRaises(ValueError) as raised:
            data.generate(pipe >> dt.Subtract(value=1000), 3, self.path("neg.zarr"), seed=5, progress=False, dtype="uint16")
        self.assertIn("which is below the minimum of 0 of uint16", str(raised.exception))

    def test_other_types_are_refused_and_resuming_keeps_the_stored_one(self):
        for bad in ("complex64", "bool", "float16", "not a type"):
            with self.assertRaises(ValueError) as raised:
                data.generate(pipeline(), 2, self.path("bad.zarr"), seed=1, progress=False, dtype=bad)
            self.assertIn("dtype must be float32, float64 or an integer type (camera counts)", str(raised.exception))
        pipe = pipeline()
        data.generate(pipe, 4, self.path("a.zarr"), seed=1, progress=False, dtype="float64")
        # Asking again without a dtype finds the stored one (complete: nothing rendered); another is refused.
        self.assertEqual(data.generate(pipe, 4, self.path("a.zarr"), seed=1, progress=False)["dtype"], "float64")
        with self.assertRaises(ValueError) as raised:
            data.generate(pipe, 4, self.path("a.zarr"), seed=1, progress=False, dtype="float32")
        self.assertIn("another pipeline, seed, count or dtype", str(raised.exception))
        # A dataset from before dtype (no "dtype" in its metadata) is read as its images' type.
        group = zarr.open_group(self.path("a.zarr"), mode="a")
        meta = dict(group.attrs["deeptrack"])
        del meta["dtype"]
        group.attrs["deeptrack"] = meta
        self.assertEqual(data.load(self.path("a.zarr")).dtype, np.float64)

    def test_zarr_shards_are_the_bytes_zarr_writes_and_reload(self):
        from deeptrack_native import _store

        pipe = pipeline()
        data.generate(pipe, 7, self.path("s.zarr"), seed=2, chunk=3, progress=False)
        stored = data.load(self.path("s.zarr"))
        layout = _store._ShardLayout.of(self.path("s.zarr/images"), (24, 24, 1))
        self.assertIsNotNone(layout, "the array is laid out as generate writes its shards itself")
        images = np.asarray(stored.images[:])
        # The same array written through zarr's own API: the same files, byte for byte (the last shard
        # partial: its missing chunks marked empty in the index).
        group = zarr.open_group(self.path("z.zarr"), mode="a")
        array = group.create_array(
            "images",
            shape=images.shape,
            chunks=(1, 24, 24, 1),
            shards=(3, 24, 24, 1),
            compressors=None,
            config={"write_empty_chunks": True},
            dtype=np.float32,
        )
        for start in range(0, 7, 3):
            array[start : start + 3] = images[start : start + 3]
        for shard in ("0", "1", "2"):
            with open(self.path(f"s.zarr/images/c/{shard}/0/0/0"), "rb") as f:
                ours = f.read()
            with open(self.path(f"z.zarr/images/c/{shard}/0/0/0"), "rb") as f:
                theirs = f.read()
            self.assertEqual(ours, theirs, f"shard {shard}")
        # Reloaded by a fresh zarr: every item, and a single item read alone.
        reopened = zarr.open_group(self.path("s.zarr"), mode="r")["images"]
        reference = pipe.resolve_batch(7, seed=2)
        for i in range(7):
            np.testing.assert_array_equal(reopened[i], np.asarray(reference[i]).astype(np.float32))
        # Another layout (compressed) is left to zarr.
        other = group.create_array("other", shape=(2, 4), chunks=(1, 4), shards=(2, 4), dtype=np.float32)
        self.assertIsNotNone(other)
        self.assertIsNone(_store._ShardLayout.of(self.path("z.zarr/other"), (4,)))


class GroundTruthTable(unittest.TestCase):
    """The table's fast paths give what the plain ones give."""

    def test_rows_read_from_the_library_are_those_of_the_properties(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dt.UnknownPropertyWarning)  # the extra keywords are the point
            particle = dt.PointParticle(
                position=lambda: np.random.rand(2) * 24,
                intensity=lambda: 50 + 50 * np.random.rand(),
                label="bead",
                tagged=True,
                count=3,
                nothing=None,
                pair=(1, 2),
                listed=[1.0, 2.0],
                _hidden=4,
                text='a "quoted", back\\slash, tab\t, é',
                tiny=1e-300,
                huge=-1.5e300,
                whole=2.0,
                big=2**62,
            )
        pipe = dt.Fluorescence(output_region=(0, 0, 24, 24))(particle ^ 3) >> dt.Gaussian(sigma=0.01)
        pipe.store_properties()
        from deeptrack_native import _items

        fast, plain = [], []
        # generate's items: rendered images whose dicts are still the library's.
        for k, (image,) in enumerate(_items.render(pipe, 4, 3, 0, 1, threads=1)):
            self.assertIsNotNone(image.__dict__.get("_library_owner"))
            self.assertIsNone(image.__dict__.get("_properties"), "no dict read yet: the library path")
            fast += data.table_of(image, k)
        for k, (image,) in enumerate(_items.render(pipe, 4, 3, 0, 1, threads=1)):
            image.properties  # read every dict through the Python mirror: the plain path
            self.assertIsNotNone(image.__dict__.get("_properties"))
            plain += data.table_of(image, k)
        self.assertEqual(len(fast), 12)
        self.assertEqual([list(r.items()) for r in fast], [list(r.items()) for r in plain])
        self.assertEqual(list(fast[0])[:5], ["item", "frame", "position_0", "position_1", "z"])
        for key in ("label", "tagged", "count", "text", "tiny", "huge", "whole", "big"):
            self.assertIn(key, fast[0])
        self.assertEqual(
            [(fast[0][k], type(fast[0][k])) for k in ("text", "tiny", "huge", "whole", "big")],
            [('a "quoted", back\\slash, tab\t, é', str), (1e-300, float), (-1.5e300, float), (2.0, float), (2**62, int)],
        )
        for key in ("nothing", "pair", "listed", "_hidden"):
            self.assertNotIn(key, fast[0])
        self.assertEqual((fast[0]["label"], fast[0]["tagged"], fast[0]["count"]), ("bead", True, 3))

    def test_one_library_call_gives_an_images_dicts_as_json(self):
        from deeptrack_native import _items, _store

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dt.UnknownPropertyWarning)
            particle = dt.PointParticle(position=(3.5, 7.25), score=float("nan"), limit=-float("inf"))
        pipe = dt.Fluorescence(output_region=(0, 0, 16, 16))(particle ^ 2)
        pipe.store_properties()
        ((image,),) = _items.render(pipe, 1, 0, 0, 1, threads=1)
        owner = image.__dict__["_library_owner"]
        rows = _store.library_table(owner)
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows[0]["position"], [3.5, 7.25])
        self.assertTrue(np.isnan(rows[0]["score"]) and rows[0]["limit"] == -float("inf"))
        self.assertNotIn("_ID", rows[0])
        everything = _store.library_table(owner, None)
        self.assertEqual(len(everything), len(image.properties), "every dict without a key")
        self.assertEqual([d.get("name") for d in everything], [p.get("name") for p in image.properties])
        self.assertEqual(_store.library_table(owner, b"no such key"), [])
        # A table larger than the thread's buffer grows it.
        _store._TABLE_TEXT.buf = _store.create_string_buffer(8)
        self.assertEqual(_store.library_table(owner), rows)
        self.assertGreater(len(_store._TABLE_TEXT.buf), 8)

    def test_the_table_joins_its_parts_as_merging_their_rows_would(self):
        from deeptrack_native import _store

        class Store:
            pass

        cases = {
            "same columns": [[{"item": 0, "position_0": 1.5, "a": 1}], [{"item": 1, "position_0": 2.0, "a": "x,y"}]],
            "other columns": [[{"item": 0, "position_0": 1.5, "a": 1}], [], [{"item": 2, "position_0": 3.0, "b": 2}]],
        }
        for name, parts in cases.items():
            with tempfile.TemporaryDirectory() as d:
                store = Store()
                store.work, store.table = d, os.path.join(d, "table.csv")
                for k, rows in enumerate(parts):
                    _store._write_csv(_store._part(store, k), rows)
                _store._write_table(store, {"count": len(parts), "chunk": 1})
                with open(store.table, encoding="utf-8") as f:
                    joined = f.read()
                rows = [r for k in range(len(parts)) for r in _store._read_csv(_store._part(store, k))]
                _store._write_csv(store.table, rows)
                with open(store.table, encoding="utf-8") as f:
                    merged = f.read()
                self.assertEqual(joined, merged, name)
                self.assertEqual(joined.count("\n"), 1 + sum(len(p) for p in parts), name)


if __name__ == "__main__":
    unittest.main()
