"""hubscan."""
