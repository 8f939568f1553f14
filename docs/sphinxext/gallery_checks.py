"""A check run around every gallery example: nothing is written to the source tree.

sphinx-gallery runs each example from its own folder (``examples/``), so a
file saved under a relative path (a model, a CSV, a figure) would land among
the sources and, unnoticed, in a commit. The examples save to a
``tempfile.TemporaryDirectory`` instead; this check makes the docs build fail
when one does not.
"""

from pathlib import Path

_files_before = {}


def _source_files(gallery_conf):
    dirs = gallery_conf["examples_dirs"]
    if isinstance(dirs, str):
        dirs = [dirs]
    files = set()
    for folder in dirs:
        root = Path(gallery_conf["src_dir"], folder)
        files.update(
            path for path in root.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        )
    return files


def no_files_left_in_examples(gallery_conf, fname, when):
    """``reset_modules`` hook: compare the examples folder before and after."""
    if fname is None:
        return
    files = _source_files(gallery_conf)
    if when == "before":
        _files_before[fname] = files
        return
    new = sorted(str(path) for path in files - _files_before.pop(fname, files))
    if new:
        raise RuntimeError(
            f"Example {fname} wrote {new} into the source tree; save to a "
            "tempfile.TemporaryDirectory() instead."
        )
