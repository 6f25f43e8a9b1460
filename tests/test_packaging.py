"""Installing Wirehouse puts one package into site-packages: `wirehouse` (with its flows,
tasks and warehouse), never top-level `tasks`, `flows` or `warehouse`."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import PROJECT


def test_the_wheel_holds_only_the_wirehouse_namespace(tmp_path):
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run(
        [*build, "-w", str(tmp_path), str(PROJECT)], check=True, capture_output=True, timeout=300
    )
    (wheel,) = tmp_path.glob("wirehouse-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"wirehouse"}
    for module in ("flows/ingest.py", "tasks/readers/base.py", "tasks/outlets.toml"):
        assert f"wirehouse/{module}" in names
    assert "wirehouse/warehouse/schemas.py" in names and "wirehouse/cli.py" in names


def test_the_installed_modules_come_from_the_project_folders():
    import wirehouse.flows.ingest
    import wirehouse.tasks.batch
    import wirehouse.warehouse.storage

    assert wirehouse.tasks.batch.__file__.startswith(str(PROJECT / "tasks"))
    assert wirehouse.flows.ingest.__file__.startswith(str(PROJECT / "flows"))
    assert wirehouse.warehouse.storage.__file__.startswith(str(PROJECT / "warehouse"))
    loaded = {name.split(".")[0] for name in sys.modules}
    assert not loaded & {"tasks", "flows", "warehouse"}, "a module imported by its old name"
