"""Batches: the same items whatever the thread or process count (dt.random and np.random callables
alike), worker processes giving exactly the single-process results with their property dicts, every
thread re-raising its own callback's exception, and fork children batching after the parent did."""

import mmap
import multiprocessing
import os
import pickle
import random
import select
import signal
import threading
import time
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import Feature, Image, _forked, _processes
from deeptrack_native.image import PropertyDict


def np_random_pipeline(size=32, n=6):
    """DeepTrack2-style: lambdas over np.random (and the random module)."""
    particle = dt.PointParticle(
        position=lambda: np.random.rand(2) * size,
        intensity=lambda: 50 + 50 * np.random.rand() + random.random(),
    )
    return dt.Fluorescence(output_region=(0, 0, size, size))(particle ^ n) >> dt.Poisson(snr=100)


def dt_random_pipeline(size=32, n=6):
    particle = dt.PointParticle(
        position=lambda: dt.random.uniform(0, size, size=2), intensity=lambda: dt.random.uniform(50, 100)
    )
    return dt.Fluorescence(output_region=(0, 0, size, size))(particle ^ n) >> dt.Gaussian(sigma=0.5)


def native_pipeline(size=32):
    """No Python callable: its randomness is the library's noise."""
    sample = dt.PointParticle(position=(10.0, 12.0), intensity=100)
    return dt.Fluorescence(output_region=(0, 0, size, size))(sample) >> dt.Gaussian(sigma=1.0)


# Module-level callables: they pickle, so a pipeline using them reaches spawned workers.
def spawn_position():
    return dt.random.uniform(0, 32, size=2)


def spawn_intensity(position):
    return 50.0 + position[0] + np.random.rand()


def spawn_pipeline():
    particle = dt.PointParticle(position=spawn_position, intensity=spawn_intensity)
    pipe = dt.Fluorescence(output_region=(0, 0, 32, 32))(particle ^ 3) >> dt.Poisson(snr=50)
    pipe.store_properties()
    return pipe


class Threshold(Feature):
    """Fails, with a message naming the item's draw, when its property ``k`` exceeds ``limit``."""

    def get(self, image, k, limit, **kwargs):
        if k > limit:
            raise LookupError(f"k = {k!r} exceeds {limit!r}")
        return image + k


def pixels(results):
    return np.stack([np.asarray(r) for r in results])


def assert_same_results(test, a, b):
    """Pixels, and property dicts key by key and value by value (arrays exactly), in order."""
    test.assertEqual(len(a), len(b))
    for x, y in zip(a, b):
        test.assertIs(type(x), type(y))
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
        if isinstance(x, Image):
            test.assertEqual(len(x.properties), len(y.properties))
            for dx, dy in zip(x.properties, y.properties):
                test.assertIs(type(dx), type(dy))  # PropertyDicts, and the input's own dicts as given
                test.assertEqual(list(dx), list(dy))
                for key in dx:
                    test.assertIs(type(dx[key]), type(dy[key]), key)
                    np.testing.assert_array_equal(dx[key], dy[key])


