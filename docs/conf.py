"""Sphinx configuration of the sklearn-rnn documentation.

Build with ``make docs`` (warnings are errors, examples run on the CPU).
"""

import os
import re
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "sphinxext"))

import sklearn_rnn  # noqa: E402

project = "sklearn-rnn"
author = "sklearn-rnn developers"
copyright = "sklearn-rnn developers"
release = sklearn_rnn.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
default_role = "obj"
pygments_style = "sphinx"

# --- API reference ---------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
# numpydoc renders Parameters/Attributes/Examples; autodoc lists the methods
# (as scikit-learn's own docs do), so numpydoc's member tables would
# duplicate them and point at pages that do not exist.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False


def _unlink_sklearn_references(app, what, name, obj, options, lines):
    """Inherited scikit-learn docstrings as plain text where they link.

    ``get_params``, ``set_output``, ``set_fit_request``... come from
    scikit-learn, whose docstrings point at labels and glossary terms of
    scikit-learn's own site. Without network access at build time (no
    intersphinx), those targets cannot resolve: keep their text.
    """
    module = getattr(obj, "__module__", None) or ""
    if not module.startswith("sklearn."):
        return
    for i, line in enumerate(lines):
        line = re.sub(r":(?:ref|term):`([^`<]*?)\s*<[^`>]*>`", r"\1", line)
        lines[i] = re.sub(r":(?:ref|term):`([^`]*)`", r"\1", line)


# --- Examples gallery ------------------------------------------------------
# Examples run on the CPU as users would run them; anything they save goes to
# a temporary directory (they use ``tempfile``): the build fails if an
# example leaves a file in examples/ (sphinxext/gallery_checks.py).
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # Only plot_*.py scripts are gallery examples; the other scripts of
    # examples/ (the demo, the Ray search) are run by hand.
    "ignore_pattern": r"(^|[\\/])(?!plot_)[^\\/]*\.py$",
    "within_subsection_order": "gallery_order.TutorialOrder",
    "doc_module": ("sklearn_rnn",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"sklearn_rnn": None},
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib", "gallery_checks.no_files_left_in_examples"),
    "reset_modules_order": "both",
    "capture_repr": ("_repr_html_", "__repr__"),
    "min_reported_time": 1,
    "show_memory": False,
    "remove_config_comments": True,
    "plot_gallery": "True",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
}
# Headless build: examples' plt.show() must not try to open windows.
os.environ.setdefault("MPLBACKEND", "Agg")

warnings.filterwarnings(
    "ignore",
    category=UserWarning,
    message="Matplotlib is currently using agg, which is a non-GUI backend",
)
warnings.filterwarnings(
    "ignore",
    category=UserWarning,
    message="FigureCanvasAgg is non-interactive",
)

# --- HTML ------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-rnn {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 7,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "install": [], "getting_started": [], "changelog": []}
html_show_sourcelink = True
html_last_updated_fmt = None

myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3


_TYPE_LINE = re.compile(r"^(\s*\*{0,2}\w+\s+:\s)(.*)$")
_TRAILING_UNDERSCORE_NAME = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?=[,)\s]|$)")


def _literal_attribute_names_in_types(app, what, name, obj, options, lines):
    """Render fitted-attribute names in numpydoc type specs as code.

    In reST a bare word ending in ``_`` is a link reference, so a type such
    as ``ndarray of shape (n_features_in_,)`` is an error ("Unknown target
    name"). scikit-learn writes ``(`n_features_in_`,)``; this makes the
    bare spelling render the same way. Runs before numpydoc parses the
    sections, on the type part of ``name : type`` lines only.
    """
    if not (getattr(obj, "__module__", None) or "").startswith("sklearn_rnn"):
        return
    for i, line in enumerate(lines):
        match = _TYPE_LINE.match(line)
        if match:
            head, spec = match.groups()
            lines[i] = head + _TRAILING_UNDERSCORE_NAME.sub(r"``\1``", spec)


def setup(app):
    app.connect(
        "autodoc-process-docstring", _literal_attribute_names_in_types, priority=400
    )
    app.connect("autodoc-process-docstring", _unlink_sklearn_references)
