"""Speed benchmarks: one script a question, each printing its figures and a ratio measured in the same run.

``python -m benchmarks`` runs them all and prints one table (``--quick`` at a smoke size); see README.md.
"""