class Determinism(unittest.TestCase):
    def check_every_split(self, make, count=6, seed=21):
        pipe = make()
        pipe.store_properties()
        reference = pipe.resolve_batch(count, seed=seed, threads=1)
        self.assertEqual(len({r.tobytes() for r in pixels(reference)}), count)  # items differ
        for threads in (2, 3, 0):
            assert_same_results(self, reference, pipe.resolve_batch(count, seed=seed, threads=threads))
        for processes in (2, 3):
            assert_same_results(self, reference, pipe.resolve_batch(count, seed=seed, processes=processes))
        pieces = pipe.resolve_batch(2, seed=seed) + pipe.resolve_batch(count - 2, seed=seed, first=2, processes=2)
        assert_same_results(self, reference, pieces)
        # A fresh pipeline built the same way gives the same items.
        assert_same_results(self, reference, make().store_properties().resolve_batch(count, seed=seed))
        self.assertFalse(np.array_equal(pixels(reference), pixels(pipe.resolve_batch(count, seed=seed + 1))))
        return reference

    def test_np_random_callables(self):
        self.check_every_split(np_random_pipeline)

    def test_dt_random_callables(self):
        self.check_every_split(dt_random_pipeline)

    def test_native_pipeline(self):
        self.check_every_split(native_pipeline)

    def test_the_callers_global_generators_are_left_as_they_were(self):
        pipe = np_random_pipeline()
        np.random.seed(7)
        random.seed(7)
        expected = (np.random.rand(3).tolist(), random.random())
        np.random.seed(7)
        random.seed(7)
        pipe.resolve_batch(3, seed=1)
        pipe.resolve_batch(3, seed=1, processes=2)
        self.assertEqual((np.random.rand(3).tolist(), random.random()), expected)

    def test_np_random_draws_are_per_item_not_per_call_order(self):
        # Item 5 is the same whether rendered first, last or alone.
        pipe = np_random_pipeline()
        alone = pipe.resolve_batch(1, seed=3, first=5)[0]
        within = pipe.resolve_batch(6, seed=3)[5]
        np.testing.assert_array_equal(alone, within)

    def test_a_callable_that_batches_another_pipeline(self):
        inner = np_random_pipeline(n=2)

        def value():
            before = np.random.rand()
            inside = float(np.asarray(inner.resolve_batch(1, seed=int(before * 1000))[0]).sum())
            return before + inside + np.random.rand()

        pipe = dt.Add(value=value)
        one = pipe.resolve_batch(4, seed=2, image=np.zeros(1))
        assert_same_results(self, one, pipe.resolve_batch(4, seed=2, image=np.zeros(1)))
        assert_same_results(self, one, pipe.resolve_batch(4, seed=2, image=np.zeros(1), processes=2))
        self.assertEqual(len({float(r[0]) for r in one}), 4)

    def test_input_image_is_read_at_every_batch(self):
        pipe = Threshold(k=lambda: dt.random.uniform(0, 1), limit=2.0)
        x = np.zeros(3)
        first = pipe.resolve_batch(2, seed=1, image=x)
        x[:] = 10.0  # changed in place: a batch computes on the current data
        second = pipe.resolve_batch(2, seed=1, image=x, processes=2)
        np.testing.assert_array_equal(pixels(second), pixels(first) + 10.0)


