#!/usr/bin/python3
"""mkimage.py -- image archives and layers written by hand, for the image tests.

Everything is built from the standard library (tarfile, hashlib, gzip,
json), deterministically (mtime 0, uid/gid 0, sorted where there is a
choice), so that the same input gives the same bytes and digests.

  mkimage.py tar OUT [--gzip] < SPEC
      A tar (a layer, or a whole archive for the hostile cases) from a
      line-oriented SPEC on stdin, one entry per line, split like a shell
      line (shlex); names are written exactly as given ("../x", "/etc/x"
      stay as they are):
        dir PATH [mode=0755]
        file PATH [TEXT] [mode=0644] [uid=N] [gid=N]  TEXT (\\n, \\t: newline,
                                       tab), then a newline; no TEXT: empty
        big PATH BYTES                 deterministic incompressible content
        symlink PATH TARGET
        hardlink PATH TARGET
        whiteout PATH                  the empty file DIR/.wh.BASE
        opaque DIR                     the empty file DIR/.wh..wh..opq
        add NAME HOSTFILE              a host file's content under NAME
        tree HOSTDIR                   a host tree (its entries as ./...)
      Blank lines and lines starting with # are skipped.

  mkimage.py tars [--gzip] < SPEC
      Several tars in one go: a line "@ OUT" starts the next one.

  mkimage.py docker-archive OUT --layer L.tar [--layer ...] [--tag T ...]
             [--config JSON] [--arch A] [--variant V] [--os OS] [--gzip]
             [--dup-symlinks]
      What `docker save` writes: manifest.json, HEX.json (the config, whose
      rootfs.diff_ids are the sha256 of each uncompressed layer), and
      HEX/layer.tar per layer (gzip-compressed with --gzip; a layer given
      twice is stored once, and with --dup-symlinks the second is a
      symlink to the first, as docker does).  --config is the JSON object
      of the config's "config" field (Cmd, Entrypoint, Env...).

  mkimage.py oci-archive OUT --image ARCH[/VARIANT]=L1.tar[,L2.tar...] ...
             [--config JSON] [--ref NAME] [--index flat|platforms|nested]
             [--gzip] [--os OS]
      An OCI image layout in a tar: oci-layout, index.json, blobs/sha256/.
      flat (default, one --image only): index.json names the manifest;
      platforms: index.json names every manifest with its platform;
      nested: index.json names one image index blob which names them.
      --ref sets org.opencontainers.image.ref.name on the top entries.

  mkimage.py digest FILE
      sha256:HEX of a file (gzip-decompressed first when it is gzip).

Exit status 0, or 2 with a message on bad input.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import shlex
import sys
import tarfile

MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
MT_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


def die(msg):
    print(f"mkimage.py: {msg}", file=sys.stderr)
    sys.exit(2)


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def ungz(data):
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


# ---------------------------------------------------------------- tar writing

def _info(name, typ, mode, size=0, link="", uid=0, gid=0):
    ti = tarfile.TarInfo(name)
    ti.type = typ
    ti.mode = mode
    ti.size = size
    ti.linkname = link
    ti.uid, ti.gid = uid, gid
    ti.uname = ti.gname = ""
    ti.mtime = 0
    return ti


def _opts(words):
    """Trailing key=value words (mode, uid, gid) and the rest."""
    opts, rest = {}, []
    for w in words:
        k, sep, v = w.partition("=")
        if sep and k in ("mode", "uid", "gid"):
            opts[k] = int(v, 8) if k == "mode" else int(v)
        else:
            rest.append(w)
    return opts, rest


def _big_fast(n):
    # 1 MiB of hashed blocks, repeated with a per-MiB salt: incompressible
    # enough for gzip (whose window is 32 KiB) and quick to make.
    block = bytearray()
    h = b"cpod-big"
    while len(block) < (1 << 20):
        h = hashlib.sha256(h).digest()
        block += h
    out = bytearray()
    i = 0
    while len(out) < n:
        salt = hashlib.sha256(b"%d" % i).digest()
        out += bytes(a ^ salt[k % 32] for k, a in enumerate(block[:4096])) + block[4096:]
        i += 1
    return bytes(out[:n])


def write_tar(spec_lines, fileobj):
    tf = tarfile.open(fileobj=fileobj, mode="w", format=tarfile.PAX_FORMAT)
    for lineno, line in enumerate(spec_lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line)
        except ValueError as e:
            die(f"line {lineno}: {e}")
        kind, args = words[0], words[1:]
        opts, args = _opts(args)
        uid, gid = opts.get("uid", 0), opts.get("gid", 0)
        if kind == "dir" and len(args) == 1:
            tf.addfile(_info(args[0], tarfile.DIRTYPE, opts.get("mode", 0o755), uid=uid, gid=gid))
        elif kind == "file" and len(args) in (1, 2):
            text = args[1].replace("\\n", "\n").replace("\\t", "\t") if len(args) == 2 else None
            data = (text + "\n").encode() if text is not None else b""
            tf.addfile(_info(args[0], tarfile.REGTYPE, opts.get("mode", 0o644), len(data),
                             uid=uid, gid=gid), io.BytesIO(data))
        elif kind == "big" and len(args) == 2:
            data = _big_fast(int(args[1]))
            tf.addfile(_info(args[0], tarfile.REGTYPE, 0o644, len(data)), io.BytesIO(data))
        elif kind == "symlink" and len(args) == 2:
            tf.addfile(_info(args[0], tarfile.SYMTYPE, 0o777, link=args[1]))
        elif kind == "hardlink" and len(args) == 2:
            tf.addfile(_info(args[0], tarfile.LNKTYPE, 0o644, link=args[1]))
        elif kind == "whiteout" and len(args) == 1:
            d, b = os.path.split(args[0].rstrip("/"))
            tf.addfile(_info(os.path.join(d, ".wh." + b), tarfile.REGTYPE, 0o644))
        elif kind == "opaque" and len(args) == 1:
            tf.addfile(_info(os.path.join(args[0], ".wh..wh..opq"), tarfile.REGTYPE, 0o644))
        elif kind == "add" and len(args) == 2:
            with open(args[1], "rb") as f:
                data = f.read()
            tf.addfile(_info(args[0], tarfile.REGTYPE, opts.get("mode", 0o644), len(data)),
                       io.BytesIO(data))
        elif kind == "tree" and len(args) == 1:
            _add_tree(tf, args[0])
        else:
            die(f"line {lineno}: cannot read {line!r}")
    tf.close()


def _add_tree(tf, top):
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        rel = os.path.relpath(dirpath, top)
        names = sorted(dirnames + filenames)
        if rel == ".":
            tf.addfile(_info("./", tarfile.DIRTYPE, os.lstat(dirpath).st_mode & 0o7777))
        for n in names:
            p = os.path.join(dirpath, n)
            arc = "./" + (n if rel == "." else os.path.join(rel, n))
            st = os.lstat(p)
            mode = st.st_mode & 0o7777
            if os.path.islink(p):
                tf.addfile(_info(arc, tarfile.SYMTYPE, 0o777, link=os.readlink(p)))
            elif os.path.isdir(p):
                tf.addfile(_info(arc + "/", tarfile.DIRTYPE, mode))
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    data = f.read()
                tf.addfile(_info(arc, tarfile.REGTYPE, mode, len(data)), io.BytesIO(data))


def _write_out(path, lines, compress):
    bio = io.BytesIO()
    write_tar(lines, bio)
    data = bio.getvalue()
    with open(path, "wb") as f:
        f.write(gz(data) if compress else data)


def cmd_tar(a):
    _write_out(a.out, sys.stdin.read().splitlines(), a.gzip)


def cmd_tars(a):
    out, lines = None, []
    for line in sys.stdin.read().splitlines() + ["@"]:
        if line.startswith("@"):
            if out:
                _write_out(out, lines, a.gzip)
            out, lines = line[1:].strip(), []
        elif out is None and line.strip():
            die("tars: the first line must be @ OUT")
        else:
            lines.append(line)


# ---------------------------------------------------------------- images

def image_config(layers_plain, arch, variant, os_name, cfg):
    diff_ids = [sha256(d) for d in layers_plain]
    c = {
        "created": "2024-01-01T00:00:00Z",
        "architecture": arch,
        "os": os_name,
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2024-01-01T00:00:00Z",
                     "created_by": f"mkimage.py layer {i}"} for i in range(len(layers_plain))],
    }
    if variant:
        c["variant"] = variant
    return json.dumps(c, separators=(",", ":")).encode()


def _add_bytes(tf, name, data, mode=0o644):
    tf.addfile(_info(name, tarfile.REGTYPE, mode, len(data)), io.BytesIO(data))


def _read_layers(paths):
    out = []
    for p in paths:
        with open(p, "rb") as f:
            out.append(ungz(f.read()))
    return out


def cmd_docker(a):
    plain = _read_layers(a.layer)
    cfg = json.loads(a.config) if a.config else {}
    config = image_config(plain, a.arch, a.variant, a.os, cfg)
    chex = hashlib.sha256(config).hexdigest()
    tf = tarfile.open(a.out, "w", format=tarfile.PAX_FORMAT)
    paths, first = [], {}
    for data in plain:
        blob = gz(data) if a.gzip else data
        hx = hashlib.sha256(blob).hexdigest()
        path = f"{hx}/layer.tar"
        if hx in first:
            if a.dup_symlinks:
                # docker: a later copy of the same layer links to the first
                path = f"{hx}-{len(paths)}/layer.tar"
                tf.addfile(_info(f"{hx}-{len(paths)}/", tarfile.DIRTYPE, 0o755))
                tf.addfile(_info(path, tarfile.SYMTYPE, 0o777, link=f"../{hx}/layer.tar"))
            else:
                path = first[hx]
        else:
            first[hx] = path
            tf.addfile(_info(f"{hx}/", tarfile.DIRTYPE, 0o755))
            _add_bytes(tf, path, blob)
        paths.append(path)
    _add_bytes(tf, f"{chex}.json", config)
    manifest = [{"Config": f"{chex}.json", "RepoTags": a.tag or None, "Layers": paths}]
    _add_bytes(tf, "manifest.json", json.dumps(manifest).encode())
    tf.close()


def cmd_oci(a):
    images = []
    for spec in a.image:
        plat, sep, files = spec.partition("=")
        if not sep or not files:
            die(f"--image {spec}: ARCH[/VARIANT]=L1.tar[,L2.tar...] expected")
        arch, _, variant = plat.partition("/")
        images.append((arch, variant, files.split(",")))
    if a.index == "flat" and len(images) != 1:
        die("--index flat takes one --image")
    cfg = json.loads(a.config) if a.config else {}
    blobs = {}

    def put(data):
        d = sha256(data)
        blobs[d] = data
        return {"digest": d, "size": len(data)}

    descs = []
    for arch, variant, files in images:
        plain = _read_layers(files)
        config = image_config(plain, arch, variant, a.os, cfg)
        layers = []
        for data in plain:
            blob = gz(data) if a.gzip else data
            d = put(blob)
            layers.append({"mediaType": MT_OCI_LAYER_GZIP if a.gzip else MT_OCI_LAYER, **d})
        manifest = {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
                    "config": {"mediaType": MT_OCI_CONFIG, **put(config)},
                    "layers": layers}
        md = put(json.dumps(manifest, separators=(",", ":")).encode())
        desc = {"mediaType": MT_OCI_MANIFEST, **md}
        if a.index != "flat":
            desc["platform"] = {"architecture": arch, "os": a.os}
            if variant:
                desc["platform"]["variant"] = variant
        descs.append(desc)
    ann = {"org.opencontainers.image.ref.name": a.ref} if a.ref else None
    if a.index == "nested":
        inner = {"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": descs}
        d = {"mediaType": MT_OCI_INDEX,
             **put(json.dumps(inner, separators=(",", ":")).encode())}
        top = [d]
    else:
        top = descs
    if ann:
        for d in top:
            d["annotations"] = dict(ann)
    index = {"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": top}
    tf = tarfile.open(a.out, "w", format=tarfile.PAX_FORMAT)
    _add_bytes(tf, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    tf.addfile(_info("blobs/", tarfile.DIRTYPE, 0o755))
    tf.addfile(_info("blobs/sha256/", tarfile.DIRTYPE, 0o755))
    for d in sorted(blobs):
        _add_bytes(tf, "blobs/sha256/" + d[7:], blobs[d])
    _add_bytes(tf, "index.json", json.dumps(index).encode())
    tf.close()


def cmd_digest(a):
    with open(a.file, "rb") as f:
        print(sha256(ungz(f.read())))


def main():
    ap = argparse.ArgumentParser(description="image archives and layers for the tests")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("tar")
    p.add_argument("out")
    p.add_argument("--gzip", action="store_true")
    p.set_defaults(fn=cmd_tar)
    p = sub.add_parser("tars")
    p.add_argument("--gzip", action="store_true")
    p.set_defaults(fn=cmd_tars)
    p = sub.add_parser("docker-archive")
    p.add_argument("out")
    p.add_argument("--layer", action="append", required=True)
    p.add_argument("--tag", action="append")
    p.add_argument("--config")
    p.add_argument("--arch", default="amd64")
    p.add_argument("--variant", default="")
    p.add_argument("--os", default="linux")
    p.add_argument("--gzip", action="store_true")
    p.add_argument("--dup-symlinks", action="store_true")
    p.set_defaults(fn=cmd_docker)
    p = sub.add_parser("oci-archive")
    p.add_argument("out")
    p.add_argument("--image", action="append", required=True)
    p.add_argument("--config")
    p.add_argument("--ref")
    p.add_argument("--index", choices=("flat", "platforms", "nested"), default="flat")
    p.add_argument("--gzip", action="store_true")
    p.add_argument("--os", default="linux")
    p.set_defaults(fn=cmd_oci)
    p = sub.add_parser("digest")
    p.add_argument("file")
    p.set_defaults(fn=cmd_digest)
    a = ap.parse_args()
    a.fn(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
