#!/usr/bin/env python3
"""Writes one cluster as (1) a JSON fixture for `trellis dns --fixture`, (2) the same
records as an NSD zone file, (3) a dnsperf query file over those records.

  gen-dns-fixture.py OUTDIR [SERVICES] [ENDPOINTS_PER_SERVICE]

Half the Services are ClusterIP (A + SRV), half headless (A set + one name per endpoint
+ SRV per endpoint). Every Service has one EndpointSlice with the given endpoints, so
10,000 Services x 15 gives 150,000 endpoints."""
import json, os, sys

out = sys.argv[1]
services = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
per = int(sys.argv[3]) if len(sys.argv) > 3 else 15
zone = "cluster.local"
ttl = 30
namespaces = [f"ns{i}" for i in range(50)]
os.makedirs(out, exist_ok=True)

objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in namespaces]
records = []
queries = []
for i in range(services):
    ns = namespaces[i % len(namespaces)]
    name = f"svc-{i}"
    headless = i % 2 == 1
    cip = f"10.{96 + i // 65536}.{(i // 256) % 256}.{i % 256}"
    objects.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                    "spec": {"clusterIP": "None" if headless else cip,
                             "ports": [{"name": "http", "protocol": "TCP", "port": 80}]}})
    eps = []
    owner = f"{name}.{ns}.svc.{zone}."
    for k in range(per):
        n = i * per + k
        ip = f"10.{128 + n // 65536}.{(n // 256) % 256}.{n % 256}"
        eps.append({"addresses": [ip], "conditions": {"ready": True}})
        if headless:
            host = ip.replace(".", "-")
            records.append(f"{owner} {ttl} IN A {ip}")
            records.append(f"{host}.{owner} {ttl} IN A {ip}")
            records.append(f"_http._tcp.{owner} {ttl} IN SRV 0 100 8080 {host}.{owner}")
            if k == 0:
                queries.append(f"{host}.{owner} A")
    objects.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                    "metadata": {"name": f"{name}-1", "namespace": ns,
                                 "labels": {"kubernetes.io/service-name": name}},
                    "addressType": "IPv4", "endpoints": eps,
                    "ports": [{"name": "http", "protocol": "TCP", "port": 8080}]})
    if not headless:
        records.append(f"{owner} {ttl} IN A {cip}")
        records.append(f"_http._tcp.{owner} {ttl} IN SRV 0 100 80 {owner}")
        queries.append(f"{owner} A")
        if i % 10 == 0:
            queries.append(f"_http._tcp.{owner} SRV")
            queries.append(f"{owner} AAAA")          # NODATA
            queries.append(f"missing-{i}.{ns}.svc.{zone}. A")  # NXDOMAIN

with open(os.path.join(out, "fixture.json"), "w") as f:
    json.dump(objects, f, separators=(",", ":"))
with open(os.path.join(out, "cluster.local.zone"), "w") as f:
    f.write(f"$ORIGIN {zone}.\n$TTL {ttl}\n")
    f.write(f"@ {ttl} IN SOA ns.dns.{zone}. hostmaster.{zone}. 1 7200 1800 86400 {ttl}\n")
    f.write(f"@ {ttl} IN NS ns.dns.{zone}.\n")
    f.write(f'dns-version {ttl} IN TXT "1.1.0"\n')
    # Namespaces exist in both servers (empty non-terminals for NSD).
    f.write("\n".join(records) + "\n")
with open(os.path.join(out, "queries.txt"), "w") as f:
    f.write("\n".join(queries) + "\n")
print(f"{services} services, {services * per} endpoints, {len(records)} records, {len(queries)} queries -> {out}")
