"""Run folders: atomic creation, ``latest``, the lock, fingerprints, the files and plots."""
