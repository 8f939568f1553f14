"""Order of the examples in the gallery: the tutorial path, then the rest.

sphinx-gallery imports this by name (``"gallery_order.TutorialOrder"``): a
class defined in ``conf.py`` would make the configuration unpicklable, which
Sphinx reports as a warning, and warnings fail the build.
"""

# From the first RNN most users meet to the more specialised workflows.
TUTORIAL_PATH = (
    "plot_sine_forecast.py",
    "plot_digits_rows.py",
    "plot_binary_multifeature.py",
    "plot_seq2seq.py",
    "plot_direct_multistep.py",
    "plot_quantile_forecast.py",
    "plot_model_comparison.py",
    "plot_cell_choice.py",
    "plot_variable_length.py",
    "plot_text_order.py",
    "plot_token_tagging.py",
)


class TutorialOrder:
    """Sort key: examples of ``TUTORIAL_PATH`` in its order, others after,
    by file name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        if filename in TUTORIAL_PATH:
            return (0, TUTORIAL_PATH.index(filename), filename)
        return (1, 0, filename)

    def __repr__(self):
        return f"<{type(self).__name__}>"
