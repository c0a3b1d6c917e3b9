"""Publishers fed by a running session (:class:`sensorlab.session.SessionSink`)."""
