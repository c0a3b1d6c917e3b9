"""Many sessions at once.

Find every recording in a tree, analyse them in parallel
(processes or a Dask cluster), and write a cohort table and report.
"""
