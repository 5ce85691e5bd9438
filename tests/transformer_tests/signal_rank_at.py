"""``python -m transformer.train ARGS`` on every rank, except that rank RANK
sends itself SIGNAL (KILL or TERM) right after step STEP: KILL is what a
crashed or killed machine looks like to the others (no goodbye), TERM a
stop request that reached one rank only.

    mpiexec -n 2 python tests/transformer_tests/signal_rank_at.py RANK STEP SIGNAL ARGS...
"""
import os
import signal
import sys

from transformer import train, trainer


def main(rank_to_signal, at_step, sig_name, *args):
    rank = int(os.environ["PMI_RANK"])
    sig = getattr(signal, "SIG" + sig_name)
    after_step = trainer.Trainer._after_step

    def after_step_then_signal(self, *a):
        after_step(self, *a)
        if rank == int(rank_to_signal) and self.progress.step == int(at_step):
            os.kill(os.getpid(), sig)

    trainer.Trainer._after_step = after_step_then_signal
    return train.main(list(args))


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