def resident_bytes(mapping):
    """How many bytes of ``mapping`` are in memory (Linux's /proc/self/smaps)."""
    import ctypes

    start = ctypes.addressof(ctypes.c_char.from_buffer(mapping))
    with open("/proc/self/smaps") as f:
        inside = False
        for line in f:
            if "-" in line.split(" ", 1)[0] and ":" not in line.split(" ", 1)[0]:
                inside = int(line.split("-", 1)[0], 16) == start
            elif inside and line.startswith("Rss:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("mapping not found")


class Processes(unittest.TestCase):
    def test_equal_to_one_process_with_stored_properties_and_input(self):
        pipe = Threshold(k=lambda: np.random.rand(), limit=2.0) >> dt.Gaussian(sigma=0.1)
        pipe.store_properties()
        x = Image(np.ones((4, 4))).append({"name": "source", "label": 3})
        one = pipe.resolve_batch(5, seed=4, first=10, image=x)
        many = pipe.resolve_batch(5, seed=4, first=10, image=x, processes=3)
        assert_same_results(self, one, many)
        self.assertEqual(many[0].properties[0], {"name": "source", "label": 3})
        self.assertIsInstance(many[0].properties[1], PropertyDict)
        self.assertEqual(many[0].get_property("name", get_one=False), ["source", "Threshold", "Gaussian", "Chain"])
        for r in many:
            self.assertFalse(np.asarray(r).flags.writeable)  # read-only, as in one process

    def test_plain_arrays_without_stored_properties(self):
        pipe = np_random_pipeline()
        one = pipe.resolve_batch(4, seed=8)
        many = pipe.resolve_batch(4, seed=8, processes=2)
        self.assertIsInstance(many[3], np.ndarray)
        self.assertFalse(many[3].flags.writeable)
        assert_same_results(self, one, many)

    def test_process_counts(self):
        pipe = dt_random_pipeline()
        one = pipe.resolve_batch(3, seed=2)
        assert_same_results(self, one, pipe.resolve_batch(3, seed=2, processes=0))  # one per core
        assert_same_results(self, one, pipe.resolve_batch(3, seed=2, processes=8))  # more than items
        assert_same_results(self, one, pipe.resolve_batch(3, seed=2, processes=1))
        self.assertEqual(pipe.resolve_batch(0, seed=2, processes=2), [])
        with self.assertRaises(ValueError):
            pipe.resolve_batch(3, processes=-1)

    def test_chunks_are_small_enough_to_share_the_work(self):
        self.assertEqual(_processes.chunk_size(64, 2), 8)
        self.assertEqual(_processes.chunk_size(16, 2), 2)
        self.assertEqual(_processes.chunk_size(3, 2), 1)
        self.assertEqual(_processes.chunk_size(10**6, 2), 16)

    def failing(self):
        """A pipeline and seed whose 9 items pass up to item 5 and fail from item 6 or later (the last
        of three ranges), in an item that depends on np.random's draws."""
        probe = Threshold(k=lambda: np.random.rand(), limit=2.0)
        probe.store_properties()
        for seed in range(100):
            ks = [r.get_property("k") for r in probe.resolve_batch(9, seed=seed, image=np.zeros(2))]
            if max(ks[6:]) > max(ks[:6]):
                return Threshold(k=lambda: np.random.rand(), limit=max(ks[:6])), seed
        self.fail("no seed found")

    def test_the_lowest_failing_items_exception_comes_back(self):
        pipe, seed = self.failing()
        with self.assertRaises(LookupError) as alone:
            pipe.resolve_batch(9, seed=seed, image=np.zeros(2))
        with self.assertRaises(LookupError) as many:
            pipe.resolve_batch(9, seed=seed, image=np.zeros(2), processes=3)
        self.assertEqual(str(many.exception), str(alone.exception))
        # Pipelines keep working afterwards.
        self.assertEqual(len(pipe.resolve_batch(6, seed=seed, image=np.zeros(2), processes=2)), 6)

    def test_library_errors_come_back_with_their_status(self):
        pipe = dt.Add(value=lambda: "text")
        with self.assertRaises(dt.TypeMismatchError) as alone:
            pipe.resolve_batch(4, seed=1, image=np.zeros(2))
        with self.assertRaises(dt.TypeMismatchError) as many:
            pipe.resolve_batch(4, first=0, seed=1, image=np.zeros(2), processes=2)
        self.assertEqual(many.exception.message, alone.exception.message)
        self.assertIn("value", many.exception.message)

    def in_the_worker(self, action):
        """A callable that runs ``action()`` in a worker process, and in this process waits until a
        worker ran it, so that the worker takes items rather than this process alone."""
        parent = os.getpid()
        started = multiprocessing.get_context("fork").Event()

        def value():
            if os.getpid() != parent:
                started.set()
                return action()
            self.assertTrue(started.wait(60))
            return 1.0

        return value

    def test_a_workers_exception_comes_back_with_where_it_was_raised(self):
        def fail():
            raise KeyError("in the worker")

        with self.assertRaises(KeyError) as cm:
            dt.Add(value=self.in_the_worker(fail)).resolve_batch(8, image=np.zeros(1), processes=2)
        self.assertEqual(cm.exception.args, ("in the worker",))
        self.assertTrue(any("batch worker process" in n for n in cm.exception.__notes__))

    def test_exceptions_that_do_not_pickle_are_described(self):
        # A class made here: importing pint imports dask, whose tblib support registers every exception
        # class that exists then (the module's NotPicklable too) with copyreg, so that they pickle.
        class NotPicklable(Exception):
            def __init__(self, a, b):  # pickles, but cannot be rebuilt from its args
                super().__init__(f"{a}/{b}")

        def fail():
            raise NotPicklable(1, 2)

        with self.assertRaises(_processes.WorkerError) as cm:
            dt.Add(value=self.in_the_worker(fail)).resolve_batch(8, image=np.zeros(1), processes=2)
        self.assertIn("NotPicklable: 1/2", str(cm.exception))

    def test_a_worker_that_dies_is_an_error_not_a_hang(self):
        with self.assertRaises(_processes.WorkerError) as cm:
            dt.Add(value=self.in_the_worker(lambda: os._exit(3))).resolve_batch(8, image=np.zeros(1), processes=2)
        self.assertIn("exit code 3", str(cm.exception))

    def test_a_worker_killed_by_a_signal_is_an_error_not_a_hang(self):
        def die():
            os.kill(os.getpid(), signal.SIGKILL)

        with self.assertRaises(_processes.WorkerError) as cm:
            dt.Add(value=self.in_the_worker(die)).resolve_batch(8, image=np.zeros(1), processes=2)
        self.assertIn("killed by signal 9", str(cm.exception))
        # The next batch works.
        pipe = np_random_pipeline()
        assert_same_results(self, pipe.resolve_batch(4, seed=3), pipe.resolve_batch(4, seed=3, processes=2))

    def test_pixels_that_do_not_fit_the_shared_region_travel_in_the_pickle(self):
        pipe = np_random_pipeline(size=32)
        pipe.store_properties()
        one = pipe.resolve_batch(12, seed=5)
        saved = _forked.REGION_BYTES
        _forked.REGION_BYTES = 32 * 32 * 8 + 100  # a worker's first image, then the pipe
        try:
            many = pipe.resolve_batch(12, seed=5, processes=2)
        finally:
            _forked.REGION_BYTES = saved
        assert_same_results(self, one, many)
        for r in many:
            self.assertFalse(np.asarray(r).flags.writeable)

    def test_results_own_their_pixels(self):
        pipe = np_random_pipeline()
        one = pixels(pipe.resolve_batch(6, seed=4))
        many = pipe.resolve_batch(6, seed=4, processes=2)
        last = many[-1]
        del many
        np.testing.assert_array_equal(last, one[-1])
        self.assertEqual(pickle.loads(pickle.dumps(last)).tolist(), one[-1].tolist())
        # Not views of the batch's shared mapping (unmapped when the batch ended).
        for r in pipe.resolve_batch(12, seed=4, processes=2):
            owner = r
            while isinstance(owner, (np.ndarray, memoryview)):
                owner = owner.base if isinstance(owner, np.ndarray) else owner.obj
            self.assertNotIsInstance(owner, mmap.mmap)

    def test_an_interrupt_stops_the_batch_and_its_workers_at_once(self):
        parent = os.getpid()
        # Pipes, not multiprocessing's Events: a worker killed inside Event.wait would leave its
        # condition waiting for it forever.
        started_r, started_w = os.pipe()
        release_r, release_w = os.pipe()
        forked = []
        real_fork = os.fork

        def fork():
            pid = real_fork()
            if pid:
                forked.append(pid)
            return pid

        def value():
            if os.getpid() == parent:  # this process is interrupted (Ctrl-C) while the workers render
                self.assertTrue(select.select([started_r], [], [], 60)[0])
                raise KeyboardInterrupt
            os.write(started_w, b"x")
            if not select.select([release_r], [], [], 120)[0]:
                raise RuntimeError("the worker was left running after the interrupt")
            return 1.0

        saved, os.fork = os.fork, fork
        try:
            with self.assertRaises(KeyboardInterrupt):
                dt.Add(value=value).resolve_batch(64, image=np.zeros(1), processes=3)
        finally:
            os.fork = saved
            os.write(release_w, b"x")
            for fd in (started_r, started_w, release_r, release_w):
                os.close(fd)
        self.assertEqual(len(forked), 2)
        for pid in forked:  # killed and reaped, not waited for: none is left running or as a zombie
            self.assertNotIn(pid, _forked._unreaped)
            with self.assertRaises(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        # The package keeps working, in processes too.
        pipe = np_random_pipeline()
        assert_same_results(self, pipe.resolve_batch(6, seed=2), pipe.resolve_batch(6, seed=2, processes=3))

    def test_an_interrupt_in_a_worker_comes_back(self):
        def interrupt():
            raise KeyboardInterrupt

        with self.assertRaises(KeyboardInterrupt):
            dt.Add(value=self.in_the_worker(interrupt)).resolve_batch(8, image=np.zeros(1), processes=2)

    def test_every_batch_renders_the_pipeline_as_it_is_now(self):
        # Workers start from this process as it is at each call: properties set, globals the
        # callables read, new seeds and pipelines changed since the last batch are all seen.
        scale = {"value": 10.0}
        pipe = Threshold(k=lambda: scale["value"] * np.random.rand(), limit=100.0)
        pipe.store_properties()
        x = np.zeros((3, 3))
        first = pipe.resolve_batch(8, seed=1, image=x, processes=2)
        scale["value"] = 20.0
        again = pipe.resolve_batch(8, seed=1, image=x, processes=2)
        assert_same_results(self, pipe.resolve_batch(8, seed=1, image=x), again)
        np.testing.assert_allclose(pixels(again), 2 * pixels(first))
        pipe.limit.set_value(0.5)
        try:
            alone = pipe.resolve_batch(8, seed=1, image=x)
        except LookupError as e:
            with self.assertRaises(LookupError) as cm:
                pipe.resolve_batch(8, seed=1, image=x, processes=2)
            self.assertEqual(str(cm.exception), str(e))
        else:
            assert_same_results(self, alone, pipe.resolve_batch(8, seed=1, image=x, processes=2))
        pipe.update()
        longer = pipe >> dt.Add(value=1.0)
        longer.store_properties()
        assert_same_results(self, longer.resolve_batch(8, seed=5, image=x), longer.resolve_batch(8, seed=5, image=x, processes=2))

    def test_the_kept_shared_mapping_holds_at_most_its_limit(self):
        pipe = np_random_pipeline(size=64)
        one = pipe.resolve_batch(24, seed=3)
        saved = _forked.KEEP_BYTES
        _forked.KEEP_BYTES = 4 * mmap.PAGESIZE
        try:
            for _ in range(2):  # a new mapping, then the kept one
                assert_same_results(self, one, pipe.resolve_batch(24, seed=3, processes=2))
                self.assertEqual(len(_forked._spare), 1)
                self.assertLessEqual(resident_bytes(_forked._spare[0]), 4 * mmap.PAGESIZE)
        finally:
            _forked.KEEP_BYTES = saved
        # Kept only while a batch of the same number of workers can use it.
        assert_same_results(self, one, pipe.resolve_batch(24, seed=3, processes=3))
        self.assertEqual(len(_forked._spare[0]), 2 * _forked.REGION_BYTES)

    def test_a_process_forked_by_the_program_does_not_write_the_kept_mapping(self):
        pipe = np_random_pipeline()
        expected = pixels(pipe.resolve_batch(12, seed=4))
        pipe.resolve_batch(12, seed=4, processes=2)
        kept = _forked._spare[0]
        kept[0:4096] = b"\x5a" * 4096
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # a data-loader worker batching in processes of its own
            os.close(read)
            code = 1
            try:
                same = np.array_equal(pixels(pipe.resolve_batch(12, seed=4, processes=2)), expected)
                os.write(write, b"same" if same else b"different")
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        with os.fdopen(read, "rb") as answer:
            self.assertEqual(answer.read(), b"same")
        self.assertEqual(os.waitpid(pid, 0)[1], 0)
        self.assertEqual(kept[0:4096], b"\x5a" * 4096)  # untouched by the child's workers

    def test_spawned_workers_take_a_pipeline_that_pickles(self):
        pipe = spawn_pipeline()
        one = pipe.resolve_batch(4, seed=6)
        saved = _processes.START_METHOD
        _processes.START_METHOD = "spawn"
        try:
            assert_same_results(self, one, pipe.resolve_batch(4, seed=6, processes=2))
            with self.assertRaises(TypeError) as cm:
                np_random_pipeline().resolve_batch(4, processes=2)
            self.assertIn("module level", str(cm.exception))
        finally:
            _processes.START_METHOD = saved

    def test_features_pickle_as_the_calls_that_built_them(self):
        pipe = spawn_pipeline()
        copy = pickle.loads(pickle.dumps(pipe))
        assert_same_results(self, pipe.resolve_batch(3, seed=9), copy.resolve_batch(3, seed=9))
        with self.assertRaises((pickle.PicklingError, AttributeError)):
            pickle.dumps(np_random_pipeline())


class ThreadExceptions(unittest.TestCase):
    def test_each_thread_re_raises_its_own_exception(self):
        errors = [type(f"Error{i}", (Exception,), {}) for i in range(4)]
        outcomes = {}
        start = threading.Barrier(len(errors) + 1, timeout=60)

        def make(i):
            calls = [0]

            def value():
                calls[0] += 1
                time.sleep(0.0005)  # lets the other threads run in between
                if calls[0] % 3 == 0:  # the first two items of a batch pass, the third fails
                    raise errors[i](f"failure of pipeline {i}")
                return float(i)

            return dt.Add(value=value) >> dt.Multiply(value=lambda: np.random.rand()), calls

        def run(i):
            pipe, calls = make(i)
            got = []
            start.wait()
            for round_ in range(12):
                calls[0] = 0
                try:
                    if round_ % 2:
                        pipe.update().resolve(np.zeros(2))
                        pipe.update().resolve(np.zeros(2))
                        pipe.update().resolve(np.zeros(2))
                    else:
                        pipe.resolve_batch(4, seed=round_, image=np.zeros(2), threads=2)
                except Exception as e:  # noqa: BLE001 - the test records what each thread receives
                    got.append((type(e), str(e)))
            outcomes[i] = got

        def native_failures():
            pipe = dt.Add(value=np.ones(3))  # fails in the library: shapes that do not broadcast
            got = []
            start.wait()
            for _ in range(12):
                try:
                    pipe.resolve_batch(3, image=np.zeros(2), threads=2)
                except Exception as e:  # noqa: BLE001
                    got.append((type(e), str(e)))
            outcomes["native"] = got

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(errors))]
        threads.append(threading.Thread(target=native_failures))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i, error in enumerate(errors):
            self.assertEqual(outcomes[i], [(error, f"failure of pipeline {i}")] * 12)
        self.assertEqual(len(outcomes["native"]), 12)
        self.assertEqual(
            set(outcomes["native"]),
            {(dt.InvalidArgumentError, "property 'value' of feature 'Add': cannot broadcast an image of shape [2] "
              "with a value of shape [3]")},
        )

    def test_concurrent_batches_keep_their_items(self):
        pipes = [np_random_pipeline(n=3), dt_random_pipeline(n=3), np_random_pipeline(n=2)]
        expected = [pixels(p.resolve_batch(4, seed=i)) for i, p in enumerate(pipes)]
        got = {}

        def run(i):
            got[i] = [pixels(pipes[i].resolve_batch(4, seed=i, threads=2)) for _ in range(5)]

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(pipes))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i in range(len(pipes)):
            for batch in got[i]:
                np.testing.assert_array_equal(batch, expected[i])


