"""The pure core: dataclasses and transitions with no I/O and no clock of their own."""
