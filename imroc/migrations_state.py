"""Where the schema should be: Alembic's head revision, read once from the scripts."""

from functools import lru_cache

from alembic.config import Config
from alembic.script import ScriptDirectory

from imroc.config import ROOT


def alembic_config() -> Config:
    """Alembic's configuration, from pyproject.toml at the repository root."""
    return Config(toml_file=str(ROOT / "pyproject.toml"))


@lru_cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
