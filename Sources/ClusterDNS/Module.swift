/// Cluster DNS (issue 8).
enum ClusterDNSModule {}
