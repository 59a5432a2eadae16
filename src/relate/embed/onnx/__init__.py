"""The ONNX Runtime encoder backend: the sentence-transformers model exported once, optionally int8-quantised.

``embed.backend: onnx`` runs the exported fp32 graph, ``onnx-int8`` the same graph with its
matrix products dynamically quantised to 8 bits. The export happens on first use and is kept
under ``<cache_folder>/onnx/<model>-<fingerprint>/``::

    model.onnx             fp32, with ONNX Runtime's transformer fusions applied
    model_int8-<isa>.onnx  dynamic int8, feed-forward output projections left in fp32, one
                           file per instruction set (``avx512-vnni``, ``avx2``, ...: see
                           :func:`cpu_isa`), made on first use on each kind of CPU (7-bit
                           weights where the CPU has no VNNI)
    export.json            what was exported, from where, with which versions, and how close
                           the export's outputs were to PyTorch's

Importing this package needs ``onnxruntime`` (a core dependency, since ``onnx`` is the default backend);
:class:`relate.embed.Encoder` imports it only for those backends, after
:func:`relate.embed.require_onnx` has named what is missing. :mod:`.export` writes the ONNX
files, :mod:`.model` runs them.

relate exports the model itself (``torch.onnx`` plus ``onnxruntime``'s own fusion and
quantisation tools) rather than through ``optimum``: today's ``optimum-onnx`` pins
``transformers<4.58``, which would hold sentence-transformers back a major version.

Example:
    >>> from relate.config import EmbedConfig
    >>> from relate.embed import resolve_model
    >>> cfg = EmbedConfig(backend="onnx-int8")
    >>> model = load_onnx_model(resolve_model(cfg.model), cfg, ".relate/models")  # doctest: +SKIP
    >>> model.encode(["Azure adds GPU VMs"], normalize_embeddings=True).shape  # doctest: +SKIP
    (1, 384)
"""
from __future__ import annotations

from ..encoder import INSTALL_HINT, BackendUnavailable, require_onnx
from .export import (
    EXPORT_FORMAT,
    EXPORT_TOLERANCE,
    cpu_flags,
    cpu_has_vnni,
    cpu_isa,
    export_onnx,
    ffn_output_matmuls,
    isa_has_vnni,
    isa_tag,
    quantize_int8,
)
from .model import GRAPH_LEVELS, OnnxSentenceModel, available_cpus, export_folder, int8_file, load_onnx_model

__all__ = ["EXPORT_FORMAT", "EXPORT_TOLERANCE", "GRAPH_LEVELS", "INSTALL_HINT", "BackendUnavailable",
           "OnnxSentenceModel", "available_cpus", "cpu_flags", "cpu_has_vnni", "cpu_isa", "export_folder",
           "export_onnx", "ffn_output_matmuls", "int8_file", "isa_has_vnni", "isa_tag", "load_onnx_model",
           "quantize_int8", "require_onnx"]
