"""The workers' forkserver warms up the batch step before it forks any worker
(tasks/preload.py, tasks/workers.py `prestart`).

Each case runs in its own Python process: a prestarted forkserver is per process, and
this one (pytest's) must not get one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import psutil

PROBE = textwrap.dedent(
    """
    import json, os, sys
    from wirehouse.tasks import workers

    def state():
        from wirehouse.tasks import dates, language
        return {
            "pid": os.getpid(),
            "grammar": dates._grammar.cache_info().currsize,
            "profiles": language._profiles.cache_info().currsize,
        }

    if __name__ == "__main__":
        assert workers.prestart()
        with workers.worker_processes(1):
            remote = workers.in_worker(state)
        print(json.dumps({"here": os.getpid(), "remote": remote, "local": state()}))
    """
)


def test_a_prestarted_pool_runs_one_batch_in_a_worker_that_is_already_warm(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["remote"]["pid"] != found["here"]  # one batch, yet in a worker
    # The worker was forked with the date grammar and the language profiles built...
    assert found["remote"]["grammar"] == 1 and found["remote"]["profiles"] == 1
    # ...by the forkserver, not by the process that started it.
    assert found["local"]["grammar"] == 0 and found["local"]["profiles"] == 0


def test_a_killed_owner_ends_its_forkserver_even_while_it_warms_up(tmp_path):
    script = tmp_path / "owner.py"
    script.write_text(
        "import time\nfrom wirehouse.tasks import workers\n"
        "workers.prestart()\nprint('started', flush=True)\ntime.sleep(600)\n"
    )
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 30
        children: list[psutil.Process] = []
        while not children and time.monotonic() < deadline:
            children = psutil.Process(owner.pid).children(recursive=True)
            time.sleep(0.05)
        assert children, "prestart started no forkserver"
    finally:
        owner.kill()
        owner.wait()
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"left running after their owner was killed: {alive}"
