"""Feeds: read each kind of source into raw batches, validate, store.

Every feed kind yields :class:`RawBatch` objects (a frame with the source's own column
names); :mod:`surveillance.ingest.pipeline` maps, validates and writes them the same way
whatever their origin.
"""
