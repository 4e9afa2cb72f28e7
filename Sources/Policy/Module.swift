/// NetworkPolicy enforcement (issue 9).
enum PolicyModule {}
