#!/usr/bin/env python3
"""A minimal cosign-compatible signer and verifier for one image, the comparison peer of
bench/run.ts (issue 12): legacy `.sig` storage, an unencrypted PEM key (ECDSA P-256, SHA-256),
no transparency log, plain-HTTP registry. Standard library plus `cryptography`; written for the
benchmark, not for use: no auth, no retries, no concurrency safety (it appends like cosign does,
read-modify-write without checking).

    cosign_peer.py sign   --key key.pem HOST/REPO:TAG
    cosign_peer.py verify --key key.pub HOST/REPO:TAG

The formats follow cosign (simple-signing payload as Go marshals it, ggcr's empty-image config,
layer annotation dev.cosignproject.cosign/signature); seal verifies what it signs and the other way
round (bench/run.ts checks both before timing).
"""
import base64
import hashlib
import http.client
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

MANIFEST_ACCEPT = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIG_ANNOTATION = "dev.cosignproject.cosign/signature"


class Registry:
    def __init__(self, host, repo):
        self.conn = http.client.HTTPConnection(host, timeout=60)  # one keep-alive connection
        self.repo = repo

    def request(self, method, path, body=None, headers=None):
        self.conn.request(method, path, body=body, headers=headers or {})
        res = self.conn.getresponse()
        data = res.read()
        return res.status, res.headers, data

    def get_manifest(self, ref):
        status, headers, data = self.request("GET", f"/v2/{self.repo}/manifests/{ref}", headers={"Accept": MANIFEST_ACCEPT})
        if status == 404:
            return None, None
        if status != 200:
            raise SystemExit(f"GET manifest {ref}: {status}")
        return data, headers.get("Content-Type", "").split(";")[0]

    def get_blob(self, digest):
        status, _, data = self.request("GET", f"/v2/{self.repo}/blobs/{digest}")
        if status != 200:
            raise SystemExit(f"GET blob {digest}: {status}")
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise SystemExit(f"blob {digest}: digest mismatch")
        return data

    def put_blob(self, data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        status, _, _ = self.request("HEAD", f"/v2/{self.repo}/blobs/{digest}")
        if status == 200:
            return digest
        status, headers, _ = self.request("POST", f"/v2/{self.repo}/blobs/uploads/", body=b"")
        if status != 202:
            raise SystemExit(f"POST upload: {status}")
        location = headers["Location"]
        if location.startswith("http"):
            location = "/" + location.split("/", 3)[3]
        sep = "&" if "?" in location else "?"
        status, _, _ = self.request("PUT", f"{location}{sep}digest={digest}", body=data,
                                    headers={"Content-Type": "application/octet-stream"})
        if status != 201:
            raise SystemExit(f"PUT blob: {status}")
        return digest

    def put_manifest(self, ref, data, media_type):
        status, _, body = self.request("PUT", f"/v2/{self.repo}/manifests/{ref}", body=data, headers={"Content-Type": media_type})
        if status != 201:
            raise SystemExit(f"PUT manifest {ref}: {status} {body[:200]!r}")


def go_json(obj):
    """Compact JSON with Go's HTML escaping, as cosign's payloads are marshalled."""
    s = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def parse_ref(ref):
    host, rest = ref.split("/", 1)
    if "@" in rest:
        repo, tag = rest.split("@", 1)
    else:
        repo, _, tag = rest.rpartition(":") if ":" in rest else (rest, "", "latest")
    return host, repo, tag


def image_digest(reg, tag):
    data, _ = reg.get_manifest(tag)
    if data is None:
        raise SystemExit(f"no image {tag}")
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sig_tag(digest):
    return digest.replace(":", "-") + ".sig"


def sign(key_path, ref):
    host, repo, tag = parse_ref(ref)
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    reg = Registry(host, repo)
    digest = image_digest(reg, tag)
    payload = go_json({
        "critical": {
            "identity": {"docker-reference": f"{host}/{repo}"},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": None,
    })
    signature = base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
    layer_digest = reg.put_blob(payload)
    layer = {"mediaType": SIMPLESIGNING, "size": len(payload), "digest": layer_digest, "annotations": {SIG_ANNOTATION: signature}}
    current, media_type = reg.get_manifest(sig_tag(digest))
    layers = json.loads(current)["layers"] if current else []
    layers.append(layer)
    config = go_json({
        "architecture": "", "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"} for _ in layers],
        "os": "", "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}, "config": {},
    })
    config_digest = reg.put_blob(config)
    manifest = go_json({
        "schemaVersion": 2, "mediaType": media_type or OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "size": len(config), "digest": config_digest},
        "layers": layers,
    })
    reg.put_manifest(sig_tag(digest), manifest, media_type or OCI_MANIFEST)


def verify(pub_path, ref):
    host, repo, tag = parse_ref(ref)
    with open(pub_path, "rb") as f:
        pub = serialization.load_pem_public_key(f.read())
    reg = Registry(host, repo)
    digest = image_digest(reg, tag)
    data, _ = reg.get_manifest(sig_tag(digest))
    if data is None:
        raise SystemExit("no signatures found")
    verified = 0
    for layer in json.loads(data)["layers"]:
        sig = layer.get("annotations", {}).get(SIG_ANNOTATION)
        if layer.get("mediaType") != SIMPLESIGNING or not sig:
            continue
        payload = reg.get_blob(layer["digest"])
        try:
            pub.verify(base64.b64decode(sig), payload, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            continue
        if json.loads(payload)["critical"]["image"]["docker-manifest-digest"] == digest:
            verified += 1
    if verified == 0:
        raise SystemExit("no matching signatures")
    print(json.dumps([{"digest": digest, "verified": verified}]))


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] not in ("sign", "verify") or sys.argv[2] != "--key":
        raise SystemExit(__doc__)
    (sign if sys.argv[1] == "sign" else verify)(sys.argv[3], sys.argv[4])
