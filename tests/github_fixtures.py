"""Small github.json-style fixtures for the loopback GitHub tests (facts made up for the tests)."""

from __future__ import annotations

import copy

TOKEN = "ghp_testTokenNeverStored0000000000000000"

APACHE = {"key": "apache-2.0", "name": "Apache License 2.0", "spdx_id": "Apache-2.0"}
MIT = {"key": "mit", "name": "MIT License", "spdx_id": "MIT"}
OTHER = {"key": "other", "name": "Other", "spdx_id": "NOASSERTION"}

TRAINER_README = """# acme forge

Training code for the Acme language models.

## Training data

The models were pre-trained on 1.2T tokens collected from Common Crawl snapshots (2019-2023), Wikipedia
and arXiv. Documents were filtered with a fastText quality classifier, deduplicated with MinHash, and
tokenised with a BPE tokenizer.
"""

DATA_DOC = """# Data preparation

We crawled Common Crawl, StackExchange and Project Gutenberg, removed near-duplicates with MinHash,
filtered toxic content and PII, and mixed the sources with fixed sampling weights (70% web, 20% code, 10% books).
"""

REPOS = [
    {
        "full_name": "acme/forge",
        "id": 1001,
        "default_branch": "main",
        "description": "Training code of the Acme models",
        "license": APACHE,
        "tree": {
            "LICENSE": 11000, "scripts/train.py": 15000, "configs/pretrain/base.yaml": 3000,
            "acme/model.py": 40000, "data_prep/tokenize.py": 5000, "examples/finetune_demo.py": 900,
        },
        "files": {"README.md": TRAINER_README, "docs/data.md": DATA_DOC},
    },
    {
        "full_name": "acme/new-name",
        "id": 1002,
        "former_names": ["acme/old-name"],
        "license": MIT,
        "tree": {"train.py": 1000, "LICENSE": 1000},
        "files": {"README.md": "# new name\n"},
    },
    {"full_name": "acme/attic", "id": 1003, "archived": True, "license": MIT, "tree": {"pretrain.py": 2000}},
    {"full_name": "acme/unlicensed", "id": 1004, "license": None, "tree": {"train.py": 2000}},
    {"full_name": "acme/odd-trainer", "id": 1005, "license": OTHER, "tree": {"train.py": 2000, "LICENSE": 4000}},
    {"full_name": "acme/inference-only", "id": 1006, "license": APACHE,
     "tree": {"generate.py": 2000, "acme/modeling_acme.py": 30000}, "files": {"README.md": "# Acme inference\n\nRun the models.\n"}},
    {"full_name": "acme/huge", "id": 1007, "license": APACHE, "truncated": True,
     "tree": {"src/a.py": 10, "src/b.py": 10}, "files": {"BIG.md": "x" * 1_100_000}},
    {"full_name": "acme/blocked", "id": 1008, "license": APACHE, "blocked": True, "tree": {"train.py": 10}},
]


def github_data() -> dict:
    return {"repos": copy.deepcopy(REPOS)}
