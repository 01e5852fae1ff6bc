"""TF-IDF transforms for scoring, computed word by word with a cache per distinct word.

Same matrix as the fitted ``TfidfVectorizer.transform`` (``tests/test_score.py`` compares
them); it exists because scoring runs over every stored text and must keep ≥ 2,000 texts/s.
"""

from __future__ import annotations

from typing import Any

from saring.judge.classifier.textnorm import folded_chunks, normalize_chunk, normalize_text

__all__ = ["CachedTfidf"]


class CachedTfidf:
    """``TfidfVectorizer.transform`` computed word by word, with a cache per word.

    Word tokens and ``char_wb`` n-grams never cross whitespace, so a document's n-grams are the
    concatenation of its words' n-grams (plus, for word bigrams, the pairs of neighbouring
    tokens). Each distinct word is analysed once, by the vectorizer's own code, and its
    vocabulary indices are kept; sklearn instead re-analyses every word of every text and
    catches a KeyError for each n-gram missing from a pruned vocabulary.
    ``tests/test_score.py`` checks that both give the same matrix.
    """

    CACHE_MAX = 200_000
    """Distinct words kept (about 50 MB at most); the cache is emptied when full."""

    def __init__(self, vec: Any) -> None:
        self.vec = vec
        self.preprocess = vec.build_preprocessor()
        self.vocabulary = vec.vocabulary_
        self.bigrams = vec.analyzer == "word" and vec.ngram_range == (1, 2)
        if vec.analyzer == "char_wb":
            self.analyze_word = vec._char_wb_ngrams
        else:
            self.analyze_word = vec.build_tokenizer()
        self._cache: dict[str, tuple[Any, tuple[int, ...]]] = {}
        # With the models' own normaliser, words are read from the raw folded chunks and each
        # distinct chunk is normalised, tokenised and looked up once.
        self.by_chunk = vec.analyzer == "word" and vec.preprocessor is normalize_text

    @classmethod
    def wrap(cls, transformer: Any) -> Any:
        """A fast stand-in for a plain TF-IDF vectorizer; anything else unchanged."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        from saring.judge.classifier.compact_tfidf import CompactTfidfVectorizer

        ok = (
            type(transformer) in (TfidfVectorizer, CompactTfidfVectorizer)
            and not transformer.binary
            and transformer.norm == "l2"
            and transformer.input == "content"
            and callable(transformer.preprocessor)
            and (
                transformer.analyzer == "char_wb"
                or (
                    transformer.analyzer == "word"
                    and transformer.tokenizer is None
                    and transformer.stop_words is None
                    and transformer.ngram_range in ((1, 1), (1, 2))
                )
            )
        )
        return cls(transformer) if ok else transformer

    def _word(self, word: str) -> tuple[Any, tuple[int, ...]]:
        """(tokens, vocabulary indices of its n-grams) of one whitespace-free word."""
        hit = self._cache.get(word)
        if hit is None:
            if self.by_chunk:
                grams = [g for w in normalize_chunk(word).split() for g in self.analyze_word(w)]
            else:
                grams = self.analyze_word(word)
            get = self.vocabulary.get
            hit = (
                tuple(grams) if self.bigrams else None,
                tuple(j for g in grams if (j := get(g)) is not None),
            )
            if len(self._cache) >= self.CACHE_MAX:
                self._cache.clear()
            self._cache[word] = hit
        return hit

    def _indices(self, doc: str) -> list[int]:
        out: list[int] = []
        words = folded_chunks(doc) if self.by_chunk else self.preprocess(doc).split()
        cached = self._cache.get
        if not self.bigrams:
            for w in words:
                out += (cached(w) or self._word(w))[1]
            return out
        tokens: list[str] = []
        for w in words:
            toks, ids = cached(w) or self._word(w)
            tokens += toks
            out += ids
        get = self.vocabulary.get
        out += [j for a, b in zip(tokens, tokens[1:], strict=False) if (j := get(f"{a} {b}")) is not None]
        return out

    def transform(self, texts: list[str]) -> Any:
        import numpy as np
        import scipy.sparse as sp
        from sklearn.preprocessing import normalize

        indptr, indices = [0], []
        for doc in texts:
            indices += self._indices(doc)
            indptr.append(len(indices))
        x = sp.csr_matrix(
            (
                np.ones(len(indices), dtype=np.float64),
                np.asarray(indices, dtype=np.int64),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(len(texts), len(self.vocabulary)),
        )
        x.sum_duplicates()  # counts, indices sorted
        if self.vec.sublinear_tf:
            np.log(x.data, x.data)
            x.data += 1.0
        if self.vec.use_idf:
            x.data *= self.vec.idf_[x.indices]
        return normalize(x, norm="l2", copy=False)
