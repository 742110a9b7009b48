"""``mg.profile()``: where the time goes, per op type, forward and backward separately.

    with mg.profile() as prof:
        loss = model(x).sum()
        loss.backward()
    print(prof)              # a table sorted by total time
    prof.rows                # the same as a list of dicts

Times are *self* times: when Conv2d's backward calls ConvTranspose2d, that call is
counted under ConvTranspose2d and subtracted from Conv2d's backward, so the column
sums to the time spent in ops. On the GPU, kernels run asynchronously: pass
``sync=True`` to synchronise before each clock reading (slower, but honest).
"""
import time

from . import backend

_active = [None]  # the profile being recorded, if any


class profile:
    def __init__(self, sync=False):
        self.sync = sync
        self.records = {}   # (op, phase) -> [calls, seconds]
        self._stack = []    # [start, time spent in nested calls]

    def __enter__(self):
        if _active[0] is not None:
            raise RuntimeError("mg.profile() is already active; profiles do not nest")
        _active[0] = self
        return self

    def __exit__(self, *exc):
        _active[0] = None

    def _now(self):
        if self.sync and backend.cupy is not None and backend.cuda_is_available():
            backend.cupy.cuda.Device().synchronize()
        return time.perf_counter()

    def start(self):
        self._stack.append([self._now(), 0.0])

    def stop(self, op, phase):
        start, nested = self._stack.pop()
        elapsed = self._now() - start
        record = self.records.setdefault((op, phase), [0, 0.0])
        record[0] += 1
        record[1] += elapsed - nested
        if self._stack:
            self._stack[-1][1] += elapsed

    @property
    def rows(self):
        rows = [{"op": op, "phase": phase, "calls": n, "seconds": s}
                for (op, phase), (n, s) in self.records.items()]
        return sorted(rows, key=lambda r: -r["seconds"])

    @property
    def total(self):
        return sum(r["seconds"] for r in self.rows)

    def table(self, limit=None):
        rows = self.rows[:limit] if limit else self.rows
        total = self.total or 1.0
        lines = [f"{'op':<22} {'phase':<8} {'calls':>7} {'ms':>10} {'%':>6}", "-" * 57]
        for r in rows:
            lines.append(f"{r['op']:<22} {r['phase']:<8} {r['calls']:>7} {r['seconds'] * 1e3:>10.2f} "
                         f"{100 * r['seconds'] / total:>6.1f}")
        lines.append(f"{'total':<22} {'':<8} {'':>7} {self.total * 1e3:>10.2f}")
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def active():
    return _active[0]
