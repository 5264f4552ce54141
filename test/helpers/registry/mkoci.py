#!/usr/bin/python3
"""mkoci.py -- layers, OCI image layouts and docker-archives for the
registry tests, written by hand (Python standard library only) and
deterministically (mtime 0, owner 0, gzip without a name or time), so the
same input gives the same digests.

  mkoci.py layer OUT [--gzip] [--random PATH=BYTES[@SEED] ...]
                 [--file PATH=TEXT ...] [--tree HOSTDIR]
      One layer tar: a host tree (its entries as ./...), files of
      deterministic incompressible bytes, small text files.

  mkoci.py layout OUT --image ARCH[/VARIANT]=L1.tar[,L2.tar...] ...
                  [--ref NAME] [--config JSON] [--index] [--docker] [--os OS]
                  [--created RFC3339]
      An OCI image layout directory (oci-layout, index.json, blobs/sha256)
      for `skopeo copy oci:OUT:NAME`.  One --image without --index: the
      top entry of index.json is that image's manifest.  Several (or
      --index): the top entry is an image index blob listing one manifest
      per platform (what `skopeo copy --all` pushes as a multi-arch image).
      Layers are stored as given: a gzip file gets the +gzip media type.
      --docker: Docker schema 2 media types instead of OCI ones.  --config
      is the "config" object of the image config (Cmd, Env...); the
      image's config also carries "architecture"/"variant"/"os" and
      "created" (2024-01-01T00:00:00Z unless --created).

  mkoci.py docker-archive OUT --layer L.tar [--layer ...] [--tag T ...]
                          [--config JSON] [--arch A]
      What `docker save` writes: manifest.json, HEX.json, HEX/layer.tar.

  mkoci.py digest FILE
      sha256:HEX of FILE, and of its gunzipped content when gzip ("D DIFFID").

Exit status 0, or 2 with a message.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile

OCI = {
    "manifest": "application/vnd.oci.image.manifest.v1+json",
    "index": "application/vnd.oci.image.index.v1+json",
    "config": "application/vnd.oci.image.config.v1+json",
    "layer": "application/vnd.oci.image.layer.v1.tar",
    "layer.gz": "application/vnd.oci.image.layer.v1.tar+gzip",
}
DOCKER = {
    "manifest": "application/vnd.docker.distribution.manifest.v2+json",
    "index": "application/vnd.docker.distribution.manifest.list.v2+json",
    "config": "application/vnd.docker.container.image.v1+json",
    "layer": "application/vnd.docker.image.rootfs.diff.tar",
    "layer.gz": "application/vnd.docker.image.rootfs.diff.tar.gzip",
}


def die(msg):
    print(f"mkoci.py: {msg}", file=sys.stderr)
    sys.exit(2)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def is_gzip(path):
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def diff_id(path):
    if not is_gzip(path):
        return "sha256:" + sha256_file(path)
    h = hashlib.sha256()
    with gzip.open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return "sha256:" + h.hexdigest()


def rand_bytes(n, seed):
    r = random.Random(seed)
    return r.randbytes(n)


def tinfo(name, typ=tarfile.REGTYPE, mode=0o644, size=0):
    ti = tarfile.TarInfo(name)
    ti.type = typ
    ti.mode = mode
    ti.size = size
    ti.mtime = 0
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    return ti


def cmd_layer(a):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        dirs = set()

        def parents(path):
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d and d not in dirs:
                    dirs.add(d)
                    t.addfile(tinfo(d, tarfile.DIRTYPE, 0o755))

        if a.tree:
            for root, dnames, fnames in os.walk(a.tree):
                dnames.sort()
                rel = os.path.relpath(root, a.tree)
                for n in sorted(dnames) + sorted(fnames):
                    p = os.path.join(root, n)
                    arc = os.path.normpath(os.path.join(rel, n))
                    ti = t.gettarinfo(p, arcname=arc)
                    ti.mtime = 0
                    ti.uid = ti.gid = 0
                    ti.uname = ti.gname = ""
                    if ti.isdir():
                        dirs.add(arc)
                    if ti.isreg():
                        with open(p, "rb") as f:
                            t.addfile(ti, f)
                    else:
                        t.addfile(ti)
        for spec in a.random:
            path, _, rest = spec.partition("=")
            n, _, seed = rest.partition("@")
            data = rand_bytes(int(n), seed or path)
            parents(path)
            t.addfile(tinfo(path, size=len(data)), io.BytesIO(data))
        for spec in a.file:
            path, _, text = spec.partition("=")
            data = (text + "\n").encode()
            parents(path)
            t.addfile(tinfo(path, size=len(data)), io.BytesIO(data))
    data = raw.getvalue()
    if a.gzip:
        data = gzip.compress(data, compresslevel=1, mtime=0)
    with open(a.out, "wb") as f:
        f.write(data)


def put_blob(out, data):
    hexd = hashlib.sha256(data).hexdigest()
    path = os.path.join(out, "blobs", "sha256", hexd)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return "sha256:" + hexd, len(data)


def put_file_blob(out, src):
    hexd = sha256_file(src)
    path = os.path.join(out, "blobs", "sha256", hexd)
    if not os.path.exists(path):
        with open(src, "rb") as i, open(path, "wb") as o:
            while True:
                b = i.read(1 << 20)
                if not b:
                    break
                o.write(b)
    return "sha256:" + hexd, os.path.getsize(src)


def jbytes(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def platform_of(spec):
    arch, _, variant = spec.partition("/")
    p = {"architecture": arch, "os": "linux"}
    if variant:
        p["variant"] = variant
    return p


def cmd_layout(a):
    mt = DOCKER if a.docker else OCI
    out = a.out
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    cfg_extra = json.loads(a.config) if a.config else {}
    manifests = []
    for spec in a.image:
        plat, _, layers = spec.partition("=")
        if not layers:
            die(f"--image {spec}: no layers")
        p = platform_of(plat)
        p["os"] = a.os
        lds, diffs = [], []
        for lp in layers.split(","):
            d, n = put_file_blob(out, lp)
            lds.append({"mediaType": mt["layer.gz"] if is_gzip(lp) else mt["layer"],
                        "digest": d, "size": n})
            diffs.append(diff_id(lp))
        cfg = {"architecture": p["architecture"], "os": p["os"],
               "created": a.created, "config": cfg_extra,
               "rootfs": {"type": "layers", "diff_ids": diffs},
               "history": [{"created": a.created,
                            "created_by": "mkoci.py"} for _ in diffs]}
        if "variant" in p:
            cfg["variant"] = p["variant"]
        cd, cn = put_blob(out, jbytes(cfg))
        man = {"schemaVersion": 2, "mediaType": mt["manifest"],
               "config": {"mediaType": mt["config"], "digest": cd, "size": cn},
               "layers": lds}
        md, mn = put_blob(out, jbytes(man))
        manifests.append({"mediaType": mt["manifest"], "digest": md, "size": mn,
                          "platform": p})
    ann = {"org.opencontainers.image.ref.name": a.ref} if a.ref else None
    if len(manifests) == 1 and not a.index:
        top = dict(manifests[0])
        del top["platform"]
    else:
        idx = {"schemaVersion": 2, "mediaType": mt["index"], "manifests": manifests}
        d, n = put_blob(out, jbytes(idx))
        top = {"mediaType": mt["index"], "digest": d, "size": n}
    if ann:
        top["annotations"] = ann
    index = {"schemaVersion": 2, "manifests": [top]}
    if not a.docker:
        index["mediaType"] = OCI["index"]
    with open(os.path.join(out, "index.json"), "w") as f:
        f.write(json.dumps(index, indent=1))
    print(top["digest"])


def cmd_docker_archive(a):
    cfg_extra = json.loads(a.config) if a.config else {}
    members = []
    diffs, paths = [], []
    for lp in a.layer:
        with open(lp, "rb") as f:
            data = f.read()
        h = hashlib.sha256(data).hexdigest()
        diffs.append(diff_id(lp))
        paths.append(f"{h}/layer.tar")
        members.append((f"{h}/", None))
        members.append((f"{h}/layer.tar", data))
    cfg = {"architecture": a.arch, "os": "linux", "created": "2024-01-01T00:00:00Z",
           "config": cfg_extra, "rootfs": {"type": "layers", "diff_ids": diffs}}
    cdata = jbytes(cfg)
    ch = hashlib.sha256(cdata).hexdigest()
    members.insert(0, (f"{ch}.json", cdata))
    man = [{"Config": f"{ch}.json", "RepoTags": a.tag, "Layers": paths}]
    members.insert(0, ("manifest.json", json.dumps(man).encode()))
    with tarfile.open(a.out, "w", format=tarfile.PAX_FORMAT) as t:
        seen = set()
        for name, data in members:
            if name in seen:
                continue
            seen.add(name)
            if data is None:
                t.addfile(tinfo(name.rstrip("/"), tarfile.DIRTYPE, 0o755))
            else:
                t.addfile(tinfo(name, size=len(data)), io.BytesIO(data))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("layer")
    p.add_argument("out")
    p.add_argument("--gzip", action="store_true")
    p.add_argument("--random", action="append", default=[])
    p.add_argument("--file", action="append", default=[])
    p.add_argument("--tree")
    p = sub.add_parser("layout")
    p.add_argument("out")
    p.add_argument("--image", action="append", required=True)
    p.add_argument("--ref")
    p.add_argument("--config")
    p.add_argument("--index", action="store_true")
    p.add_argument("--docker", action="store_true")
    p.add_argument("--os", default="linux")
    p.add_argument("--created", default="2024-01-01T00:00:00Z")
    p = sub.add_parser("docker-archive")
    p.add_argument("out")
    p.add_argument("--layer", action="append", required=True)
    p.add_argument("--tag", action="append", default=[])
    p.add_argument("--config")
    p.add_argument("--arch", default="amd64")
    p = sub.add_parser("digest")
    p.add_argument("file")
    a = ap.parse_args()
    try:
        if a.cmd == "layer":
            cmd_layer(a)
        elif a.cmd == "layout":
            cmd_layout(a)
        elif a.cmd == "docker-archive":
            cmd_docker_archive(a)
        else:
            print("sha256:" + sha256_file(a.file), diff_id(a.file))
    except (OSError, ValueError, json.JSONDecodeError) as e:
        die(str(e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