class ForkChildren(unittest.TestCase):
    def test_a_fork_child_batches_after_the_parent_batched_on_several_threads(self):
        python_pipe = np_random_pipeline()
        native = native_pipeline()

        def busy(seed):
            for _ in range(3):
                python_pipe.resolve_batch(3, seed=seed, threads=2)
                native.resolve_batch(4, seed=seed, threads=2)

        threads = [threading.Thread(target=busy, args=(s,)) for s in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        expected = (pixels(python_pipe.resolve_batch(4, seed=9)), pixels(native.resolve_batch(4, seed=9, threads=2)))
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child, as a data-loader worker: report whether its batches match, then leave
            os.close(read)
            code = 1
            try:
                got = (pixels(python_pipe.resolve_batch(4, seed=9, threads=2)), pixels(native.resolve_batch(4, seed=9)))
                nested = pixels(python_pipe.resolve_batch(4, seed=9, processes=2))
                same = all(np.array_equal(a, b) for a, b in zip(got + (nested,), expected + (expected[0],)))
                os.write(write, b"same" if same else b"different")
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        with os.fdopen(read, "rb") as answer:
            self.assertEqual(answer.read(), b"same")
        self.assertEqual(os.waitpid(pid, 0)[1], 0)


if __name__ == "__main__":
    unittest.main()
