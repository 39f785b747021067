#!/usr/bin/env python3
"""Checks docker/ without a container engine: what an image build or `kubectl apply` would find
out too late.

- Dockerfile: every file it copies from the build context exists (and is not excluded by
  .dockerignore); every script its RUN lines call exists; the final stage installs no compiler
  or -dev package, runs as a non-root user, has a HEALTHCHECK on /healthz; the Debian packages
  it installs provide every shared library that rfmgw and abapsim link directly (ldd + dpkg -S
  on the built binaries); the files its CMD and the compose file name come from COPY lines.
- docker-compose.yml parses; build contexts and Dockerfiles exist; volumes are declared.
- docker/k8s/*.yaml parse as YAML; the kinds the issue asks for are there; the Deployment's
  probes are /healthz (liveness) and /readyz (readiness) on the container's port; Service,
  HPA and PDB select or target the Deployment; every ConfigMap and Secret it mounts is defined;
  the mappings ConfigMap equals mappings/demo.conf.
- The configurations run: docker/rfmgw.conf and the ConfigMap's rfmgw.conf pass
  `rfmgw --check-config` with the files laid out as the image / the Deployment mount them;
  docker/abapsim.conf starts abapsim.

Usage: check.py SOURCE_DIR RFMGW_BIN ABAPSIM_BIN   (prints TAP-like lines; exit 1 on a failure)
"""
import fnmatch
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

src, rfmgw, abapsim = sys.argv[1:4]
fails = 0
passes = 0


def check(cond, what, detail=""):
    global fails, passes
    if cond:
        passes += 1
        print(f"ok - {what}")
    else:
        fails += 1
        print(f"not ok - {what}{': ' + detail if detail else ''}")


def rel(p):
    return os.path.join(src, p)


# ---- Dockerfile ----


def dockerfile_instructions(path):
    """(instruction, argument text) pairs, continuation lines joined, comments dropped."""
    out, cur = [], ""
    for line in open(path, encoding="utf-8"):
        s = line.rstrip("\n")
        if not cur and (not s.strip() or s.lstrip().startswith("#")):
            continue
        if s.rstrip().endswith("\\"):
            cur += s.rstrip()[:-1] + " "
            continue
        cur += s
        word, _, rest = cur.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        cur = ""
    return out


def dockerignored(path, patterns):
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path.split("/")[0], p)
               or path.startswith(p.rstrip("/") + "/") for p in patterns)


ignore = [l.strip() for l in open(rel(".dockerignore")) if l.strip() and not l.startswith("#")]
ins = dockerfile_instructions(rel("docker/Dockerfile"))
stages = []  # list of lists of instructions
for word, arg in ins:
    if word == "FROM":
        stages.append([])
    stages[-1].append((word, arg))
check(len(stages) >= 2, "Dockerfile: multi-stage", f"{len(stages)} stage(s)")
final = stages[-1]
copied_to = []
for word, arg in ins:
    if word not in ("COPY", "ADD"):
        continue
    parts = shlex.split(arg)
    from_stage = any(p.startswith("--from=") for p in parts)
    paths = [p for p in parts if not p.startswith("--")]
    srcs, dest = paths[:-1], paths[-1]
    copied_to.append((srcs, dest))
    if from_stage:
        continue
    for s in srcs:
        if s == ".":
            continue
        hits = glob.glob(rel(s))
        check(hits and not dockerignored(s.rstrip("/"), ignore),
              f"Dockerfile: COPY {s} exists in the build context", "missing or in .dockerignore")
for word, arg in ins:
    if word == "RUN":
        for script in re.findall(r"(?<![\w/.-])(scripts/[\w.-]+\.sh)", arg):
            check(os.path.isfile(rel(script)), f"Dockerfile: RUN calls {script}, which exists")
check(any(w == "RUN" and "scripts/deps.sh" in a for w, a in stages[0])
      and any(w == "RUN" and "scripts/build.sh" in a for w, a in stages[0]),
      "Dockerfile: the build stage uses CI's scripts (scripts/deps.sh, scripts/build.sh)")
# the build script is the one scripts/test.sh (CI) builds with
check("scripts/build.sh" in open(rel("scripts/test.sh")).read(), "scripts/test.sh builds with scripts/build.sh too")

final_run = " ".join(a for w, a in final if w == "RUN")
installed = set()
for m in re.finditer(r"apt-get install([^&;|]*)", final_run):
    installed |= {t for t in m.group(1).split() if not t.startswith("-")}
