"""One training loop shared by every model (``minigen train MODEL``).

``loop.py`` runs the steps, ``rundir.py`` owns the run directory, ``checkpoint.py``
saves and restores everything a resume needs, ``plots.py`` draws the loss curves.
"""
from .errors import TrainingError
from .loop import train, TrainConfig
from .checkpoint import load_checkpoint, latest_checkpoint, save_checkpoint
from .rundir import RunDir
