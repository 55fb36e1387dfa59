"""imroc: the ImROC organisational self-audit and Plan-Do-Study-Act tracker."""

__version__ = "0.1.0"
