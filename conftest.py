"""Root conftest: loaded before any test or doctest module imports scipy."""

import os

# scikit-learn's estimator checks include check_array_api_input, which skips
# itself unless scipy's array API support is switched on before scipy is
# first imported. Switch it on so the check runs instead of skipping.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
