"""Judge: labels, fact-checks, stories, places, evaluation; the classifiers in ``classifier/``."""
