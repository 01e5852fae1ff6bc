"""Judge: labels, fact-checks, stories, places, evaluation (the classifiers sit in saring/ for now)."""
