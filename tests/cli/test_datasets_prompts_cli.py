"""`shipyard datasets` and `shipyard prompts` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

from shipyard.cli.main import main


def test_datasets_register_show_diff(tmp_path: Path, capsys) -> None:
    (tmp_path / "v1.csv").write_text("id,income,city\n1,100,Oslo\n2,200,Lima\n3,300,Oslo\n")
    (tmp_path / "v2.csv").write_text("id,income,city\n1,100,Oslo\n2,250,Lima\n4,400,Pune\n")
    assert main(["datasets", "register", str(tmp_path / "v1.csv"), "--name", "credit"]) == 0
    assert capsys.readouterr().out.strip() == "dataset:credit@1"
    assert main(["datasets", "register", str(tmp_path / "v1.csv"), "-n", "credit"]) == 0
    assert capsys.readouterr().out.strip() == "dataset:credit@1"
    assert main(["datasets", "register", str(tmp_path / "v2.csv"), "-n", "credit"]) == 0
    capsys.readouterr()
    assert main(["datasets", "show", "dataset:credit@1"]) == 0
    out = capsys.readouterr().out
    assert "3 rows × 3 columns" in out and "income" in out and "Oslo (2)" in out
    assert (
        main(["datasets", "diff", "dataset:credit@1", "dataset:credit@2", "--key", "id", "--json"])
        == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert (d["rows_added"], d["rows_removed"], d["rows_changed"]) == (1, 1, 1)
    assert main(["datasets", "diff", "dataset:credit@1", "dataset:credit@2"]) == 0
    assert "rows 3 -> 3" in capsys.readouterr().out


def test_datasets_folder(tmp_path: Path, capsys) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(30):
        (docs / f"{i}.md").write_text(f"# doc {i}\n")
    assert main(["datasets", "register", str(docs), "-n", "docs"]) == 0
    capsys.readouterr()
    assert main(["datasets", "show", "dataset:docs"]) == 0
    assert "a folder of 30 files" in capsys.readouterr().out


def test_prompts_create_show_render(tmp_path: Path, capsys) -> None:
    assert (
        main(
            [
                "prompts",
                "create",
                "support",
                "--text",
                "Q: {{ question }}\nA:",
                "--model",
                "gemma-3-270m",
                "--provider",
                "local",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.strip() == "prompt:support@1"
    spec = tmp_path / "p.json"
    spec.write_text(
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "{{ q }}"},
                ]
            }
        )
    )
    assert main(["prompts", "create", "support", "--file", str(spec)]) == 0
    assert capsys.readouterr().out.strip() == "prompt:support@2"
    assert main(["prompts", "show", "prompt:support@1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"]["model"] == "gemma-3-270m"
    assert main(["prompts", "render", "prompt:support@1", "--var", "question=Why?", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"role": "user", "content": "Q: Why?\nA:"}]


def test_prompt_mistakes_are_one_line(capsys) -> None:
    main(["prompts", "create", "p", "--text", "{{ a }} {{ b }}"])
    capsys.readouterr()
    assert main(["prompts", "render", "prompt:p", "--var", "a=1"]) == 2
    err = capsys.readouterr().err
    assert "'b'" in err and len(err.strip().splitlines()) == 1
    assert main(["prompts", "render", "prompt:p", "--var", "novalue"]) == 2
    assert main(["prompts", "create", "p"]) == 2
    assert "exactly one of --file or --text" in capsys.readouterr().err
