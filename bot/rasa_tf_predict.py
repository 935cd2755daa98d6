"""DIET and TED predictions without TensorFlow's per-call dispatch.

Rasa wraps a model's ``predict_step`` in a ``tf.function`` with a fixed input signature and
calls it once per message. Each call first canonicalises the arguments against the signature
and looks the traced graph up in the function's cache: about 1–2 ms of Python per message on
this machine, more than running the small graph itself (``/model/parse`` of a short message is
about 6 ms in all).

After Rasa's own first call has traced the graph, later calls go straight to the traced
graph's concrete function with the inputs converted once: the same graph, the same inputs and
so the same outputs (``tests/test_rasa_tf_predict.py`` compares them). A batch that does not
fit the traced signature (another number of arrays, another dtype or rank) goes through
Rasa's own path, which raises or retraces exactly as before.

Installed by :func:`bot.rasa_fixes.apply` in the Rasa server process.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

#: Attribute on a ``RasaModel``: (the ``tf.function`` it came from, its concrete function,
#: the flat input specs).
_CONCRETE = "_bot_concrete_predict"


def _concrete(model: Any) -> tuple[Any, list[Any]] | None:
    """The traced prediction graph of ``model`` and its input specs, once Rasa traced it."""
    function = getattr(model, "_tf_predict_step", None)
    if function is None:
        return None
    kept = model.__dict__.get(_CONCRETE)
    if kept is not None and kept[0] is function:
        return kept[1], kept[2]
    from tensorflow.python.util import nest

    # The signature is fixed, so this returns the graph Rasa's call traced (no new trace).
    concrete = function.get_concrete_function()
    specs = list(nest.flatten(concrete.structured_input_signature[0]))
    model.__dict__[_CONCRETE] = (function, concrete, specs)
    return concrete, specs


def _fits(batch_in: Sequence[Any], specs: Sequence[Any]) -> bool:
    """Whether every array of ``batch_in`` matches its spec's dtype and shape."""
    if len(batch_in) != len(specs):
        return False
    for array, spec in zip(batch_in, specs, strict=True):
        dtype = getattr(array, "dtype", None)
        if dtype is None or dtype != spec.dtype.as_numpy_dtype:
            return False
        if not spec.shape.is_compatible_with(array.shape):
            return False
    return True


def _direct_predict(original: Any) -> Any:
    # Imported here, when installing: the Rasa process has TensorFlow loaded by then anyway.
    import tensorflow as tf
    from keras.utils import tf_utils
    from rasa.shared.constants import DIAGNOSTIC_DATA

    @functools.wraps(original)
    def _rasa_predict(self: Any, batch_in: Sequence[Any]) -> Any:
        found = None if self._run_eagerly or not self.prepared_for_prediction else _concrete(self)
        if found is None or not _fits(batch_in, found[1]):
            return original(self, batch_in)  # the first call traces; odd batches as before
        concrete, _ = found
        self._training = False
        inputs = [tf.constant(array) for array in batch_in]
        outputs = tf_utils.sync_to_numpy_or_python_type(
            concrete._call_flat(inputs, concrete.captured_inputs)
        )
        if DIAGNOSTIC_DATA in outputs:
            outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
        return outputs

    return _rasa_predict


def apply() -> None:
    """Install the direct prediction call (once per process)."""
    from rasa.utils.tensorflow.models import RasaModel

    from bot.rasa_patch import patch_method

    patch_method(RasaModel, "_rasa_predict", _direct_predict)
