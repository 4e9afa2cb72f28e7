/// Multi-node pod networking (issue 5).
enum RoutingModule {}
