"""``python -m transformer.train ARGS`` on every rank, except that rank
DIE_RANK kills itself (SIGKILL, no goodbye) right after step DIE_STEP: what
a crashed or killed machine looks like to the others.

    mpiexec -n 2 python tests/transformer_tests/train_then_die.py DIE_RANK DIE_STEP ARGS...
"""
import os
import signal
import sys

from transformer import train, trainer


def main(die_rank, die_step, *args):
    rank = int(os.environ["PMI_RANK"])
    after_step = trainer.Trainer._after_step

    def after_step_then_die(self, *a):
        after_step(self, *a)
        if rank == int(die_rank) and self.progress.step == int(die_step):
            os.kill(os.getpid(), signal.SIGKILL)

    trainer.Trainer._after_step = after_step_then_die
    return train.main(list(args))


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
