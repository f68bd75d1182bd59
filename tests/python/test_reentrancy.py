"""Calling the library from inside Python callables and custom features' get: a batch of another
pipeline sharing the callable works (its workers take turns running the callable while the thread that
runs it waits for them), resolving or batching the pipeline that runs it raises BusyError with a
message saying so, two threads whose callables wait for each other get a BusyError rather than a
deadlock, and every pipeline works afterwards."""

import threading
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import Feature


class Probe:
    """Runs an action (once) from inside a callable, and records what the library answered."""

    def __init__(self):
        self.lock = threading.Lock()
        self.action = None
        self.answers = []
        self.meet = None

    def arm(self, action, meet=None):
        self.action, self.answers, self.meet = action, [], meet

    def __call__(self):
        with self.lock:
            action, self.action = self.action, None
        if action is None:
            return
        if self.meet is not None:
            self.meet.wait(timeout=60)
        try:
            self.answers.append(("ok", action()))
        except dt.DeepTrackError as e:
            self.answers.append((type(e), str(e)))


class ProbeFeature(Feature):
    """A custom feature whose get runs the probe, then adds 1."""

    def __init__(self, probe, **kwargs):
        super().__init__(**kwargs)
        self.__dict__["probe"] = probe

    def get(self, image, **kwargs):
        self.probe()
        return image + 1


def stack(images):
    return np.stack([np.asarray(x) for x in images])


class Pipelines:
    """x runs the probe (a callable property, or a custom get); pipe = x >> Add(1) and
    other = x >> Multiply(2) share it."""

    def __init__(self, custom_get):
        self.probe = Probe()
        probe = self.probe
        if custom_get:
            self.x = dt.Value(value=lambda: 9 + dt.random.uniform(0, 1)) >> ProbeFeature(probe)
        else:

            def value():
                probe()
                return 10 + dt.random.uniform(0, 1)

            self.x = dt.Value(value=value)
        self.pipe = self.x >> dt.Add(value=1)
        self.other = self.x >> dt.Multiply(value=2)
        self.reference = self.other_batch()

    def other_batch(self):
        return stack(self.other.resolve_batch(4, seed=21, threads=2))

    def resolve(self, feature):
        return float(np.asarray(feature.update().resolve()))


class ReentrantCalls(unittest.TestCase):
    def check_still_works(self, p):
        p.probe.arm(None)
        self.assertTrue(11 <= p.resolve(p.pipe) < 12)
        self.assertTrue(20 <= p.resolve(p.other) < 22)
        np.testing.assert_array_equal(p.other_batch(), p.reference)

    def test_a_batch_of_a_pipeline_sharing_the_callable_works_from_inside_it(self):
        for custom_get in (False, True):
            with self.subTest(custom_get=custom_get):
                p = Pipelines(custom_get)
                # From the resolving thread: the batch's workers run the callable while it waits.
                p.probe.arm(p.other_batch)
                self.assertTrue(11 <= p.resolve(p.pipe) < 12)
                self.assertEqual(len(p.probe.answers), 1)
                status, images = p.probe.answers[0]
                self.assertEqual(status, "ok")
                np.testing.assert_array_equal(images, p.reference)
                # From a batch's worker: the inner batch runs on that worker.
                p.probe.arm(p.other_batch)
                outer = stack(p.pipe.resolve_batch(4, seed=3, threads=2))
                self.assertTrue(((outer >= 11) & (outer < 12)).all())
                status, images = p.probe.answers[0]
                self.assertEqual(status, "ok")
                np.testing.assert_array_equal(images, p.reference)
                self.check_still_works(p)

    def test_resolving_or_batching_the_running_pipeline_is_busy(self):
        for custom_get in (False, True):
            with self.subTest(custom_get=custom_get):
                p = Pipelines(custom_get)
                p.probe.arm(lambda: p.pipe.resolve_batch(4, threads=2))
                p.resolve(p.pipe)
                ((kind, message),) = p.probe.answers
                self.assertIs(kind, dt.BusyError)
                self.assertIn("cannot be batched from its own callbacks", message)
                p.probe.arm(lambda: p.pipe.resolve())
                p.resolve(p.pipe)
                ((kind, message),) = p.probe.answers
                self.assertIs(kind, dt.BusyError)
                self.assertIn("is being resolved", message)
                # From a worker of the pipeline's batch: batching it again is busy too.
                p.probe.arm(lambda: p.pipe.resolve_batch(2, threads=2))
                p.pipe.resolve_batch(4, seed=3, threads=2)
                ((kind, message),) = p.probe.answers
                self.assertIs(kind, dt.BusyError)
                self.check_still_works(p)

    def test_multi_process_batches_from_a_callable_answer_busy_or_work(self):
        """``resolve_batch(processes=2)`` from inside a callable (the calling process forks from
        inside it): of a pipeline sharing the callable it works, with the images of one process; of
        the pipeline running it, BusyError, as with threads. Also from a worker of a process batch."""
        for custom_get in (False, True):
            with self.subTest(custom_get=custom_get):
                p = Pipelines(custom_get)
                p.probe.arm(lambda: stack(p.other.resolve_batch(4, seed=21, processes=2)))
                self.assertTrue(11 <= p.resolve(p.pipe) < 12)
                ((status, images),) = p.probe.answers
                self.assertEqual(status, "ok")
                np.testing.assert_array_equal(images, p.reference)
                p.probe.arm(lambda: p.pipe.resolve_batch(4, processes=2))
                p.resolve(p.pipe)
                ((kind, message),) = p.probe.answers
                self.assertIs(kind, dt.BusyError)
                self.assertIn("cannot be batched from its own callbacks", message)
                # Armed in this process only: the outer batch's worker process inherits the probe
                # armed too, and its answers stay there; this process's chunk answers here.
                p.probe.arm(lambda: stack(p.other.resolve_batch(4, seed=21, processes=2)))
                outer = stack(p.pipe.resolve_batch(8, seed=3, processes=2))
                self.assertTrue(((outer >= 11) & (outer < 12)).all())
                np.testing.assert_array_equal(outer, stack(p.pipe.resolve_batch(8, seed=3, threads=1)))
                self.check_still_works(p)

    def test_callables_on_two_threads_waiting_for_each_other_get_busy(self):
        for through_batch in (False, True):
            with self.subTest(through_batch=through_batch):
                a, b = Pipelines(False), Pipelines(True)
                meet = threading.Barrier(2)
                if through_batch:
                    a.probe.arm(b.other_batch, meet)
                else:
                    a.probe.arm(lambda: a_result(b), meet)
                b.probe.arm(lambda: a_result(a), meet)
                errors = []

                def run(p):
                    try:
                        p.resolve(p.pipe)
                    except Exception as e:  # reported below
                        errors.append(e)

                threads = [threading.Thread(target=run, args=(p,)) for p in (a, b)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(timeout=120)
                self.assertFalse(any(t.is_alive() for t in threads), "deadlocked")
                self.assertEqual(errors, [])
                answers = a.probe.answers + b.probe.answers
                self.assertEqual(sorted(kind == "ok" for kind, _ in answers), [False, True])
                busy = next(message for kind, message in answers if kind != "ok")
                self.assertIn("running on another thread, which is waiting for this one", busy)
                self.check_still_works(a)
                self.check_still_works(b)


def a_result(p):
    return p.resolve(p.other)


if __name__ == "__main__":
    unittest.main()
