"""flamepy.cache's ObjectRef (Flame's layout before its `core` module), for code written against that version."""

from .future import ObjectRef

__all__ = ["ObjectRef"]