toolchain = sorted(p for p in installed
                   if re.fullmatch(r"(gcc|g\+\+|cc|clang.*|cmake|make|build-essential|pkg-config|npm|nodejs)(-[\d.]+)?", p)
                   or p.endswith("-dev"))
check(not toolchain, "Dockerfile: no compiler, build tool or -dev package in the final stage", " ".join(toolchain))
users = [a for w, a in final if w == "USER"]
check(users and users[-1].split(":")[0] not in ("root", "0"), "Dockerfile: the final stage runs as a non-root user", str(users))
hc = [a for w, a in final if w == "HEALTHCHECK"]
check(hc and "/healthz" in hc[-1], "Dockerfile: HEALTHCHECK on /healthz", str(hc))
cmd = [a for w, a in final if w == "CMD"]
conf_in_cmd = re.findall(r'"(/etc/rfmgw/[^"]+)"', cmd[-1]) if cmd else []


def image_has(path):
    for srcs, dest in copied_to:
        for s in srcs:
            target = dest.rstrip("/") + "/" + os.path.basename(s.rstrip("/")) if dest.endswith("/") else dest
            if path == target or (s.endswith("/") and path.startswith(dest.rstrip("/") + "/")):
                return True
    return False


for c in conf_in_cmd:
    check(image_has(c), f"Dockerfile: CMD's {c} is copied into the image")

# the runtime packages provide every library the binaries link directly
if shutil.which("dpkg") and shutil.which("objdump"):
    # what apt installs along with the listed packages (their Depends, as installed here)
    runtime_deps = set()
    for pkg in installed:
        dep_line = subprocess.run(["dpkg-query", "-W", "-f=${Depends}", pkg], capture_output=True, text=True).stdout
        runtime_deps |= {re.split(r"[\s:(]", d.strip())[0] for alt in dep_line.split(",") for d in alt.split("|") if d.strip()}
    for binary in (rfmgw, abapsim):
        needed = re.findall(r"NEEDED\s+(\S+)", subprocess.run(["objdump", "-p", binary], capture_output=True, text=True).stdout)
        ldd = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(["ldd", binary], capture_output=True, text=True).stdout, re.M))
        missing = []
        for lib in needed:
            if re.match(r"lib(asan|ubsan|lsan|tsan)\.so", lib):
                continue  # the sanitizer build's runtime, not the image's
            if lib == "libsapnwrfc.so":
                continue  # SAP's NW RFC SDK (or the tests' fake of it): never in the image
            path = ldd.get(lib, lib)
            pkg = "?"
            for cand in (path, os.path.realpath(path), re.sub(r"^/usr/", "/", os.path.realpath(path))):
                owner = subprocess.run(["dpkg", "-S", cand], capture_output=True, text=True).stdout
                if owner:
                    pkg = owner.split(":")[0].strip()
                    break
            if pkg not in installed and pkg not in runtime_deps and pkg not in ("libc6", "libgcc-s1"):
                missing.append(f"{lib} ({pkg})")  # libc6, libgcc-s1: in debian:bookworm-slim
        check(not missing, f"Dockerfile: the runtime packages provide the libraries {os.path.basename(binary)} links",
              "not installed: " + ", ".join(missing))
    if shutil.which("apt-cache"):
        unknown = [p for p in sorted(installed) if subprocess.run(["apt-cache", "show", p], capture_output=True).returncode != 0]
        check(not unknown, "Dockerfile: every runtime package exists in the Debian archive", " ".join(unknown))
else:
    print("# SKIP library check: dpkg or objdump not available")

