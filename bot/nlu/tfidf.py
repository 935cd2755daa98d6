"""A fitted TF-IDF vectorizer restored from JSON, with scikit-learn's per-call checks skipped.

scikit-learn 1.1's ``TfidfVectorizer.transform`` checks that it is fitted by reading its
``idf_`` property, which sums the whole IDF diagonal matrix again on every call, and then
validates and copies the count matrix: for one short message that was most of the cost of
vectorising it, paid by the intent SVM and the emotion model on every message. A vectorizer
restored from its JSON is fitted by construction, so ``TfidfVectors.transform`` does the same
arithmetic as scikit-learn — sublinear TF, × IDF, L2 norm — without those steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize


class TfidfVectors(TfidfVectorizer):
    """``TfidfVectorizer`` with a fixed vocabulary and IDF, transforming without re-checks."""

    def transform(self, raw_documents: Iterable[Any]) -> Any:
        """TF-IDF rows of ``raw_documents``, equal to scikit-learn's ``transform``."""
        rows = CountVectorizer.transform(self, raw_documents).astype(np.float64)
        if self.sublinear_tf:
            np.log(rows.data, rows.data)
            rows.data += 1
        if self.use_idf:
            rows = rows * self._tfidf._idf_diag
        if self.norm:
            rows = normalize(rows, norm=self.norm, copy=False)
        return rows


def restore_tfidf(
    vocabulary: Mapping[str, int], idf: Sequence[float], **params: Any
) -> TfidfVectors:
    """A fitted vectorizer from its vocabulary, IDF weights and settings (``params``)."""
    vectorizer = TfidfVectors(vocabulary=dict(vocabulary), **params)
    vectorizer.idf_ = np.asarray(idf, dtype=np.float64)
    return vectorizer
