"""Resume after a crash that fell between a metrics write and a checkpoint: the log is cut
back to the checkpoint's step, so each step appears once, with the resumed run's values."""
import json

import pytest

from minigen.training import TrainConfig, train


def test_resume_drops_the_metric_lines_written_after_the_checkpoint(tmp_path):
    cfg = dict(model="autoencoder", steps=8, batch_size=16, out=str(tmp_path / "run"), log_every=1,
               sample_every=100, checkpoint_every=100, progress=False, options={"width": 4})
    first = train(TrainConfig(**cfg, stop_after=3))           # checkpoint at step 3
    assert first.interrupted
    rows = first.read_metrics()
    # the crash: steps 4 and 5 were logged (with values the resumed run will not reproduce)
    # but the process died before the next checkpoint
    with open(first.metrics_path, "a") as f:
        for step in (4, 5):
            f.write(json.dumps({**rows[-1], "step": step, "loss": 1e9}) + "\n")
    resumed = train(TrainConfig(resume=str(tmp_path / "run"), progress=False)).read_metrics()
    assert [r["step"] for r in resumed] == list(range(1, 9))
    assert all(r["loss"] != pytest.approx(1e9) for r in resumed)
