"""No call waits forever behind a running callable, and the interpreter exits cleanly whatever its
daemon threads are doing in the library.

* A callable that starts a thread calling the package on a pipeline it is part of (resolving or
  batching it, a pipeline containing it, a pipeline sharing it, reading its property) and joins that
  thread: the thread's call raises BusyError after the callback wait limit (``set_callback_wait``),
  with a message saying a running callback holds it; the outer call then succeeds. The same for a
  batch of an unrelated pipeline with callables started from a batch's callable (the global
  generators' turn).
* Legitimate waits still succeed: threads resolving or batching pipelines that share fast callables.
* A daemon thread inside a callable, or in a call that will run one, at interpreter exit: the process
  exits with status 0 (it aborted: the thread was unwound through the library's frames).
Every wait is bounded, so that a regression fails instead of hanging."""

import os
import subprocess
import sys
import textwrap
import threading
import time
import unittest

import numpy as np

import deeptrack_native as dt

LIMIT = 0.5
# The limit for calls that must not wait it at all, or for legitimate waits: far above what any call
# takes on a loaded machine (a thread descheduled for a moment must not turn into a failure), far below
# the 20 s within which a wait is counted as not bounded.
LONG_LIMIT = 10.0


def in_thread_joined(action):
    """Runs ``action`` on a new thread and joins it (at most 30 s): ``("ok", result)``, ``(exception
    class, message)``, or ``("hung", "")``."""
    answer = []

    def run():
        try:
            answer.append(("ok", action()))
        except Exception as e:  # noqa: BLE001  (what the thread got is the result)
            answer.append((type(e), str(e)))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(30)
    return answer[0] if answer else ("hung", "")


class ThreadsStartedInsideCallables(unittest.TestCase):
    def setUp(self):
        self.previous = dt.set_callback_wait(LIMIT)

    def tearDown(self):
        dt.set_callback_wait(self.previous)

    def outer(self, make_action, top="resolve"):
        """Resolves (or batches) ``x >> Add(1)`` whose value's callable, on its first call, runs
        ``make_action(h)`` on a joined thread (``h``: the pipelines); returns (outer result, answer,
        seconds the outer call took)."""
        h = {}
        answers = []

        def v():
            if not answers:
                answers.append(in_thread_joined(make_action(h)))
            return 1.0

        x = dt.Value(value=v)
        h.update(x=x, pipe=x >> dt.Add(value=1), other=x >> dt.Multiply(value=2))
        t0 = time.monotonic()
        if top == "resolve":
            out = h["pipe"].update().resolve()
        else:
            out = h["pipe"].resolve_batch(3, threads=2)
        took = time.monotonic() - t0
        # Every pipeline works afterwards.
        self.assertEqual(float(np.asarray(h["pipe"].update().resolve())), 2.0)
        self.assertEqual([float(o) for o in h["other"].resolve_batch(2, threads=2)], [2.0, 2.0])
        return out, answers[0], took

    def assertHeldByACallback(self, answer, took):
        kind, message = answer
        self.assertIs(kind, dt.BusyError, message)
        self.assertIn("held by a running callback", message)
        self.assertIn("500 ms", message)
        self.assertGreaterEqual(took, LIMIT * 0.9)
        self.assertLess(took, 20)

    def test_a_joined_thread_calling_a_pipeline_using_the_callable_gets_busy(self):
        actions = {
            "batch of the pipeline": lambda h: lambda: h["pipe"].resolve_batch(2, threads=2),
            "batch on one thread": lambda h: lambda: h["pipe"].resolve_batch(2, threads=1),
            "a pipeline containing it": lambda h: lambda: (h["pipe"] >> dt.Add(value=1)).update().resolve(),
            "a pipeline sharing the callable": lambda h: lambda: h["other"].update().resolve(),
            "a batch of a pipeline sharing it": lambda h: lambda: h["other"].resolve_batch(2, threads=2),
            "the property's value": lambda h: lambda: h["x"].value(),
        }
        for name, action in actions.items():
            with self.subTest(name):
                out, answer, took = self.outer(action)
                self.assertEqual(float(np.asarray(out)), 2.0)
                self.assertHeldByACallback(answer, took)

    def test_resolving_the_pipeline_itself_is_busy_at_once(self):
        # At once: not after the limit, long here so that a slow machine is not mistaken for a wait.
        dt.set_callback_wait(LONG_LIMIT)
        out, (kind, message), took = self.outer(lambda h: lambda: h["pipe"].update().resolve())
        self.assertIs(kind, dt.BusyError)
        self.assertIn("is being resolved", message)
        self.assertLess(took, LONG_LIMIT)

    def test_a_custom_get_joining_a_thread_that_resolves_its_pipeline(self):
        answers = []
        h = {}

        class Slow(dt.Feature):
            def get(self, image, **kwargs):
                if not answers:
                    answers.append(in_thread_joined(lambda: h["other"].update().resolve()))
                return image + 1

        f = Slow()
        h["other"] = f >> dt.Multiply(value=2)
        pipe = dt.Value(value=1.0) >> f
        t0 = time.monotonic()
        self.assertEqual(float(np.asarray(pipe.update().resolve())), 2.0)
        kind, message = answers[0]
        self.assertIs(kind, dt.BusyError, message)
        self.assertIn("held by a running callback", message)
        self.assertLess(time.monotonic() - t0, 20)

    def test_a_batch_from_a_thread_joined_by_a_batchs_callable_gets_busy(self):
        # Batches with Python callables take turns with the global generators (np.random, random):
        # the thread waits while the outer batch's item does not finish, then raises BusyError.
        def unrelated(h):
            return lambda: (dt.Value(value=lambda: np.random.rand()) >> dt.Add(value=1)).resolve_batch(2, threads=2)

        out, (kind, message), took = self.outer(unrelated, top="batch")
        self.assertEqual([float(o) for o in out], [2.0, 2.0, 2.0])
        self.assertIs(kind, dt.BusyError, message)
        self.assertIn("np.random and random are held by a batch on another thread", message)
        self.assertGreaterEqual(took, LIMIT * 0.9)
        self.assertLess(took, 20)

    def test_a_batch_without_callables_from_a_joined_thread_works(self):
        def plain(h):
            return lambda: (dt.Value(value=1.0) >> dt.Add(value=1)).resolve_batch(2, threads=2)

        # Without a wait: well within a long limit (a wait would last all of it).
        dt.set_callback_wait(LONG_LIMIT)
        out, (kind, result), took = self.outer(plain, "batch")
        self.assertEqual(kind, "ok", result)
        self.assertLess(took, LONG_LIMIT)


