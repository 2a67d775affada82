"""Fuzzing harnesses (atheris) for every parser that reads outside input; see fuzz/README.md."""
