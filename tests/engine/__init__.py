"""Tests of the dispatch engine (a package, so its helper modules have names of their own)."""
