"""The library in forked children, as data-loader workers use it (multiprocessing's default start
method on Linux): a child that forks after the parent resolved, batched on threads and freed images
resolves and batches the same bytes as the parent would."""

import os
import unittest

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


if __name__ == "__main__":
    unittest.main()
