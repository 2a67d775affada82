"""The `citykey` command line: one group per package."""
