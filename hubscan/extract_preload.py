"""Imported by the extraction pool's forkserver before it forks any worker (hubscan/extract_guard.py).

Importing extract/ and running it once on a small built-in version loads the policy files, builds
the claim lexicons and compiles the patterns, then the guarded patterns' one Hyperscan database
(extract/pattern_scan.py, held back during the warm-up so that it is compiled once, whole): about
1.5 CPU seconds that every worker would otherwise spend for itself, and every pool again (a crawl's
analysis starts one per lineage round).
Forked from a warmed server, each worker starts with all of it in place. Nothing here may fail the
server: without the warm-up the workers warm up themselves, as before.

The warmed objects are then moved out of the cyclic garbage collector's sight (`gc.freeze`): the
policy, lexicons and compiled patterns never die, and the workers' full collections spent most of
their time walking them (about half of the 0.12 ms a version collection took). How often the
collector runs is left as it is: fewer young collections save instructions too, but whether they
save time (objects kept longer touch more memory) did not show above the noise of this machine.
Collection only reclaims memory: what a worker computes is the same.
"""

from __future__ import annotations

import gc


def _warm_up() -> None:
    try:
        from extract.pattern_scan import SCAN
    except Exception:  # noqa: BLE001 - a warm-up only
        return
    with SCAN.held():  # every guarded pattern offered first, then compiled together once
        _extract_once()
    try:
        SCAN.compile()  # the guarded patterns' one Hyperscan database (extract/pattern_scan.py)
    except Exception:  # noqa: BLE001 - a warm-up only: the workers compile what they lack
        pass


def _extract_once() -> None:
    try:
        from extract import extract_model
        from extract.types import StoredVersion

        card = (
            b"---\nlicense: apache-2.0\ndatasets:\n- org/data\n---\n# Model\n\n"
            b"An open-source model fine-tuned from [Base](https://huggingface.co/org/base) on C4 and The Pile "
            b"(2T tokens), with the training code at https://github.com/org/train and PyTorch.\n\n"
            b"## Training Data\n\n- Wikipedia: 10B tokens\n\n| Source | Tokens |\n|---|---|\n| C4 | 1B |\n"
        )
        extract_model(StoredVersion(
            repo_id="org/model", sha="0" * 40, readme=card, readme_status="ok",
            metadata={"tags": ["license:apache-2.0"], "siblings": [{"rfilename": "model.safetensors"}, {"rfilename": "train.py"}]},
        ))
    except Exception:  # noqa: BLE001 - a warm-up only
        pass


def _quiet_collector() -> None:
    gc.collect()
    gc.freeze()  # inherited by every forked worker: the warmed objects are never scanned again


_warm_up()
_quiet_collector()
