"""The package works installed from its wheel, from any folder: nothing is read from the repository.

The wheel is built (hatchling, the build backend in pyproject.toml) and installed without its
dependencies into a fresh virtual environment; the dependencies are found in the environment
running the tests (a .pth line naming its site-packages), so the test needs no network. The
installed `pfc-econ` then runs `demo`, `synth`, `run`, `cea` and `init` in a temporary folder.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from pfc_econ.paths import IS_PACKAGED

REPO = Path(__file__).resolve().parent.parent


def _run(args: list[str], cwd: Path, env: dict, timeout: int = 300) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))} exit {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    if IS_PACKAGED:
        pytest.skip("the tests run from an installed wheel; this test builds one from the repository")
    work = tmp_path_factory.mktemp("wheel")
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(REPO)]
    if importlib.util.find_spec("hatchling"):  # offline: build with the hatchling installed here
        build.insert(4, "--no-build-isolation")
    subprocess.run(build, check=True, capture_output=True, timeout=300)
    wheel = next((work / "dist").glob("pfc_econ-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("sql/marts", "contracts", "unit_costs", "instruments", "data/feasibility"):
        assert any(n.startswith(f"pfc_econ/_resources/{folder}/") for n in names), folder
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    str(wheel)], check=True, capture_output=True, timeout=300)
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    here = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "_pfc_econ_test_dependencies.pth").write_text("\n".join(sorted(here)) + "\n")
    return venv


def test_installed_wheel_runs_every_command_from_another_folder(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["MPLBACKEND"] = "Agg"
    python, command = installed / "bin" / "python", str(installed / "bin" / "pfc-econ")
    where = _run([str(python), "-c", "import pfc_econ.paths as p; print(p.__file__); print(p.IS_PACKAGED)"], tmp_path, env)
    assert where.split() == [str(installed / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
                                 / "site-packages" / "pfc_econ" / "paths.py"), "True"]

    demo = _run([command, "demo"], tmp_path, env)
    assert "rows lost" not in demo.lower() and (tmp_path / "results" / "pfc.duckdb").is_file()
    manifest = json.loads((tmp_path / "results" / "manifest.json").read_text())
    assert str(REPO) not in json.dumps(manifest["inputs"]) and manifest["row_counts"]["dim_family"] == 19

    _run([command, "synth", "--scenario", "trial", "--families", "24", "--out", "trial"], tmp_path, env)
    _run([command, "run", "--config", "trial/study.toml", "--out", "trial_results"], tmp_path, env)
    assert json.loads((tmp_path / "trial_results" / "manifest.json").read_text())["row_counts"]["dim_family"] == 24

    _run([command, "cea", "results", "--bootstrap", "40", "--imputations", "2"], tmp_path, env)
    summary = json.loads((tmp_path / "results" / "cea" / "summary.json").read_text())
    assert summary["analyses"] and (tmp_path / "results" / "cea" / "report.html").is_file()
    _run([command, "init", "study"], tmp_path, env)  # its templates ship inside the package
    assert (tmp_path / "study" / "unit_costs" / "unit_costs.csv").is_file() and (tmp_path / "study" / "study.toml").is_file()
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["results", "study", "trial", "trial_results"]
