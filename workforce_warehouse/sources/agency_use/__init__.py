from .loader import *  # noqa: F403
