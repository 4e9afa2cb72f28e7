"""Lists pods with the official Kubernetes Python client, then watches from the list's
resourceVersion, resuming from the last seen version whenever the connection drops (an API
server restart). Prints one line per event: TYPE NAME RESOURCEVERSION. Stops after --count
events or --timeout seconds."""
import argparse
import sys
import time

from kubernetes import client, config, watch
from urllib3.exceptions import HTTPError

parser = argparse.ArgumentParser()
parser.add_argument("--kubeconfig", required=True)
parser.add_argument("--namespace", default="default")
parser.add_argument("--count", type=int, required=True)
parser.add_argument("--timeout", type=float, default=120)
args = parser.parse_args()

config.load_kube_config(config_file=args.kubeconfig)
api = client.CoreV1Api()
listed = api.list_namespaced_pod(args.namespace)
version = listed.metadata.resource_version
print(f"LISTED {len(listed.items)} {version}", flush=True)

seen = 0
deadline = time.time() + args.timeout
while seen < args.count and time.time() < deadline:
    try:
        w = watch.Watch()
        for event in w.stream(api.list_namespaced_pod, args.namespace, resource_version=version,
                              allow_watch_bookmarks=True, timeout_seconds=30, _request_timeout=40):
            kind = event["type"]
            obj = event["object"]
            version = obj.metadata.resource_version
            if kind == "BOOKMARK":
                continue
            print(f"{kind} {obj.metadata.name} {version}", flush=True)
            seen += 1
            if seen >= args.count:
                break
    except (HTTPError, OSError, client.exceptions.ApiException) as error:
        # The server went away: resume from the last version seen.
        print(f"RECONNECT {version} {type(error).__name__}", flush=True)
        time.sleep(0.2)
sys.exit(0 if seen >= args.count else 1)
