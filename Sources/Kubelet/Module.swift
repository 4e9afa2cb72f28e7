/// The kubelet (issue 4): pods as network namespaces.
enum KubeletModule {}
