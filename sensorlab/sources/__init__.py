"""Producers: everything that yields blocks of samples (:class:`~sensorlab.records.ImuChunk`)."""