# ---- docker-compose.yml ----
compose_path = rel("docker/docker-compose.yml")
compose = yaml.safe_load(open(compose_path))
check(isinstance(compose, dict) and "services" in compose, "docker-compose.yml parses, with services")
services = compose.get("services", {})
check({"rfmgw", "abapsim"} <= set(services), "compose: rfmgw and abapsim services", str(list(services)))
declared_volumes = set((compose.get("volumes") or {}).keys())
for name, svc in services.items():
    b = svc.get("build")
    if b:
        ctx = os.path.normpath(os.path.join(os.path.dirname(compose_path), b["context"] if isinstance(b, dict) else b))
        df = os.path.join(ctx, b.get("dockerfile", "Dockerfile")) if isinstance(b, dict) else os.path.join(ctx, "Dockerfile")
        check(os.path.isdir(ctx) and os.path.isfile(df), f"compose: {name}'s build context and Dockerfile exist", df)
        target = b.get("target") if isinstance(b, dict) else None
        if target:
            check(any(re.search(rf"\bAS\s+{re.escape(target)}\b", a, re.I) for w, a in ins if w == "FROM"),
                  f"compose: {name}'s build target '{target}' is a stage of the Dockerfile")
    for v in svc.get("volumes", []):
        host = v.split(":")[0]
        if host.startswith((".", "/")):
            check(os.path.exists(os.path.join(os.path.dirname(compose_path), host)), f"compose: {name} mounts {host}, which exists")
        else:
            check(host in declared_volumes, f"compose: {name}'s volume '{host}' is declared")
    for arg in svc.get("command", []) if isinstance(svc.get("command"), list) else []:
        if arg.startswith("/etc/rfmgw/"):
            check(image_has(arg), f"compose: {name}'s {arg} is copied into the image")
    for dep in (svc.get("depends_on") or {}):
        check(dep in services, f"compose: {name} depends on a defined service ({dep})")
    for arg in (svc.get("command") or []):
        for script in re.findall(r"(scripts/[\w.-]+\.sh)", str(arg)):
            check(os.path.isfile(rel(script)), f"compose: {name} runs {script}, which exists")
check("healthcheck" in services.get("abapsim", {}), "compose: abapsim has its own healthcheck (the image's is rfmgw's /healthz)")

# ---- Kubernetes ----
docs = []
k8s_dir = rel("docker/k8s")
for f in sorted(glob.glob(os.path.join(k8s_dir, "*.yaml"))):
    try:
        for d in yaml.safe_load_all(open(f)):
            if d is not None:
                docs.append((os.path.basename(f), d))
        check(True, f"k8s: {os.path.basename(f)} parses as YAML")
    except yaml.YAMLError as e:
        check(False, f"k8s: {os.path.basename(f)} parses as YAML", str(e).replace("\n", " "))
kust = [d for f, d in docs if d.get("kind") == "Kustomization"]
for r in (kust[0].get("resources", []) if kust else []):
    check(os.path.isfile(os.path.join(k8s_dir, r)), f"k8s: kustomization resource {r} exists")
objs = {}
for f, d in docs:
    if d.get("kind") == "Kustomization":
        continue
    check(d.get("apiVersion") and d.get("kind") and d.get("metadata", {}).get("name"),
          f"k8s: {f}: {d.get('kind')} has apiVersion, kind and metadata.name")
    objs[(d["kind"], d["metadata"]["name"])] = d
