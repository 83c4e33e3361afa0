"""hubscan: how open are the models on the Hugging Face Hub."""

__version__ = "0.1.0"
