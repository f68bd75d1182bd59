"""A progress bar for long generation: tqdm's when it is installed, else a plain line rewritten in place
(``generate: 1200/10000 items (12%)``) on standard error."""

import sys
import time


class Bar:
    """Counts items done of ``total``; ``enabled`` False shows nothing."""

    def __init__(self, total, desc="generate", initial=0, enabled=True):
        self.total, self.desc, self.n = total, desc, initial
        self._tqdm = None
        self._enabled = enabled
        self._last = 0.0
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self._line()
            return
        self._tqdm = tqdm(total=total, initial=initial, desc=desc, unit="item")

    def set(self, n, _total=None):
        """Sets the count of items done to ``n`` (a progress callback: ``(done, total)``)."""
        n = min(n, self.total)
        if n == self.n or not self._enabled:
            self.n = n
            return
        if self._tqdm is not None:
            self._tqdm.update(n - self.n)
            self.n = n
            return
        self.n = n
        now = time.monotonic()
        if now - self._last >= 0.2 or n == self.total:
            self._line()

    def _line(self):
        self._last = time.monotonic()
        pct = 100 * self.n // self.total if self.total else 100
        sys.stderr.write(f"\r{self.desc}: {self.n}/{self.total} items ({pct}%)")
        sys.stderr.flush()

    def close(self):
        """Ends the bar (a newline after the plain line)."""
        if not self._enabled:
            return
        if self._tqdm is not None:
            self._tqdm.close()
        else:
            self._line()
            sys.stderr.write("\n")
            sys.stderr.flush()
        self._enabled = False
