"""Where the compiled kernels are cached: numba's own places when writable, else a folder of ours."""

import os
import subprocess
import sys
from pathlib import Path

from surveillance import jit_cache

IN_TREE = [Path("/pkg/spatial/__pycache__"), Path("/pkg/detectors/__pycache__")]
USER_WIDE = Path("/home/someone/.cache/numba")


def test_a_configured_cache_dir_is_kept():
    assert jit_cache.choose_cache_dir("/srv/cache", IN_TREE, USER_WIDE, lambda folder: False) == "/srv/cache"


def test_numba_chooses_when_the_checkout_or_the_user_cache_is_writable():
    assert jit_cache.choose_cache_dir("", IN_TREE, USER_WIDE, lambda folder: True) == ""
    assert jit_cache.choose_cache_dir("", IN_TREE, USER_WIDE, lambda folder: folder == USER_WIDE) == ""


def test_a_read_only_install_without_a_home_caches_in_the_temporary_folder():
    only_spatial = jit_cache.choose_cache_dir("", IN_TREE, USER_WIDE, lambda folder: folder == IN_TREE[0])
    assert only_spatial == str(jit_cache.fallback_cache_dir())
    assert jit_cache.choose_cache_dir("", IN_TREE, USER_WIDE, lambda folder: False) == str(jit_cache.fallback_cache_dir())


def test_writable_tells_a_folder_that_cannot_be_made(tmp_path):
    assert jit_cache.writable(tmp_path / "new" / "__pycache__")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert not jit_cache.writable(blocker / "__pycache__")


def test_a_writable_checkout_keeps_numba_s_own_choice():
    environment = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    shown = subprocess.run([sys.executable, "-c", "import surveillance.spatial, numba; print(repr(numba.config.CACHE_DIR))"],
                           capture_output=True, text=True, env=environment, cwd=Path(jit_cache.__file__).parents[1],
                           check=True)
    assert shown.stdout.strip() == "''"
