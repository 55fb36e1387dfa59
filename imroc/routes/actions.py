"""HTML pages for the core loop (actions)."""

from fastapi import APIRouter

router = APIRouter()
