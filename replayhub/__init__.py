"""replayhub."""
