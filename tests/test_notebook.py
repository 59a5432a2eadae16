"""notebooks/evaluation.ipynb runs end to end (nbclient), so it cannot rot; its outputs are not committed."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "evaluation.ipynb"


def _run(parameters: dict, timeout: int = 600):
    """Executes the notebook with ``parameters`` injected after its parameters cell (as papermill does)."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    source = "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(source))
    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    return nb


def _text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.extend(str(v) for v in out.get("data", {}).values())
    return "\n".join(parts)


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    first = code[0]
    assert "parameters" in first.metadata.get("tags", [])
    for name in ("CORPUS = ", "JUDGMENTS = None", "WORKSPACE = None"):
        assert name in first.source


@pytest.mark.process
@pytest.mark.model
def test_notebook_runs_on_the_sample(tmp_path, data_dir):
    if not any(data_dir.glob("*.md")):
        pytest.skip("data/ holds no sample records")
    from relate import read_corpus

    arts = read_corpus(data_dir).articles
    # A few hand-made judgments on the sample, so the judged cells run too.
    q = arts[0].url
    rows = [{"query": q, "candidate": a.url, "grade": g, "dup": d}
            for a, g, d in zip(arts[1:5], [2, 1, 0, 2], [False, False, False, True])]
    judgments = tmp_path / "judgments.jsonl"
    judgments.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    nb = _run({"WORKSPACE": str(tmp_path / "ws"), "JUDGMENTS": str(judgments), "SWEEP_VALUES": [0.0, 0.3]})
    text = _text(nb)
    assert "nDCG@5" in text and "relate − legacy, paired" in text
    assert "its candidates in the judges' order" in text           # the bound on what a better order could gain
    assert text.count("data:image/png;base64,") >= 3            # score distribution, sweep, topics
    last = nb.cells[-1].outputs
    assert last and "| metric | relate | legacy | tfidf |" in _text(nbformat.v4.new_notebook(cells=[nb.cells[-1]]))


@pytest.mark.slow
@pytest.mark.process
@pytest.mark.model
def test_notebook_runs_on_azure_with_dev_judgments(azure_dir, judgments_file, azure_engine):
    nb = _run({"CORPUS": str(azure_dir), "JUDGMENTS": str(judgments_file), "WORKSPACE": str(azure_engine.folder),
               "SWEEP_VALUES": [0.0, 0.1, 0.3]}, timeout=900)
    text = _text(nb)
    assert "20 queries" in text and "| nDCG@5 |" in text
