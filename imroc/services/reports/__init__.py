"""Reports: progress rows, and the printable site and learning-set reports."""
