"""HTML pages for the core loop (assessments)."""

from fastapi import APIRouter

router = APIRouter()
