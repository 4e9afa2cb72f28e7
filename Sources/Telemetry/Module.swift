/// Prometheus metrics and health endpoints for the daemons.
enum TelemetryModule {}
