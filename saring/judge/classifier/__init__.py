"""The classifiers: text features, scoring with reasons, training, validation, the model registry.

``score`` serves the two models (election relevance, hoax risk) and ``explain`` says why;
``textnorm`` and ``textfeatures`` are the transforms stored inside the model files; ``training``
and ``validation`` build and measure them; ``registry`` keeps retrained versions; ``evidence``
puts fact-check matches on top of the text score.
"""
