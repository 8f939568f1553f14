"""Model files taken apart and put back together with members changed, for
the tests of what load_model refuses (test_untrusted_files, test_seq2seq)."""

import io
import json
import zipfile

from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from sklearn_rnn import save_model


def file_members(model):
    """``{name: bytes}`` of the file ``save_model`` writes for ``model``."""
    buffer = io.BytesIO()
    save_model(model, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zip_members(members, compress=zipfile.ZIP_DEFLATED):
    """A zip of the ``(name, bytes)`` pairs ``members``, in their order."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members:
            archive.writestr(name, data, compress_type=compress)
    return out.getvalue()


def set_at(*path, value):
    """An edit for :func:`craft` / :func:`edit_json`: the JSON value at
    ``path`` (keys from the top) replaced by ``value``."""
    def edit(stored):
        *parents, leaf = path
        for key in parents:
            stored = stored[key]
        stored[leaf] = value
    return edit


def edit_json(members, name, edit):
    """``members`` (``{name: bytes}``, a copy) with the JSON member
    ``name`` edited in place by ``edit(value)``."""
    members = dict(members)
    stored = json.loads(members[name])
    edit(stored)
    members[name] = json.dumps(stored).encode()
    return members


def craft(members, *, metadata=None, history=None, weights=None, tensors=None):
    """The file of ``members`` with members changed: ``metadata(meta)``
    edits the metadata in place, ``tensors(dict)`` the weights' tensors;
    ``history`` and ``weights`` replace those members' bytes."""
    members = dict(members)
    if metadata is not None:
        members = edit_json(members, "metadata.json", metadata)
    if tensors is not None:
        stored = load_tensors(members["weights.safetensors"])
        tensors(stored)
        members["weights.safetensors"] = save_tensors(stored)
    if weights is not None:
        members["weights.safetensors"] = weights
    if history is not None:
        members["history.json"] = history
    return zip_members(members.items())