kinds = {k for k, _ in objs}
for k in ("Deployment", "Service", "ConfigMap", "Secret", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
    check(k in kinds, f"k8s: a {k}")
deps = [d for (k, _), d in objs.items() if k == "Deployment"]
dep = deps[0] if deps else {}
pod = dep.get("spec", {}).get("template", {})
labels = pod.get("metadata", {}).get("labels", {})
c0 = (pod.get("spec", {}).get("containers") or [{}])[0]
ports = {p.get("name"): p.get("containerPort") for p in c0.get("ports", [])}


def probe_ok(probe, path):
    g = (c0.get(probe) or {}).get("httpGet", {})
    port = g.get("port")
    return g.get("path") == path and (port in ports or port in ports.values())


check(probe_ok("livenessProbe", "/healthz"), "k8s: liveness probe GET /healthz on the container's port")
check(probe_ok("readinessProbe", "/readyz"), "k8s: readiness probe GET /readyz on the container's port")
check(dep.get("spec", {}).get("selector", {}).get("matchLabels", {}).items() <= labels.items(),
      "k8s: the Deployment's selector matches its pods")
sc = pod.get("spec", {}).get("securityContext", {})
check(sc.get("runAsNonRoot") is True and (c0.get("securityContext") or {}).get("allowPrivilegeEscalation") is False,
      "k8s: non-root, no privilege escalation")
for (k, n), d in objs.items():
    if k == "Service":
        check(d["spec"].get("selector", {}).items() <= labels.items(), f"k8s: Service {n} selects the Deployment's pods")
        for p in d["spec"].get("ports", []):
            check(p.get("targetPort") in ports or p.get("targetPort") in ports.values(), f"k8s: Service {n} targets a container port")
    if k == "PodDisruptionBudget":
        check(d["spec"].get("selector", {}).get("matchLabels", {}).items() <= labels.items(), f"k8s: PDB {n} selects the Deployment's pods")
    if k == "HorizontalPodAutoscaler":
        t = d["spec"].get("scaleTargetRef", {})
        check(t.get("kind") == "Deployment" and ("Deployment", t.get("name")) in objs, f"k8s: HPA {n} scales the Deployment")
mounts = {m["name"]: m["mountPath"] for m in c0.get("volumeMounts", [])}
vol_src = {}
for v in pod.get("spec", {}).get("volumes", []):
    if "configMap" in v:
        ref = ("ConfigMap", v["configMap"]["name"])
    elif "secret" in v:
        ref = ("Secret", v["secret"]["secretName"])
    else:
        continue
    check(ref in objs, f"k8s: volume {v['name']} uses {ref[0]} {ref[1]}, which is defined")
    check(v["name"] in mounts, f"k8s: volume {v['name']} is mounted")
    vol_src[v["name"]] = ref
cm_maps = [d for (k, n), d in objs.items() if k == "ConfigMap" and "demo.conf" in d.get("data", {})]
check(cm_maps and cm_maps[0]["data"]["demo.conf"] == open(rel("mappings/demo.conf")).read(),
      "k8s: the mappings ConfigMap is mappings/demo.conf, verbatim")

# ---- the configurations, as they would be mounted ----


def check_config(conf_file, what):
    r = subprocess.run([rfmgw, "--check-config", "-c", conf_file], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, f"{what}: rfmgw --check-config", (r.stdout + r.stderr).strip().replace("\n", " | "))


with tempfile.TemporaryDirectory() as tmp:
    pki = os.path.join(tmp, "pki")
    subprocess.run(["bash", rel("scripts/demo-pki.sh"), pki], check=True, capture_output=True)
    open(os.path.join(pki, "demo-password"), "w").write("Demo-Passw0rd\n")

    # the image: /etc/rfmgw/{rfmgw.conf,abapsim.conf,mappings/}, the demo PKI at /pki
    img = os.path.join(tmp, "image")
    os.makedirs(img)
    shutil.copytree(rel("mappings"), os.path.join(img, "mappings"))
    for name in ("rfmgw.conf", "abapsim.conf"):
        text = open(rel(f"docker/{name}")).read().replace('"/pki/', f'"{pki}/')
        open(os.path.join(img, name), "w").write(text)
    check_config(os.path.join(img, "rfmgw.conf"), "docker/rfmgw.conf")
    sim_conf = os.path.join(img, "abapsim.conf")
    text = open(sim_conf).read().replace('address = "0.0.0.0"; port = 8443;', 'address = "127.0.0.1"; port = 0;')
    open(sim_conf, "w").write(text)
    ready = os.path.join(tmp, "sim.port")
    p = subprocess.Popen([abapsim, "-c", sim_conf, "--ready-file", ready], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for _ in range(100):
        if os.path.exists(ready) or p.poll() is not None:
            break
        time.sleep(0.1)
    started = os.path.exists(ready)
    p.terminate()
    out = p.communicate(timeout=10)[0]
    check(started, "docker/abapsim.conf: abapsim starts with it", out.strip().replace("\n", " | ")[-400:])

    # the Deployment: every ConfigMap/Secret key as a file under its mountPath
    root = os.path.join(tmp, "pod")
    for vol, ref in vol_src.items():
        if ref not in objs or vol not in mounts:
            continue  # reported above
        d = objs[ref]
        target = os.path.join(root, mounts[vol].lstrip("/"))
        os.makedirs(target, exist_ok=True)
        for key, value in {**d.get("data", {}), **d.get("stringData", {})}.items():
            open(os.path.join(target, key), "w").write(value)
    args = c0.get("args", [])
    conf = args[args.index("-c") + 1] if "-c" in args else None
    check(conf and os.path.isfile(os.path.join(root, conf.lstrip("/"))), f"k8s: the container's config {conf} is in a mounted ConfigMap")
    if conf:
        check_config(os.path.join(root, conf.lstrip("/")), "k8s: ConfigMap rfmgw.conf, mounted as the Deployment does")

print(f"{passes} passed, {fails} failed")
sys.exit(1 if fails else 0)
