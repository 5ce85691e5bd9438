"""TensorBoard events beside metrics.jsonl (``python -m transformer.train
--tensorboard``), through ``tensorboardX``, an optional extra (``pip
install -e ".[tensorboard]"``), imported only when asked for.

Every number of a metrics record becomes a scalar at its optimizer step:
``step/loss``, ``step/lr``, ``step/grad_norm``, ``step/tokens_per_s``,
``epoch/valid_loss``, ``epoch/bleu``, ... Look at them with ``tensorboard
--logdir RUN/tensorboard``. A resumed run appends to the same folder, so the
steps between its checkpoint and the stop appear twice; TensorBoard draws
the later ones."""
from __future__ import annotations

import os

from .cli import CommandError

FOLDER = "tensorboard"
_NOT_SCALARS = ("step", "epoch", "time")


def _summary_writer():
    try:
        import tensorboardX  # an optional extra: imported only for --tensorboard
    except ImportError:
        raise CommandError('--tensorboard needs tensorboardX: pip install tensorboardX (or '
                           'pip install -e ".[tensorboard]")') from None
    return tensorboardX.SummaryWriter


def check_installed():
    """Fail before the run starts, not after its folder is made."""
    _summary_writer()


class EventWriter:
    def __init__(self, run_dir):
        self._writer = _summary_writer()(os.path.join(run_dir, FOLDER))

    def write(self, record: dict):
        """The numbers of one metrics record, tagged ``<kind>/<name>``."""
        for name, value in record.items():
            if name in _NOT_SCALARS or isinstance(value, bool) or \
                    not isinstance(value, (int, float)):
                continue
            self._writer.add_scalar(f"{record['kind']}/{name}", value, record["step"],
                                    walltime=record.get("time"))

    def close(self):
        self._writer.close()