class LegitimateWaits(unittest.TestCase):
    def test_threads_resolving_pipelines_that_share_a_fast_callable(self):
        previous = dt.set_callback_wait(LONG_LIMIT)
        try:
            x = dt.Value(value=lambda: np.random.rand())
            pipes = [x >> dt.Add(value=1), x >> dt.Multiply(value=2), x >> dt.Add(value=1)]
            done = []

            def loop(p):
                n = 0
                for _ in range(200):
                    out = float(np.asarray(p.update().resolve()))
                    n += 0.0 <= out <= 2.0
                done.append(n)

            threads = [threading.Thread(target=loop, args=(p,), daemon=True) for p in pipes]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            self.assertEqual(done, [200, 200, 200])
        finally:
            dt.set_callback_wait(previous)

    def test_a_wait_behind_a_callable_shorter_than_the_limit(self):
        previous = dt.set_callback_wait(LONG_LIMIT)
        try:

            def slow():
                time.sleep(0.3)
                return 1.0

            x = dt.Value(value=slow)
            a, b = x >> dt.Add(value=1), x >> dt.Add(value=2)
            got = []
            threads = [
                threading.Thread(target=lambda p=p: got.append(float(np.asarray(p.update().resolve()))), daemon=True)
                for p in (a, b)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            self.assertEqual(sorted(got), [2.0, 3.0])
        finally:
            dt.set_callback_wait(previous)

    def test_batches_with_callables_on_two_threads_take_turns_and_give_their_items(self):
        p = dt.Value(value=lambda: np.random.rand()) >> dt.Add(value=1)
        alone = {k: [float(o) for o in p.resolve_batch(40, seed=k)] for k in (1, 2)}
        got = {}
        threads = [
            threading.Thread(target=lambda k=k: got.__setitem__(k, [float(o) for o in p.resolve_batch(40, seed=k)]))
            for k in (1, 2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(got, alone)

    def test_the_limit_is_checked(self):
        with self.assertRaises(ValueError):
            dt.set_callback_wait(-1)
        previous = dt.set_callback_wait(3.0)
        try:
            self.assertEqual(dt.set_callback_wait(3.0), 3.0)
        finally:
            dt.set_callback_wait(previous)


EXIT_CASES = {
    "batch": "p.resolve_batch(100, threads=2)",
    "resolve loop": "[p.update().resolve() for _ in range(100)]",
    "process batch": "p.resolve_batch(100, processes=2)",
    "custom get": "(dt.Value(value=1.0) >> SlowGet()).resolve_batch(100)",
    "Lambda": "(dt.Value(value=1.0) >> dt.Lambda(function=lambda: slow_fn)).resolve_batch(100)",
}

EXIT_SCRIPT = """
import threading, time
import deeptrack_native as dt

def slow():
    time.sleep(0.5)
    return 1.0

def slow_fn(image):
    time.sleep(0.5)
    return image + 1

class SlowGet(dt.Feature):
    def get(self, image, **kwargs):
        time.sleep(0.5)
        return image + 1

p = dt.Value(value=slow) >> dt.Add(value=1)
threading.Thread(target=lambda: {action}, daemon=True).start()
time.sleep(0.2)
print("main exits", flush=True)
"""


class ExitWithDaemonThreadsInCallbacks(unittest.TestCase):
    def test_the_interpreter_exits_cleanly(self):
        for name, action in EXIT_CASES.items():
            with self.subTest(name):
                t0 = time.monotonic()
                done = subprocess.run(
                    [sys.executable, "-c", textwrap.dedent(EXIT_SCRIPT.format(action=action))],
                    capture_output=True,
                    text=True,
                    env=os.environ,
                    timeout=60,
                )
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertIn("main exits", done.stdout)
                self.assertNotIn("FATAL", done.stderr)
                # It waited for the running callable (0.5 s), not for the 100 items.
                self.assertLess(time.monotonic() - t0, 30)


if __name__ == "__main__":
    unittest.main()
