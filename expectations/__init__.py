"""Great Expectations suites as code (see suites.py) and the runner that validates them via pandas."""
