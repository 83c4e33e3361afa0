"""Loaded by every Python subprocess the tests start (tests/conftest.py puts this folder on PYTHONPATH)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
try:
    import netguard
finally:
    sys.path.pop(0)
netguard.install()
