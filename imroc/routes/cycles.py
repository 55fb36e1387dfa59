"""HTML pages for the core loop (cycles)."""

from fastapi import APIRouter

router = APIRouter()
