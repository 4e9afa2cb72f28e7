/// Service proxy (issues 6, 7).
enum ServiceProxyModule {}
