"""The library in forked children, as data-loader workers use it (multiprocessing's default start
method on Linux): a child that forks after the parent resolved, batched on threads and freed images
resolves and batches the same bytes as the parent would; so does a child forked while another thread
is in the middle of a batch whose callables run on its workers, or of a resolve."""

import os
import threading
import time
import unittest
import warnings

import numpy as np

import deeptrack_native as dt


def pipeline():
    particle = dt.PointParticle(position=lambda: dt.random.uniform(0, 64, size=2), intensity=100)
    return dt.Fluorescence(output_region=(0, 0, 64, 64))(particle ^ 5)


class ForkedChildren(unittest.TestCase):
    def test_children_resolve_and_batch_like_the_parent(self):
        pipe = pipeline()
        pipe.seed(3)
        pipe.resolve()
        # The parent has run worker threads and freed their images before forking.
        del pipe.resolve_batch(count=8, seed=5, threads=2)[:]
        expected = np.stack([np.asarray(x) for x in pipe.resolve_batch(count=4, seed=9, threads=2)])
        self.assertGreater(expected.max(), 0)
        children = []
        for _ in range(3):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: report whether its batch matches, then leave at once
                os.close(read)
                try:
                    pipe.update()
                    pipe.resolve()
                    got = np.stack([np.asarray(x) for x in pipe.resolve_batch(count=4, seed=9, threads=2)])
                    os.write(write, b"same" if np.array_equal(got, expected) else b"different")
                finally:
                    os._exit(0)
            os.close(write)
            children.append((pid, read))
        for pid, read in children:
            with os.fdopen(read, "rb") as answer:
                self.assertEqual(answer.read(), b"same")
            self.assertEqual(os.waitpid(pid, 0)[1], 0)


def held_pipeline():
    """A pipeline whose callable, once armed, says that it runs (``inside``) and waits for ``go``."""
    inside, go, armed = threading.Event(), threading.Event(), [False]

    def position():
        if armed[0]:
            armed[0] = False
            inside.set()
            go.wait(timeout=60)
        return dt.random.uniform(0, 64, size=2)

    particle = dt.PointParticle(position=position, intensity=100)
    pipe = dt.Fluorescence(output_region=(0, 0, 64, 64))(particle ^ 5)
    return pipe, armed, inside, go


def stack(images):
    return np.stack([np.asarray(x) for x in images])


def wait_for_child(pid, seconds=120):
    """The child's exit status, or None if it is still running after ``seconds`` (then killed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return None


class ForkedMidway(unittest.TestCase):
    def fork_while(self, work):
        """Runs ``work(pipe)`` on a thread, forks while its callable runs (and holds), and returns
        the child's exit status: 0 when the child batched and resolved the same pipeline (and
        another) like the parent."""
        pipe, armed, inside, go = held_pipeline()
        expected = stack(pipe.resolve_batch(4, seed=9, threads=2))
        other = dt.Value(value=lambda: dt.random.uniform(0, 1)) >> dt.Add(value=1)
        armed[0] = True
        result = []
        thread = threading.Thread(target=lambda: result.append(work(pipe)))
        thread.start()
        self.assertTrue(inside.wait(timeout=60))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # forking a process with threads
            pid = os.fork()
        if pid == 0:  # the child: batch and resolve, then leave at once
            code = 1
            try:
                same = np.array_equal(stack(pipe.resolve_batch(4, seed=9, threads=2)), expected)
                pipe.update()
                pipe.resolve()
                value = float(np.asarray(other.update().resolve()))
                batch = stack(other.resolve_batch(3, seed=1, threads=2))
                code = 0 if same and 1 <= value < 2 and ((batch >= 1) & (batch < 2)).all() else 2
            finally:
                os._exit(code)
        go.set()
        thread.join(timeout=120)
        self.assertFalse(thread.is_alive())
        self.assertEqual(len(result), 1)
        return wait_for_child(pid), result[0], expected

    def test_a_child_forked_during_a_batch_with_callables_batches_the_same_pipeline(self):
        status, batch, expected = self.fork_while(lambda pipe: stack(pipe.resolve_batch(4, seed=9, threads=2)))
        self.assertEqual(status, 0)
        np.testing.assert_array_equal(batch, expected)

    def test_a_child_forked_during_a_resolve_uses_the_same_pipeline(self):
        status, image, _ = self.fork_while(lambda pipe: np.asarray(pipe.update().resolve()))
        self.assertEqual(status, 0)
        self.assertEqual(image.shape, (64, 64, 1))


class ForkedDuringProcessBatch(unittest.TestCase):
    def test_a_child_forked_during_a_multi_process_batch_runs_its_own(self):
        """Another thread is in the middle of ``resolve_batch(processes=2)`` (its worker process
        rendering, this process inside a callable of its own chunk) when this one forks: the child
        batches the same pipeline on processes and on threads with the parent's images."""
        inside, go, armed = threading.Event(), threading.Event(), [0]

        def position():
            if armed[0] == os.getpid():  # only this process's chunk holds, not the batch's worker
                armed[0] = 0
                inside.set()
                go.wait(timeout=60)
            return dt.random.uniform(0, 64, size=2)

        pipe = dt.Fluorescence(output_region=(0, 0, 64, 64))(dt.PointParticle(position=position, intensity=100) ^ 5)
        expected = stack(pipe.resolve_batch(16, seed=9, threads=1))
        armed[0] = os.getpid()
        result = []
        thread = threading.Thread(target=lambda: result.append(stack(pipe.resolve_batch(16, seed=9, processes=2))))
        thread.start()
        self.assertTrue(inside.wait(timeout=60))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # forking a process with threads
            pid = os.fork()
        if pid == 0:  # the child: batch on processes and on threads, then leave at once
            code = 1
            try:
                on_processes = stack(pipe.resolve_batch(16, seed=9, processes=2))
                on_threads = stack(pipe.resolve_batch(8, seed=9, threads=2))
                code = 0 if np.array_equal(on_processes, expected) and np.array_equal(on_threads, expected[:8]) else 2
            finally:
                os._exit(code)
        go.set()
        thread.join(timeout=120)
        self.assertFalse(thread.is_alive())
        self.assertEqual(wait_for_child(pid), 0)
        np.testing.assert_array_equal(result[0], expected)


if __name__ == "__main__":
    unittest.main()
